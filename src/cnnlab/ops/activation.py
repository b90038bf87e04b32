"""Elementwise activations, softmax and dropout: forward and backward on arrays of any shape."""

from __future__ import annotations

from contextlib import suppress

import numpy as np

from cnnlab.ops.arrays import check_axis, real_array

# Below this many elements NumPy's own loop is as fast as a call into a compiled kernel.
COMPILED_MIN_SIZE = 16_384
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def relu(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)``; integers become float64. :func:`relu_reference`, in one compiled pass for
    large float arrays."""
    x = real_array(x, "relu", "x")
    if x.size >= COMPILED_MIN_SIZE and x.dtype in _FLOATS:
        from cnnlab.ops import kernels

        with suppress(kernels.NotCompiledYet):
            out = kernels.relu(x)
            if out is not None:
                return out
    return relu_reference(x)


def relu_reference(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)`` (NaN stays NaN)."""
    return np.maximum(x, 0)


def relu_backward(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:func:`relu_backward_reference`, in one compiled pass for large float arrays."""
    if y.size >= COMPILED_MIN_SIZE and y.dtype in _FLOATS:
        from cnnlab.ops import kernels

        with suppress(kernels.NotCompiledYet):
            out = kernels.relu_backward(grad, y)
            if out is not None:
                return out
    return relu_backward_reference(grad, y)


def relu_backward_reference(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``dL/dx = 0`` where the output is ``<= 0`` (PyTorch's choice at x = 0), else ``dL/dy``
    (a NaN output passes the gradient, as in PyTorch)."""
    return np.where(y <= 0, 0, grad).astype(grad.dtype, copy=False)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))``, without overflow for large ``|x|``; integers become float64."""
    x = real_array(x, "sigmoid", "x")
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def sigmoid_backward(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``dL/dx = dL/dy * y (1 - y)``."""
    return grad * y * (1 - y)


def tanh_backward(grad: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``dL/dx = dL/dy * (1 - y^2)``, as ``(1 - y)(1 + y)``: exact ``1 - y`` keeps the digits
    that ``1 - y * y`` loses where tanh saturates."""
    return grad * ((1 - y) * (1 + y))


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``x - log(sum(exp(x)))`` along ``axis`` (default the last, the class scores of
    (N, classes)), shifted by the maximum for stability; integers become float64."""
    x = real_array(x, "log_softmax", "x")
    axis = check_axis(axis, x.ndim, "log_softmax")
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """``exp(x) / sum(exp(x))`` along ``axis`` (default the last, the class scores of
    (N, classes)), as ``torch.softmax(x, dim=axis)``; integers become float64."""
    x = real_array(x, "softmax", "x")
    axis = check_axis(axis, x.ndim, "softmax")
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(grad: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
    """``dL/dx = y * (dL/dy - sum(dL/dy * y))`` along ``axis``."""
    return y * (grad - (grad * y).sum(axis=axis, keepdims=True))


def log_softmax_backward(grad: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
    """``dL/dx = dL/dy - exp(y) * sum(dL/dy)`` along ``axis`` (y is the log-softmax)."""
    return grad - np.exp(y) * grad.sum(axis=axis, keepdims=True)


def dropout_mask(shape: tuple[int, ...], p: float, rng: np.random.Generator, dtype) -> np.ndarray:
    """Keep each element with probability ``1 - p``, scaled by ``1 / (1 - p)``; p = 1 drops all."""
    if p == 1:
        return np.zeros(shape, dtype=dtype)
    keep = rng.random(shape, dtype=np.float32 if dtype == np.float32 else np.float64) >= p
    return keep.astype(dtype) / np.asarray(1 - p, dtype=dtype)
