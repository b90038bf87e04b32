"""Differentiable arithmetic and elementwise functions (reductions: ``reduce_ops``; shape
ops: ``shape_ops``; indexing: ``index_ops``).

Each class is one op: ``forward`` on arrays next to the ``backward`` that the chain rule gives it.
"""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.function import Function
from cnnlab.autograd.types import default_dtype, promote
from cnnlab.ops import activation


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes broadcasting added or stretched, back to ``shape``."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


def _same_dtype(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dtype = promote(a, b)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False)


class Cast(Function):
    def forward(self, x, dtype):
        self.dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        return grad.astype(self.dtype)


class Clone(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


class Add(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return np.add(*_same_dtype(a, b))

    def backward(self, grad):
        return unbroadcast(grad, self.shapes[0]), unbroadcast(grad, self.shapes[1])


class Sub(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return np.subtract(*_same_dtype(a, b))

    def backward(self, grad):
        return unbroadcast(grad, self.shapes[0]), unbroadcast(-grad, self.shapes[1])


class Mul(Function):
    """``a * b``; each saves only what the other's gradient needs (as PyTorch, so an in-place
    change raises at backward exactly where it would there)."""

    def forward(self, a, b):
        a, b = _same_dtype(a, b)
        self.shapes = a.shape, b.shape
        self.a = a if self.needs_input_grad[1] else None
        self.b = b if self.needs_input_grad[0] else None
        return a * b

    def backward(self, grad):
        ga = unbroadcast(grad * self.b, self.shapes[0]) if self.needs_input_grad[0] else None
        gb = unbroadcast(grad * self.a, self.shapes[1]) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    def forward(self, a, b):
        a, b = _same_dtype(a, b)
        if a.dtype.kind != "f":
            a, b = a.astype(default_dtype()), b.astype(default_dtype())
        self.shapes = a.shape, b.shape
        self.a = a if self.needs_input_grad[1] else None
        self.b = b
        return a / b

    def backward(self, grad):
        ga = unbroadcast(grad / self.b, self.shapes[0]) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            gb = unbroadcast(-grad * self.a / (self.b * self.b), self.shapes[1])
        return ga, gb


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, grad):
        return -grad


class Pow(Function):
    """``x ** p`` for a constant exponent p."""

    def forward(self, x, exponent):
        self.x, self.exponent = x, exponent
        return x**exponent

    def backward(self, grad):
        return grad * self.exponent * self.x ** (self.exponent - 1)


class PowTensor(Function):
    """``a ** b`` for two tensors."""

    def forward(self, a, b):
        self.a, self.b = _same_dtype(a, b)
        self.out = self.a**self.b
        return self.out

    def backward(self, grad):
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(grad * self.b * self.a ** (self.b - 1), self.a.shape)
        if self.needs_input_grad[1]:
            gb = unbroadcast(grad * self.out * np.log(self.a), self.b.shape)
        return ga, gb


class MatMul(Function):
    """``a @ b`` with NumPy's rules for 1-D and batched operands."""

    def forward(self, a, b):
        a, b = _same_dtype(a, b)
        self.shapes = a.shape, b.shape
        self.a = a if self.needs_input_grad[1] else None
        self.b = b if self.needs_input_grad[0] else None
        return a @ b

    def backward(self, grad):
        shape_a, shape_b = self.shapes
        a_shape = shape_a if len(shape_a) > 1 else (1, *shape_a)
        b_shape = shape_b if len(shape_b) > 1 else (*shape_b, 1)
        if len(shape_a) == 1 or len(shape_b) == 1:
            batch = np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
            grad = grad.reshape(*batch, a_shape[-2], b_shape[-1])
        ga = gb = None
        if self.needs_input_grad[0]:
            b = self.b.reshape(b_shape)
            ga = unbroadcast(grad @ b.swapaxes(-1, -2), a_shape).reshape(shape_a)
        if self.needs_input_grad[1]:
            a = self.a.reshape(a_shape)
            gb = unbroadcast(a.swapaxes(-1, -2) @ grad, b_shape).reshape(shape_b)
        return ga, gb


class Exp(Function):
    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, grad):
        return grad * self.out


class Log(Function):
    def forward(self, x):
        self.x = x
        return np.log(x)

    def backward(self, grad):
        return grad / self.x


class Sqrt(Function):
    def forward(self, x):
        self.out = np.sqrt(x)
        return self.out

    def backward(self, grad):
        return grad / (2 * self.out)


class Abs(Function):
    def forward(self, x):
        self.x = x
        return np.abs(x)

    def backward(self, grad):
        return grad * np.sign(self.x)


class Tanh(Function):
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, grad):
        return activation.tanh_backward(grad, self.out)


class Sigmoid(Function):
    def forward(self, x):
        self.out = activation.sigmoid(x)
        return self.out

    def backward(self, grad):
        return activation.sigmoid_backward(grad, self.out)


class ReLU(Function):
    def forward(self, x):
        self.out = activation.relu(x)
        return self.out

    def backward(self, grad):
        return activation.relu_backward(grad, self.out)


class Clamp(Function):
    """``min(max(x, low), high)``; the gradient passes where ``low <= x <= high``."""

    def forward(self, x, low, high):
        self.x, self.low, self.high = x, low, high
        return np.clip(x, low, high).astype(x.dtype, copy=False)

    def backward(self, grad):
        inside = np.ones(self.x.shape, dtype=bool)
        if self.low is not None:
            inside &= self.x >= self.low
        if self.high is not None:
            inside &= self.x <= self.high
        return grad * inside


class Softmax(Function):
    def forward(self, x, dim):
        self.dim = dim
        self.out = activation.softmax(x, dim)
        return self.out

    def backward(self, grad):
        return activation.softmax_backward(grad, self.out, self.dim)


class LogSoftmax(Function):
    def forward(self, x, dim):
        self.dim = dim
        self.out = activation.log_softmax(x, dim)
        return self.out

    def backward(self, grad):
        return activation.log_softmax_backward(grad, self.out, self.dim)


class Maximum(Function):
    """Elementwise maximum (``smallest``: minimum); a tie sends half the gradient each way, as
    in PyTorch."""

    def forward(self, a, b, smallest=False):
        a, b = _same_dtype(a, b)
        self.share_a = ((a < b) if smallest else (a > b)) + 0.5 * (a == b)
        self.shapes = a.shape, b.shape
        return np.minimum(a, b) if smallest else np.maximum(a, b)

    def backward(self, grad):
        ga = unbroadcast(grad * self.share_a, self.shapes[0]).astype(grad.dtype)
        gb = unbroadcast(grad * (1 - self.share_a), self.shapes[1]).astype(grad.dtype)
        return ga, gb


class Elementwise(Function):
    """``f(x)`` for an elementwise ``f`` given with its derivative ``derivative(x, out)``
    (sin, cos, log2, floor, ...); ``op`` names it (``Log2Backward``)."""

    def forward(self, x, f, derivative, op):
        out = f(x)
        self.x, self.out, self.derivative, self.op = x, out, derivative, op
        return out

    def backward(self, grad):
        return (grad * self.derivative(self.x, self.out)).astype(grad.dtype, copy=False)

    @property
    def name(self) -> str:
        return f"{self.op}Backward"


# The reductions, shape and index ops live in their own modules; their names stay importable here.
from cnnlab.autograd.index_ops import Where  # noqa: E402, F401
from cnnlab.autograd.reduce_ops import AMax, Mean, Sum, TakeAlong  # noqa: E402, F401
from cnnlab.autograd.shape_ops import (  # noqa: E402, F401
    Cat,
    Expand,
    GetItem,
    Permute,
    Reshape,
    Stack,
)
