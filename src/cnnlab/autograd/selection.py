"""Picking and placing elements of ``Tensor`` by index or mask: ``gather``, ``scatter``,
``index_select``, ``masked_fill``, ``where``, ``nonzero``, ``unique``, ..., and the ``new_*``
constructors that make a tensor of this one's dtype."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.shaping import _axis, _sizes, _unwrap
from cnnlab.autograd.types import default_dtype, to_numpy


class SelectionMethods:
    """Mixed into ``Tensor``."""

    __slots__ = ()

    def gather(self, dim: int, index):
        """``out[i][j] = self[index[i][j]][j]`` for ``dim = 0`` (and so on)."""
        dim, index = _axis(dim, self.ndim), _indices(index, "gather", self.ndim)
        return ops.Gather.apply(self, index=index, dim=dim)

    def take_along_dim(self, indices, dim: int):
        return self.gather(dim, indices.expand(*_broadcast(self, indices, dim)))

    def scatter(self, dim: int, index, src=None, *, value=None, reduce: str | None = None):
        """This tensor with ``src`` (or ``value``) written at ``index`` along ``dim``: the
        inverse of ``gather``."""
        if reduce is not None and reduce != "add":
            raise NotImplementedError(f"scatter(reduce={reduce!r}) (only 'add')")
        return self._scatter(dim, index, src, value, add=reduce == "add")

    def scatter_add(self, dim: int, index, src):
        return self._scatter(dim, index, src, None, add=True)

    def _scatter(self, dim, index, src, value, add: bool):
        dim, index = _axis(dim, self.ndim), _indices(index, "scatter", self.ndim)
        if src is None or not isinstance(src, SelectionMethods):
            fill = value if src is None else src
            src = type(self)._wrap(np.full(index.shape, fill, dtype=self._data.dtype))
        return ops.Scatter.apply(self, src, index=index, dim=dim, add=add)

    def index_select(self, dim: int, index):
        index = np.asarray(_unwrap(index))
        if index.ndim > 1 or index.dtype.kind not in "iu":
            raise IndexError("index_select(): index must be a 1-D integer tensor")
        return ops.IndexSelect.apply(self, index=index.reshape(-1), dim=_axis(dim, self.ndim))

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` (bool, broadcast to this tensor's shape) holds."""
        mask = np.asarray(_unwrap(mask))
        if mask.dtype != np.bool_:
            raise RuntimeError(
                f"masked_fill only supports boolean masks, but got mask with dtype {mask.dtype}"
            )
        if not isinstance(value, SelectionMethods):
            value = type(self)._wrap(np.asarray(value))
        elif value.ndim != 0:
            raise RuntimeError(
                "masked_fill only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        return ops.MaskedFill.apply(self, value, mask=mask)

    def masked_select(self, mask):
        mask = np.broadcast_to(np.asarray(_unwrap(mask)), self._data.shape)
        return self[type(self)._wrap(mask)]

    def where(self, condition, other):
        """``self`` where ``condition`` holds, else ``other``."""
        from cnnlab.autograd.joining import where

        return where(condition, self, other)

    def nonzero(self, *, as_tuple: bool = False):
        """The indices of the non-zero elements: one row each (``as_tuple``: one tensor per
        dimension)."""
        found = np.nonzero(self._data)
        if as_tuple:
            return tuple(type(self)._wrap(i.astype(np.int64)) for i in found)
        return type(self)._wrap(np.stack(found, axis=1).astype(np.int64).reshape(-1, self.ndim))

    argwhere = nonzero

    def unique(
        self, sorted: bool = True, return_inverse: bool = False, return_counts=False, dim=None
    ):
        """The distinct values, sorted (and where each element went, and how many of each)."""
        if dim is not None:
            raise NotImplementedError("unique(dim=...)")
        values, inverse, counts = np.unique(self._data, return_inverse=True, return_counts=True)
        out = [type(self)._wrap(values)]
        if return_inverse:
            out.append(type(self)._wrap(inverse.reshape(self._data.shape).astype(np.int64)))
        if return_counts:
            out.append(type(self)._wrap(counts.astype(np.int64)))
        return out[0] if len(out) == 1 else tuple(out)

    def bincount(self, weights=None, minlength: int = 0):
        data = self._data
        if data.ndim != 1 or data.dtype.kind not in "iu":
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        counts = np.bincount(data, None if weights is None else _unwrap(weights), minlength)
        return type(self)._wrap(counts if weights is not None else counts.astype(np.int64))

    # ----- new tensors of this one's dtype
    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False):
        return self._new(np.zeros, size, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False):
        return self._new(np.ones, size, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False):
        return self._new(np.zeros, size, dtype, device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        def full(shape, dtype):
            return np.full(shape, fill_value, dtype=dtype)

        return self._new(full, (size,), dtype, device, requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad: bool = False):
        from cnnlab.autograd.creation import tensor

        return tensor(data, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)

    def _new(self, make, size, dtype, device, requires_grad):
        from cnnlab.autograd.devices import check_device

        check_device(device, "new tensor")
        dtype = self._data.dtype if dtype is None else to_numpy(dtype)
        t = type(self)._wrap(make(_sizes(size), dtype))
        return t.requires_grad_(requires_grad) if requires_grad else t


def _indices(index, name: str, ndim: int) -> np.ndarray:
    array = np.asarray(_unwrap(index))
    if array.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {array.dtype}")
    if array.ndim != max(ndim, 1) and not (ndim == 0 and array.ndim == 0):
        raise RuntimeError(
            f"Index tensor must have the same number of dimensions as input tensor ({name})"
        )
    return array


def _broadcast(t, indices, dim: int) -> tuple[int, ...]:
    shape = list(t.shape)
    shape[dim] = indices.shape[dim]
    return tuple(shape)


def _default(dtype):
    return default_dtype() if dtype is None else to_numpy(dtype)


from cnnlab.autograd import index_ops as ops  # noqa: E402  (index_ops needs Tensor)
