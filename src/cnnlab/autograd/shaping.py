"""The shape methods of ``Tensor``: view/reshape, flatten, (un)squeeze, permute, transpose,
expand, repeat, indexing, splitting, with PyTorch's argument conventions and errors.

Results that share memory with their source (``view``, ``reshape`` when it can, ``permute``,
basic indexing, ``split``, ...) are recorded as views (``inplace.mark_view``), so an in-place
change through either side behaves as in PyTorch.
"""

from __future__ import annotations

import itertools
import operator

import numpy as np


class ShapeMethods:
    """Mixed into ``Tensor``: everything that rearranges elements without computing new ones."""

    __slots__ = ()

    def view(self, *shape):
        if len(shape) == 1 and _is_dtype_like(shape[0]):
            raise NotImplementedError("view(dtype): reinterpreting memory as another dtype")
        return self.reshape(*shape)

    def reshape(self, *shape):
        shape = _check_shape(_sizes(shape), self._data.size)
        return _view(ops.Reshape.apply(self, shape=shape), self, _reshaper(shape))

    def view_as(self, other):
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = _axis(start_dim, self.ndim), _axis(end_dim, self.ndim)
        if start > end:
            raise ValueError(
                f"flatten: start_dim ({start_dim}) cannot come after end_dim ({end_dim}) "
                f"for a {self.ndim}-D tensor"
            )
        shape = self._data.shape
        return self.reshape(*shape[:start], -1, *shape[end + 1 :])

    def unflatten(self, dim: int, sizes):
        dim = _axis(dim, self.ndim)
        shape = self._data.shape
        return self.reshape(*shape[:dim], *sizes, *shape[dim + 1 :])

    def unsqueeze(self, dim: int):
        dim = _axis(dim, self.ndim + 1)
        return self.reshape(*self._data.shape[:dim], 1, *self._data.shape[dim:])

    def squeeze(self, dim=None):
        shape = self._data.shape
        if dim is None:
            return self.reshape(*(n for n in shape if n != 1))
        dims = {_axis(d, self.ndim) for d in ((dim,) if isinstance(dim, int) else dim)}
        return self.reshape(*(n for i, n in enumerate(shape) if not (i in dims and n == 1)))

    def permute(self, *dims):
        dims = _sizes(dims)
        if sorted(_axis(d, self.ndim) for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute: dims {dims} are not a permutation of {self.ndim} axes")
        dims = tuple(_axis(d, self.ndim) for d in dims)
        return _view(ops.Permute.apply(self, dims=dims), self, _transposer(dims))

    def transpose(self, dim0: int, dim1: int):
        dims = list(range(self.ndim))
        a, b = _axis(dim0, self.ndim), _axis(dim1, self.ndim)
        dims[a], dims[b] = dims[b], dims[a]
        return self.permute(*dims)

    swapaxes = swapdims = transpose

    def movedim(self, source, destination):
        """Dimensions ``source`` moved to positions ``destination`` (ints or tuples), the others
        keeping their order."""
        sources = [_axis(d, self.ndim) for d in _as_tuple(source)]
        targets = [_axis(d, self.ndim) for d in _as_tuple(destination)]
        order = [d for d in range(self.ndim) if d not in sources]
        for target, moved in sorted(zip(targets, sources, strict=True)):
            order.insert(target, moved)
        return self.permute(*order)

    moveaxis = movedim

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D"
            )
        return self.transpose(0, 1) if self.ndim == 2 else self

    def expand(self, *shape):
        shape = _sizes(shape)
        if len(shape) < self.ndim:
            raise RuntimeError(
                f"expand: the number of sizes provided ({len(shape)}) must be greater or equal "
                f"to the number of dimensions in the tensor ({self.ndim})"
            )
        padded = (1,) * (len(shape) - self.ndim) + self._data.shape
        full = tuple(old if new == -1 else new for old, new in zip(padded, shape, strict=True))
        for old, new in zip(padded, full, strict=True):
            if old != 1 and old != new:
                raise RuntimeError(
                    f"The expanded size of the tensor ({new}) must match the existing size "
                    f"({old}) at non-singleton dimension; target sizes {list(shape)}, tensor "
                    f"sizes {list(self._data.shape)}"
                )
        return ops.Expand.apply(self, shape=full)

    def expand_as(self, other):
        return self.expand(other.shape)

    def broadcast_to(self, shape):
        return self.expand(*shape)

    def repeat(self, *sizes):
        sizes = _sizes(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(
                "Number of dimensions of repeat dims can not be smaller than number of "
                f"dimensions of tensor (repeat got {len(sizes)}, tensor has {self.ndim})"
            )
        return ops.Repeat.apply(self, sizes=tuple(int(n) for n in sizes))

    def tile(self, *sizes):
        sizes = _sizes(sizes)
        return self.repeat(*((1,) * (self.ndim - len(sizes)) + tuple(sizes)))

    def flip(self, *dims, **kwargs):
        dims = _dims_argument("flip", dims, kwargs)
        dims = tuple(_axis(d, self.ndim) for d in _sizes(dims))
        return ops.Flip.apply(self, dims=dims)

    def fliplr(self):
        return self.flip(1)

    def flipud(self):
        return self.flip(0)

    def roll(self, shifts, dims=None):
        return ops.Roll.apply(self, shifts=shifts, dims=dims)

    def tril(self, diagonal: int = 0):
        return ops.Triangle.apply(self, diagonal=diagonal, upper=False)

    def triu(self, diagonal: int = 0):
        return ops.Triangle.apply(self, diagonal=diagonal, upper=True)

    def __getitem__(self, index):
        index = _unwrap_index(index)
        out = ops.GetItem.apply(self, index=index)
        if ops._is_basic_index(index):
            _view(out, self, _indexer(index))
        return out

    def narrow(self, dim: int, start: int, length: int):
        dim = _axis(dim, self.ndim)
        return self[(slice(None),) * dim + (slice(start, start + length),)]

    def select(self, dim: int, index: int):
        dim = _axis(dim, self.ndim)
        return self[(slice(None),) * dim + (index,)]

    def unbind(self, dim: int = 0):
        return tuple(self.select(dim, i) for i in range(self.shape[dim]))

    def split(self, split_size_or_sections, dim: int = 0):
        """Pieces of ``split_size`` along ``dim`` (the last may be shorter), or pieces of the
        given list of lengths."""
        dim = _axis(dim, self.ndim)
        length = self._data.shape[dim]
        if isinstance(split_size_or_sections, int):
            size = split_size_or_sections
            sizes = [min(size, length - start) for start in range(0, length, size)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != length:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {length} (input "
                    f"tensor's size at dimension {dim}), but got split_sizes={sizes}"
                )
        bounds = np.cumsum([0, *sizes])
        return tuple(self.narrow(dim, int(a), int(b - a)) for a, b in itertools.pairwise(bounds))

    def chunk(self, chunks: int, dim: int = 0):
        length = self._data.shape[_axis(dim, self.ndim)]
        return self.split(max(-(-length // chunks), 1), dim)

    def tensor_split(self, sections, dim: int = 0):
        """``sections`` pieces of near-equal length (the first ones one longer), or the pieces
        between the given indices."""
        length = self._data.shape[_axis(dim, self.ndim)]
        if isinstance(sections, int):
            short, longer = divmod(length, sections)
            sizes = [short + 1] * longer + [short] * (sections - longer)
            bounds = list(itertools.accumulate(sizes, initial=0))
        else:
            bounds = [0, *sections, length]
        return tuple(self.narrow(dim, a, max(b - a, 0)) for a, b in itertools.pairwise(bounds))

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))


def _view(result, source, view_fn):
    return inplace.mark_view(result, source, view_fn)


def _reshaper(shape):
    return lambda array: array.reshape(shape)


def _transposer(dims):
    return lambda array: array.transpose(dims)


def _indexer(index):
    return lambda array: array[index]


def _dims_argument(name: str, dims: tuple, kwargs: dict) -> tuple:
    """``f(0, 1)``, ``f((0, 1))`` or ``f(dims=(0, 1))``, as torch's ``flip`` takes them."""
    if set(kwargs) - {"dims"}:
        raise TypeError(f"{name}() got an unexpected keyword argument {next(iter(kwargs))!r}")
    if "dims" in kwargs:
        if dims:
            raise TypeError(f"{name}() got multiple values for argument 'dims'")
        dims = (kwargs["dims"],)
    return dims


def _sizes(args: tuple) -> tuple:
    """``f(2, 3)`` and ``f((2, 3))`` (and ``f([2, 3])``, ``f(torch.Size)``) alike."""
    if len(args) == 1 and isinstance(args[0], list | tuple):
        args = tuple(args[0])
    try:
        return tuple(operator.index(n) for n in args)
    except TypeError:
        raise TypeError(f"sizes must be ints, got {args}") from None


def _as_tuple(dims) -> tuple:
    return (dims,) if isinstance(dims, int) else tuple(dims)


def _is_dtype_like(value) -> bool:
    from cnnlab.autograd.types import dtype

    return isinstance(value, dtype | np.dtype)


def _unwrap(value):
    return value._data if isinstance(value, ShapeMethods) else value


def _unwrap_index(index):
    if isinstance(index, tuple):
        return tuple(_unwrap(i) for i in index)
    if isinstance(index, list) and any(isinstance(i, ShapeMethods) for i in index):
        return [_unwrap(i) for i in index]
    return _unwrap(index)


def _axis(dim: int, ndim: int) -> int:
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(
            f"dimension out of range (expected to be in [{-max(ndim, 1)}, {max(ndim, 1) - 1}], "
            f"got {dim})"
        )
    return dim % max(ndim, 1)


def _check_shape(shape: tuple, size: int) -> tuple:
    if not all(isinstance(n, int | np.integer) for n in shape):
        raise TypeError(f"view/reshape: shape must be ints, got {shape}")
    known = int(np.prod([n for n in shape if n != -1]))
    if shape.count(-1) > 1 or (
        (-1 in shape and (known == 0 or size % known)) or (-1 not in shape and known != size)
    ):
        raise ValueError(f"shape {list(shape)} is invalid for input of size {size}")
    return tuple(size // known if n == -1 else int(n) for n in shape)


from cnnlab.autograd import inplace  # noqa: E402  (inplace needs Tensor, which needs this)
from cnnlab.autograd import shape_ops as ops  # noqa: E402
