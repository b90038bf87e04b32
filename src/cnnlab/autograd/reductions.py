"""The reductions of ``Tensor``: sum, mean, prod, std/var, max/min (values and indices), argmax,
all/any, norm, logsumexp, cumsum, median, with PyTorch's signatures (``dim`` an int or a tuple,
``keepdim``, the ``axis=`` alias) and result dtypes (the sum of integers or bools is int64)."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from cnnlab.autograd.errors import RuntimeTypeError
from cnnlab.autograd.shaping import _axis
from cnnlab.autograd.types import is_floating, to_numpy

MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])
SortResult = namedtuple("sort", ["values", "indices"])
TopKResult = namedtuple("topk", ["values", "indices"])
MedianResult = namedtuple("median", ["values", "indices"])
KthValueResult = namedtuple("kthvalue", ["values", "indices"])


class ReductionMethods:
    """Mixed into ``Tensor``."""

    __slots__ = ()

    def sum(self, dim=None, keepdim: bool = False, *, dtype=None, axis=None):
        dim = _dims(dim, axis, self.ndim)
        source = self if dtype is None else self.type(dtype)
        if not is_floating(source._data.dtype):
            total = source._data.astype(np.int64, copy=False).sum(axis=dim, keepdims=keepdim)
            return type(self)._wrap(np.asarray(total))
        return ops.Sum.apply(source, dim=dim, keepdim=keepdim)

    def nansum(self, dim=None, keepdim: bool = False, *, dtype=None):
        return self.where(~self.isnan(), 0).sum(dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim: bool = False, *, dtype=None, axis=None):
        source = self if dtype is None else self.type(dtype)
        if not is_floating(source._data.dtype):
            raise RuntimeTypeError(
                "mean(): could not infer output dtype. Input dtype must be a floating point "
                f"dtype. Got: {source.dtype}"
            )
        return ops.Mean.apply(source, dim=_dims(dim, axis, self.ndim), keepdim=keepdim)

    def prod(self, dim=None, keepdim: bool = False, *, dtype=None):
        source = self if dtype is None else self.type(dtype)
        if not is_floating(source._data.dtype):
            total = source._data.astype(np.int64, copy=False).prod(axis=dim, keepdims=keepdim)
            return type(self)._wrap(np.asarray(total))
        return ops.Prod.apply(source, dim=dim, keepdim=keepdim)

    def var(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None, axis=None):
        """The variance, ``sum((x - mean)^2) / (N - correction)``; ``correction`` is 1 (Bessel's)
        unless given, or ``unbiased=False`` makes it 0."""
        if isinstance(dim, bool):  # var(False): the old positional ``unbiased``
            dim, unbiased = None, dim
        if correction is None:
            correction = 0 if unbiased is False else 1
        source = _floated(self, "var")
        return ops.Var.apply(
            source, dim=_dims(dim, axis, self.ndim), correction=correction, keepdim=keepdim
        )

    def std(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None, axis=None):
        """The standard deviation: the square root of :meth:`var` (same arguments)."""
        return self.var(dim, unbiased, keepdim, correction=correction, axis=axis).sqrt()

    def max(self, dim=None, keepdim: bool = False, *, axis=None):
        """The largest value; along ``dim``, the values and their (first) indices; with a tensor,
        the elementwise maximum."""
        if isinstance(dim, ReductionMethods):
            return self.maximum(dim)
        dim = axis if dim is None else dim
        if dim is None:
            return ops.AMax.apply(self)
        return MaxResult(*self._take_extreme(dim, keepdim, np.argmax))

    def min(self, dim=None, keepdim: bool = False, *, axis=None):
        """The smallest value; along ``dim``, the values and their (first) indices; with a tensor,
        the elementwise minimum."""
        if isinstance(dim, ReductionMethods):
            return self.minimum(dim)
        dim = axis if dim is None else dim
        if dim is None:
            return ops.AMax.apply(self, smallest=True)
        return MinResult(*self._take_extreme(dim, keepdim, np.argmin))

    def amax(self, dim=(), keepdim: bool = False):
        dim = None if dim == () or dim == [] else dim
        return ops.AMax.apply(self, dim=_dims(dim, None, self.ndim), keepdim=keepdim)

    def amin(self, dim=(), keepdim: bool = False):
        dim = None if dim == () or dim == [] else dim
        dims = _dims(dim, None, self.ndim)
        return ops.AMax.apply(self, dim=dims, keepdim=keepdim, smallest=True)

    def _take_extreme(self, dim: int, keepdim: bool, find):
        dim = _axis(dim, self.ndim)
        if self.ndim == 0:  # a 0-d tensor is its own maximum, at index 0
            return self.clone(), type(self)._wrap(np.asarray(0, dtype=np.int64))
        return self._pick(np.expand_dims(find(self._data, axis=dim), dim), dim, keepdim)

    def _pick(self, index: np.ndarray, dim: int, keepdim: bool):
        """The values at ``index`` (a keepdim-shaped array) along ``dim``, and the indices."""
        values = ops.TakeAlong.apply(self, index=index, dim=dim)
        if not keepdim:
            values = values.squeeze(dim)
            index = index.squeeze(dim)
        return values, type(self)._wrap(index.astype(np.int64, copy=False))

    def argmax(self, dim=None, keepdim: bool = False, *, axis=None):
        return type(self)._wrap(_arg_reduce(self, axis if dim is None else dim, keepdim, np.argmax))

    def argmin(self, dim=None, keepdim: bool = False, *, axis=None):
        return type(self)._wrap(_arg_reduce(self, axis if dim is None else dim, keepdim, np.argmin))

    def all(self, dim=None, keepdim: bool = False, *, axis=None):
        dims = _dims(dim, axis, self.ndim)
        return type(self)._wrap(np.asarray(self._data.astype(bool).all(dims, keepdims=keepdim)))

    def any(self, dim=None, keepdim: bool = False, *, axis=None):
        dims = _dims(dim, axis, self.ndim)
        return type(self)._wrap(np.asarray(self._data.astype(bool).any(dims, keepdims=keepdim)))

    def count_nonzero(self, dim=None):
        return type(self)._wrap(np.asarray(np.count_nonzero(self._data, axis=dim), np.int64))

    def norm(self, p="fro", dim=None, keepdim: bool = False, dtype=None):
        """The p-norm over ``dim`` (all elements by default): ``'fro'``/2, 1, ``inf``, any p."""
        x = _floated(self if dtype is None else self.type(dtype), "norm")
        if p in ("fro", 2, 2.0):
            return ops.EuclideanNorm.apply(x, dim=_dims(dim, None, self.ndim), keepdim=keepdim)
        if p in (1, 1.0):
            return x.abs().sum(dim, keepdim)
        if p == float("inf"):
            return x.abs().amax(() if dim is None else dim, keepdim)
        if p == float("-inf"):
            return x.abs().amin(() if dim is None else dim, keepdim)
        if isinstance(p, str):
            raise NotImplementedError(f"norm: p={p!r} (only 'fro' and numbers)")
        return (x.abs() ** p).sum(dim, keepdim) ** (1.0 / p)

    def logsumexp(self, dim, keepdim: bool = False):
        """``log(sum(exp(x)))`` over ``dim``, computed stably around the maximum."""
        x = _floated(self, "logsumexp")
        peak = x.detach().amax(dim, keepdim=True)
        peak = peak.masked_fill(~peak.isfinite(), 0)
        out = (x - peak).exp().sum(dim, keepdim=True).log() + peak
        return out if keepdim else out.squeeze(dim)

    def cumsum(self, dim: int, *, dtype=None):
        source = self if dtype is None else self.type(dtype)
        if not is_floating(source._data.dtype):
            return type(self)._wrap(np.cumsum(source._data.astype(np.int64), axis=dim))
        return ops.CumSum.apply(source, dim=_axis(dim, self.ndim))

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        """The values along ``dim`` in order, and where each came from (ties keep their order)."""
        dim = _axis(dim, self.ndim)
        if self.ndim == 0:
            return SortResult(self.clone(), type(self)._wrap(np.asarray(0, np.int64)))
        return SortResult(*self._pick(_order(self._data, dim, descending), dim, True))

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False):
        return self.sort(dim, descending, stable).indices

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
        """The ``k`` largest (``largest=False``: smallest) values along ``dim`` and their
        indices, largest first."""
        dim = _axis(dim, self.ndim)
        if not 0 <= k <= (self._data.shape[dim] if self.ndim else 1):
            raise RuntimeError(f"topk: k ({k}) is out of range for dimension {dim}")
        if self.ndim == 0:
            return TopKResult(self.clone(), type(self)._wrap(np.asarray(0, np.int64)))
        order = _order(self._data, dim, largest)
        first = np.take(order, np.arange(k), axis=dim)
        return TopKResult(*self._pick(first, dim, True))

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False):
        """The ``k``-th smallest value along ``dim`` (from 1) and its index."""
        dim = _axis(dim, self.ndim)
        order = _order(self._data, dim, False)
        index = np.take(order, [k - 1], axis=dim)
        return KthValueResult(*self._pick(index, dim, keepdim))

    def median(self, dim=None, keepdim: bool = False):
        """The lower median (for an even count, the smaller of the two middle values, as
        PyTorch); along ``dim``, also its index."""
        if dim is None:
            flat = self.reshape(-1)
            return flat.kthvalue((flat.numel() + 1) // 2, 0).values
        dim = _axis(dim, self.ndim)
        count = self._data.shape[dim] if self.ndim else 1
        return MedianResult(*self.kthvalue((count + 1) // 2, dim, keepdim))


def _order(data: np.ndarray, dim: int, descending: bool) -> np.ndarray:
    """A stable ordering along ``dim`` (descending: ties still in their original order)."""
    if not descending:
        return np.argsort(data, axis=dim, kind="stable")
    keys = data.astype(np.int64) if data.dtype.kind in "ub" else data
    return np.argsort(-keys, axis=dim, kind="stable")


def _dims(dim, axis, ndim: int):
    """``dim`` (or its alias ``axis``) as an int, a tuple of ints, or None for all."""
    dim = axis if dim is None else dim
    if dim is None:
        return None
    if isinstance(dim, int | np.integer):
        return _axis(int(dim), ndim)
    return tuple(_axis(int(d), ndim) for d in dim)


def _floated(t, name: str):
    if is_floating(t._data.dtype):
        return t
    raise RuntimeTypeError(f"{name}(): expected a floating point tensor, got dtype {t.dtype}")


def _arg_reduce(t, dim, keepdim: bool, find) -> np.ndarray:
    data = t._data
    if dim is None:
        index = np.asarray(find(data), dtype=np.int64)
        return index.reshape((1,) * data.ndim) if keepdim else index
    dim = _axis(dim, data.ndim)
    if data.ndim == 0:
        return np.asarray(0, dtype=np.int64)
    index = find(data, axis=dim).astype(np.int64)
    return np.expand_dims(index, dim) if keepdim else index


def _dtype(value) -> np.dtype:
    return to_numpy(value)


from cnnlab.autograd import reduce_ops as ops  # noqa: E402  (reduce_ops needs Tensor)
