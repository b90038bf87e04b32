"""Differentiable arithmetic, elementwise functions, reductions and shape ops.

Each class is one op: ``forward`` on arrays next to the ``backward`` that the chain rule gives it.
"""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.function import Function
from cnnlab.autograd.types import promote
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
    def forward(self, a, b):
        self.a, self.b = _same_dtype(a, b)
        return self.a * self.b

    def backward(self, grad):
        ga = unbroadcast(grad * self.b, self.a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(grad * self.a, self.b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    def forward(self, a, b):
        a, b = _same_dtype(a, b)
        if a.dtype.kind != "f":
            a, b = a.astype(np.float32), b.astype(np.float32)
        self.a, self.b = a, b
        return a / b

    def backward(self, grad):
        ga = unbroadcast(grad / self.b, self.a.shape) if self.needs_input_grad[0] else None
        gb = None
        if self.needs_input_grad[1]:
            gb = unbroadcast(-grad * self.a / (self.b * self.b), self.b.shape)
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
        self.a, self.b = _same_dtype(a, b)
        return self.a @ self.b

    def backward(self, grad):
        a = self.a if self.a.ndim > 1 else self.a[None, :]
        b = self.b if self.b.ndim > 1 else self.b[:, None]
        grad = grad.reshape((a @ b).shape) if self.a.ndim == 1 or self.b.ndim == 1 else grad
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(grad @ b.swapaxes(-1, -2), a.shape).reshape(self.a.shape)
        if self.needs_input_grad[1]:
            gb = unbroadcast(a.swapaxes(-1, -2) @ grad, b.shape).reshape(self.b.shape)
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


def _reduced_axes(dim, ndim: int) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
    return tuple(d % max(ndim, 1) for d in dims)


class Sum(Function):
    def forward(self, x, dim, keepdim):
        self.shape, self.axes, self.keepdim = x.shape, _reduced_axes(dim, x.ndim), keepdim
        return np.asarray(x.sum(axis=self.axes, keepdims=keepdim))

    def backward(self, grad):
        if not self.keepdim:
            grad = np.expand_dims(grad, self.axes)
        return np.broadcast_to(grad, self.shape)


class Mean(Function):
    def forward(self, x, dim, keepdim):
        self.shape, self.axes, self.keepdim = x.shape, _reduced_axes(dim, x.ndim), keepdim
        self.count = int(np.prod([x.shape[a] for a in self.axes]))
        return np.asarray(x.mean(axis=self.axes, keepdims=keepdim))

    def backward(self, grad):
        if not self.keepdim:
            grad = np.expand_dims(grad, self.axes)
        return np.broadcast_to(grad / self.count, self.shape)


class AMax(Function):
    """The largest (``smallest``: the smallest) element; its gradient is shared evenly among
    ties, as in PyTorch."""

    def forward(self, x, smallest=False):
        out = x.min() if smallest else x.max()
        self.winners = x == out
        return np.asarray(out)

    def backward(self, grad):
        return self.winners * (grad / self.winners.sum()).astype(grad.dtype)


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


class TakeAlong(Function):
    """Values at ``index`` along ``dim`` (max/min over a dimension); gradient goes back there."""

    def forward(self, x, index, dim):
        self.shape, self.index, self.dim = x.shape, index, dim
        return np.take_along_axis(x, index, axis=dim)

    def backward(self, grad):
        out = np.zeros(self.shape, dtype=grad.dtype)
        np.put_along_axis(out, self.index, grad, axis=self.dim)
        return out


class Reshape(Function):
    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.shape)


class Permute(Function):
    def forward(self, x, dims):
        self.inverse = tuple(np.argsort(dims))
        return x.transpose(dims)

    def backward(self, grad):
        return grad.transpose(self.inverse)


class Expand(Function):
    def forward(self, x, shape):
        self.shape = x.shape
        return np.broadcast_to(x, shape).copy()

    def backward(self, grad):
        return unbroadcast(grad, self.shape)


def _is_basic_index(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, int | slice | type(None) | type(Ellipsis)) for p in parts)


class GetItem(Function):
    def forward(self, x, index):
        self.shape, self.index, self.dtype = x.shape, index, x.dtype
        return x[index]

    def backward(self, grad):
        out = np.zeros(self.shape, dtype=grad.dtype)
        if _is_basic_index(self.index):
            out[self.index] += grad
        else:
            np.add.at(out, self.index, grad)
        return out


class Cat(Function):
    def forward(self, *arrays, dim):
        self.dim = dim
        self.bounds = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    def backward(self, grad):
        return tuple(np.split(grad, self.bounds, axis=self.dim))


class Stack(Function):
    def forward(self, *arrays, dim):
        self.dim = dim
        return np.stack(arrays, axis=dim)

    def backward(self, grad):
        return tuple(np.moveaxis(grad, self.dim, 0))


class Where(Function):
    def forward(self, a, b, condition):
        self.condition = condition
        self.shapes = a.shape, b.shape
        return np.where(condition, *_same_dtype(a, b))

    def backward(self, grad):
        zero = np.zeros((), dtype=grad.dtype)
        return (
            unbroadcast(np.where(self.condition, grad, zero), self.shapes[0]),
            unbroadcast(np.where(self.condition, zero, grad), self.shapes[1]),
        )
