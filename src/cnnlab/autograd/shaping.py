"""The shape methods of ``Tensor``: view/reshape, flatten, (un)squeeze, permute, transpose,
expand and indexing, with PyTorch's argument conventions and errors."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.grad_mode import _GradMode


class ShapeMethods:
    """Mixed into ``Tensor``: everything that rearranges elements without computing new ones."""

    __slots__ = ()

    def view(self, *shape):
        return self.reshape(*shape)

    def reshape(self, *shape):
        shape = tuple(shape[0]) if len(shape) == 1 and not isinstance(shape[0], int) else shape
        return ops.Reshape.apply(self, shape=_check_shape(shape, self._data.size))

    def view_as(self, other):
        return self.reshape(other.shape)

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

    def unsqueeze(self, dim: int):
        dim = _axis(dim, self.ndim + 1)
        return self.reshape(*self._data.shape[:dim], 1, *self._data.shape[dim:])

    def squeeze(self, dim: int | None = None):
        shape = self._data.shape
        if dim is None:
            return self.reshape(*(n for n in shape if n != 1))
        dim = _axis(dim, self.ndim)
        if shape[dim] != 1:
            return self
        return self.reshape(*shape[:dim], *shape[dim + 1 :])

    def permute(self, *dims):
        dims = tuple(dims[0]) if len(dims) == 1 and not isinstance(dims[0], int) else dims
        if sorted(_axis(d, self.ndim) for d in dims) != list(range(self.ndim)):
            raise ValueError(f"permute: dims {dims} are not a permutation of {self.ndim} axes")
        return ops.Permute.apply(self, dims=tuple(_axis(d, self.ndim) for d in dims))

    def transpose(self, dim0: int, dim1: int):
        dims = list(range(self.ndim))
        a, b = _axis(dim0, self.ndim), _axis(dim1, self.ndim)
        dims[a], dims[b] = dims[b], dims[a]
        return ops.Permute.apply(self, dims=tuple(dims))

    def t(self):
        return self.transpose(0, 1) if self.ndim == 2 else self

    def expand(self, *shape):
        shape = tuple(shape[0]) if len(shape) == 1 and not isinstance(shape[0], int) else shape
        padded = (1,) * (len(shape) - self.ndim) + self._data.shape
        full = tuple(old if new == -1 else new for old, new in zip(padded, shape, strict=True))
        return ops.Expand.apply(self, shape=full)

    def __getitem__(self, index):
        return ops.GetItem.apply(self, index=_unwrap_index(index))

    def __setitem__(self, index, value) -> None:
        if self.requires_grad and _GradMode.enabled:
            raise RuntimeError(
                "in-place assignment to a tensor that requires grad is not supported"
            )
        self._data[_unwrap_index(index)] = _unwrap(value)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))


def _unwrap(value):
    return value._data if isinstance(value, ShapeMethods) else value


def _unwrap_index(index):
    if isinstance(index, tuple):
        return tuple(_unwrap(i) for i in index)
    return _unwrap(index)


def _axis(dim: int, ndim: int) -> int:
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(
            f"dimension out of range (expected to be in [{-ndim}, {ndim - 1}], got {dim})"
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
    return tuple(int(n) for n in shape)


from cnnlab.autograd import math_ops as ops  # noqa: E402  (math_ops needs Tensor, which needs this)
