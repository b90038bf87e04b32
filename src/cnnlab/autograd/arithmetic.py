"""The arithmetic of ``Tensor``: operators with PyTorch's broadcasting and dtype promotion,
comparisons and logical operators (bool results, no gradient), and elementwise functions."""

from __future__ import annotations

from numbers import Number

import numpy as np

from cnnlab.autograd.errors import RuntimeTypeError
from cnnlab.autograd.shaping import _axis
from cnnlab.autograd.types import default_dtype, is_floating, result_dtype


class ArithmeticMethods:
    """Mixed into ``Tensor``: ``+ - * / // % ** @``, comparisons, ``exp``, ``log``, ...; the
    method forms take PyTorch's keywords (``add(other, alpha=2)``, ``div(other,
    rounding_mode='floor')``)."""

    __slots__ = ()

    # ----- operators
    def __add__(self, other):
        return ops.Add.apply(self, _operand(other, self))

    def __radd__(self, other):
        return ops.Add.apply(_operand(other, self), self)

    def __sub__(self, other):
        return ops.Sub.apply(self, _operand(other, self))

    def __rsub__(self, other):
        return ops.Sub.apply(_operand(other, self), self)

    def __mul__(self, other):
        return ops.Mul.apply(self, _operand(other, self))

    def __rmul__(self, other):
        return ops.Mul.apply(_operand(other, self), self)

    def __truediv__(self, other):
        return ops.Div.apply(self, _operand(other, self))

    def __rtruediv__(self, other):
        return ops.Div.apply(_operand(other, self), self)

    def __floordiv__(self, other):
        return self.div(other, rounding_mode="floor")

    def __rfloordiv__(self, other):
        return _operand(other, self).div(self, rounding_mode="floor")

    def __mod__(self, other):
        return self.remainder(other)

    def __rmod__(self, other):
        return _operand(other, self).remainder(self)

    def __neg__(self):
        if self._data.dtype == np.bool_:
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        if isinstance(exponent, ArithmeticMethods):
            return ops.PowTensor.apply(self, exponent)
        return ops.Pow.apply(_floated(self, exponent), exponent=exponent)

    def __rpow__(self, base):
        return ops.PowTensor.apply(_operand(base, self), self)

    def __matmul__(self, other):
        return ops.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return ops.MatMul.apply(_operand(other, self), self)

    def __abs__(self):
        return self.abs()

    # ----- method forms
    def add(self, other, *, alpha=1):
        return self + (other if alpha == 1 else _operand(other, self) * alpha)

    def sub(self, other, *, alpha=1):
        return self - (other if alpha == 1 else _operand(other, self) * alpha)

    def mul(self, other):
        return self * other

    def div(self, other, *, rounding_mode: str | None = None):
        """``self / other``; ``rounding_mode='floor'`` or ``'trunc'`` rounds the quotient (no
        gradient through the rounding, as in PyTorch)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(
                f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}"
            )
        other = _operand(other, self)
        if not is_floating(self._data.dtype) and not is_floating(other._data.dtype):
            a, b = ops._same_dtype(self._data, other._data)
            if (b == 0).any():
                raise ZeroDivisionError("ZeroDivisionError: integer division by zero")
            quotient = np.floor_divide(a, b) if rounding_mode == "floor" else np.fix(a / b)
            return type(self)._wrap(np.asarray(quotient).astype(a.dtype))
        return (self / other)._rounded(np.floor if rounding_mode == "floor" else np.trunc)

    def remainder(self, other):
        """``self - floor(self / other) * other``: the sign of ``other``, as Python's ``%``."""
        other = _operand(other, self)
        if not is_floating(self._data.dtype) and not is_floating(other._data.dtype):
            a, b = ops._same_dtype(self._data, other._data)
            return type(self)._wrap(np.asarray(np.remainder(a, b)))
        return self - self.div(other, rounding_mode="floor") * other

    def fmod(self, other):
        """``self - trunc(self / other) * other``: the sign of ``self``."""
        return self - self.div(other, rounding_mode="trunc") * other

    floor_divide = __floordiv__
    true_divide = divide = __truediv__
    multiply = mul
    subtract = sub
    neg = negative = __neg__

    def matmul(self, other):
        return self @ other

    def mm(self, other):
        _need_dims("mm", 2, self, other)
        return self @ other

    def bmm(self, other):
        _need_dims("bmm", 3, self, other)
        return self @ other

    def mv(self, vec):
        _need_dims("mv", 2, self)
        _need_dims("mv", 1, vec)
        return self @ vec

    def dot(self, other):
        _need_dims("dot", 1, self, other)
        return self @ other

    inner = dot

    def outer(self, other):
        _need_dims("outer", 1, self, other)
        return self.unsqueeze(1) * other.unsqueeze(0)

    ger = outer

    def pow(self, exponent):
        return self**exponent

    def square(self):
        return self * self

    def lerp(self, end, weight):
        """``self + weight * (end - self)``."""
        return self + (_operand(end, self) - self) * weight

    def addcmul(self, tensor1, tensor2, *, value=1):
        return self + tensor1 * tensor2 * value

    def addcdiv(self, tensor1, tensor2, *, value=1):
        return self + tensor1 / tensor2 * value

    # ----- elementwise functions
    def exp(self):
        return ops.Exp.apply(_floated(self))

    def log(self):
        return ops.Log.apply(_floated(self))

    def sqrt(self):
        return ops.Sqrt.apply(_floated(self))

    def abs(self):
        return ops.Abs.apply(self)

    absolute = abs

    def tanh(self):
        return ops.Tanh.apply(_floated(self))

    def sigmoid(self):
        return ops.Sigmoid.apply(_floated(self))

    def relu(self):
        return ops.ReLU.apply(self)

    def rsqrt(self):
        return self._smooth(lambda x: 1 / np.sqrt(x), lambda x, y: -0.5 * y * y * y, "Rsqrt")

    def reciprocal(self):
        return self._smooth(lambda x: 1 / x, lambda x, y: -y * y, "Reciprocal")

    def log2(self):
        return self._smooth(np.log2, lambda x, y: 1 / (x * np.log(2)), "Log2")

    def log10(self):
        return self._smooth(np.log10, lambda x, y: 1 / (x * np.log(10)), "Log10")

    def log1p(self):
        return self._smooth(np.log1p, lambda x, y: 1 / (1 + x), "Log1p")

    def expm1(self):
        return self._smooth(np.expm1, lambda x, y: y + 1, "Expm1")

    def exp2(self):
        return self._smooth(np.exp2, lambda x, y: y * np.log(2), "Exp2")

    def sin(self):
        return self._smooth(np.sin, lambda x, y: np.cos(x), "Sin")

    def cos(self):
        return self._smooth(np.cos, lambda x, y: -np.sin(x), "Cos")

    def sign(self):
        if self._data.dtype == np.bool_:
            return type(self)._wrap(self._data.copy())
        return self._rounded(np.sign)

    sgn = sign

    def floor(self):
        return self._rounded(np.floor)

    def ceil(self):
        return self._rounded(np.ceil)

    def trunc(self):
        return self._rounded(np.trunc)

    fix = trunc

    def round(self, decimals: int = 0):
        return self._rounded(lambda x: np.round(x, decimals))

    def frac(self):
        return self - self.trunc()

    def _smooth(self, f, derivative, op: str):
        return ops.Elementwise.apply(_floated(self), f=f, derivative=derivative, op=op)

    def _rounded(self, f):
        """``f`` that is piecewise constant: its gradient is zero (an integer tensor is kept)."""
        if not is_floating(self._data.dtype):
            return type(self)._wrap(np.asarray(f(self._data)).astype(self._data.dtype))
        name = getattr(f, "__name__", "Round").capitalize()
        return ops.Elementwise.apply(self, f=f, derivative=_zero_derivative, op=name)

    def clamp(self, min=None, max=None):
        """Each element limited to ``[min, max]`` (either may be omitted or a tensor)."""
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, ArithmeticMethods) or isinstance(max, ArithmeticMethods):
            out = self if min is None else self.maximum(_operand(min, self))
            return out if max is None else out.minimum(_operand(max, self))
        source = _floated(_floated(self, min), max)
        return ops.Clamp.apply(source, low=min, high=max)

    clip = clamp

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def maximum(self, other):
        return ops.Maximum.apply(self, _operand(other, self))

    def minimum(self, other):
        return ops.Maximum.apply(self, _operand(other, self), smallest=True)

    def softmax(self, dim: int, dtype=None):
        source = _floating(self if dtype is None else self.type(dtype), "softmax")
        return ops.Softmax.apply(source, dim=_axis(dim, self.ndim))

    def log_softmax(self, dim: int, dtype=None):
        source = _floating(self if dtype is None else self.type(dtype), "log_softmax")
        return ops.LogSoftmax.apply(source, dim=_axis(dim, self.ndim))


def _zero_derivative(x, out):
    return np.zeros_like(x)


def _need_dims(name: str, ndim: int, *tensors) -> None:
    for t in tensors:
        if t.ndim != ndim:
            raise RuntimeError(f"{name}: expected {ndim}-D tensors, got a {t.ndim}-D tensor")


def _floating(t, name: str):
    if not is_floating(t._data.dtype):
        raise RuntimeTypeError(f"{name}: expected a floating point tensor, got dtype {t.dtype}")
    return t


def _floated(t, value=1.5):
    """``t`` as the default float dtype when it is an integer tensor and ``value`` a float
    (PyTorch computes ``int_tensor * 0.5`` and ``int_tensor.exp()`` in floating point)."""
    floating = isinstance(value, float | np.floating) or (
        isinstance(value, np.ndarray) and is_floating(value.dtype)
    )
    if floating and not is_floating(t._data.dtype):
        return t.type(default_dtype())
    return t


def _operand(value, like):
    """Turn a Python number or array into a constant tensor of the dtype PyTorch would pick."""
    if isinstance(value, ArithmeticMethods):
        return value
    if isinstance(value, Number | np.number | bool):
        return type(like)._wrap(np.asarray(value, dtype=result_dtype(like._data.dtype, value)))
    return type(like)._wrap(np.asarray(value))


from cnnlab.autograd import math_ops as ops  # noqa: E402  (math_ops needs Tensor, which needs this)
