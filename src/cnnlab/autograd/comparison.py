"""Comparisons and logic of ``Tensor``: ``== != < <= > >=``, ``& | ^ ~``, ``isnan``,
``isclose``, ...: bool (or integer, for bitwise ops on integers) results, no gradient."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.shaping import _unwrap


class ComparisonMethods:
    """Mixed into ``Tensor``."""

    __slots__ = ()

    def _compare(self, other, op):
        return type(self)._wrap(np.asarray(op(self._data, _unwrap(other))))

    def __eq__(self, other):  # type: ignore[override]
        return self._compare(other, np.equal)

    def __hash__(self) -> int:
        # by identity, as PyTorch: two equal 0-d tensors are two keys of a dict
        return id(self)

    def __ne__(self, other):  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne

    def _bitwise(self, other, op):
        a, b = self._data, _unwrap(other)
        if a.dtype.kind == "f" or np.asarray(b).dtype.kind == "f":
            raise RuntimeError(f"{op.__name__} is not implemented for floating point tensors")
        return type(self)._wrap(np.asarray(op(a, b)))

    def __and__(self, other):
        return self._bitwise(other, np.bitwise_and)

    def __or__(self, other):
        return self._bitwise(other, np.bitwise_or)

    def __xor__(self, other):
        return self._bitwise(other, np.bitwise_xor)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self):
        if self._data.dtype.kind == "f":
            raise RuntimeError("~ (bitwise_not) is not implemented for floating point tensors")
        return type(self)._wrap(np.invert(self._data))

    bitwise_and, bitwise_or, bitwise_xor, bitwise_not = __and__, __or__, __xor__, __invert__

    def logical_and(self, other):
        return self._compare(other, np.logical_and)

    def logical_or(self, other):
        return self._compare(other, np.logical_or)

    def logical_xor(self, other):
        return self._compare(other, np.logical_xor)

    def logical_not(self):
        return type(self)._wrap(np.logical_not(self._data))

    def isnan(self):
        return type(self)._wrap(np.isnan(self._data))

    def isinf(self):
        return type(self)._wrap(np.isinf(self._data))

    def isfinite(self):
        return type(self)._wrap(np.isfinite(self._data))

    def equal(self, other) -> bool:
        return self.shape == other.shape and bool(np.array_equal(self._data, _unwrap(other)))

    def isclose(self, other, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False):
        return type(self)._wrap(np.isclose(self._data, _unwrap(other), rtol, atol, equal_nan))

    def allclose(self, other, rtol: float = 1e-5, atol: float = 1e-8, equal_nan=False) -> bool:
        return bool(np.allclose(self._data, _unwrap(other), rtol, atol, equal_nan))
