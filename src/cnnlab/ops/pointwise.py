"""Elementwise nonlinearities beyond the chapter's ReLU, tanh and sigmoid, with their backward.

Each pair is ``f(x)`` and ``dL/dx = dL/dy * f'(x)`` on arrays of any shape, written as PyTorch
writes them (``torch.nn.functional``), including its choice of derivative at the kinks.
"""

from __future__ import annotations

import math

import numpy as np


def _const(value: float, like: np.ndarray) -> np.ndarray:
    return np.asarray(value, dtype=like.dtype)


def leaky_relu(x: np.ndarray, negative_slope: float) -> np.ndarray:
    """``x`` for ``x > 0``, else ``negative_slope * x`` (``F.leaky_relu``)."""
    return np.where(x > 0, x, x * _const(negative_slope, x))


def leaky_relu_backward(grad: np.ndarray, x: np.ndarray, negative_slope: float) -> np.ndarray:
    """``dL/dx = dL/dy`` for ``x > 0``, else ``negative_slope * dL/dy``."""
    return np.where(x > 0, grad, grad * _const(negative_slope, grad))


def hardtanh(x: np.ndarray, min_val: float, max_val: float) -> np.ndarray:
    """``min(max(x, min_val), max_val)`` (``F.hardtanh``; ``F.relu6`` is ``hardtanh(x, 0, 6)``)."""
    return np.clip(x, _const(min_val, x), _const(max_val, x))


def hardtanh_backward(grad: np.ndarray, x: np.ndarray, min_val: float, max_val: float):
    """``dL/dy`` strictly inside ``(min_val, max_val)``, 0 elsewhere (PyTorch's choice at the
    ends)."""
    return np.where((x > min_val) & (x < max_val), grad, _const(0, grad))


def elu(x: np.ndarray, alpha: float) -> np.ndarray:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)`` (``F.elu``)."""
    return np.where(x > 0, x, _const(alpha, x) * np.expm1(np.minimum(x, 0)))


def elu_backward(grad: np.ndarray, x: np.ndarray, alpha: float) -> np.ndarray:
    """``dL/dy`` for ``x > 0``, else ``dL/dy * alpha * exp(x)``."""
    return np.where(x > 0, grad, grad * _const(alpha, x) * np.exp(np.minimum(x, 0)))


def celu(x: np.ndarray, alpha: float) -> np.ndarray:
    """``max(0, x) + min(0, alpha (exp(x / alpha) - 1))`` (``F.celu``)."""
    return np.where(x > 0, x, _const(alpha, x) * np.expm1(np.minimum(x, 0) / _const(alpha, x)))


def celu_backward(grad: np.ndarray, x: np.ndarray, alpha: float) -> np.ndarray:
    """``dL/dy`` for ``x > 0``, else ``dL/dy * exp(x / alpha)``, with PyTorch's rounding:
    its derivative divides by alpha rounded to float32."""
    inverse = _const(1.0 / float(np.float32(alpha)), x)
    slope = inverse * _const(alpha, x) * np.exp(np.minimum(x, 0) * inverse)
    return np.where(x > 0, grad, grad * slope)


def _erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf  # scipy loads on first use, not on import

    return erf(x).astype(x.dtype, copy=False)


_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_CUBIC = 0.044715


def gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """``x * Phi(x) = x/2 (1 + erf(x / sqrt 2))`` (``F.gelu``); with ``approximate='tanh'``,
    ``x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``."""
    if approximate == "tanh":
        inner = _const(_SQRT_2_OVER_PI, x) * (x + _const(_TANH_CUBIC, x) * x * x * x)
        return _const(0.5, x) * x * (1 + np.tanh(inner))
    return x * _const(0.5, x) * (1 + _erf(x * _const(_SQRT_HALF, x)))


def gelu_backward(grad: np.ndarray, x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """``dL/dy * (Phi(x) + x phi(x))``, or the derivative of the tanh form."""
    if approximate == "tanh":
        inner = _const(_SQRT_2_OVER_PI, x) * (x + _const(_TANH_CUBIC, x) * x * x * x)
        t = np.tanh(inner)
        d_inner = _const(_SQRT_2_OVER_PI, x) * (1 + _const(3 * _TANH_CUBIC, x) * x * x)
        return grad * (_const(0.5, x) * (1 + t) + _const(0.5, x) * x * (1 - t * t) * d_inner)
    cdf = _const(0.5, x) * (1 + _erf(x * _const(_SQRT_HALF, x)))
    pdf = _const(_INV_SQRT_2PI, x) * np.exp(_const(-0.5, x) * x * x)
    return grad * (cdf + x * pdf)


def silu(x: np.ndarray, sigmoid_x: np.ndarray) -> np.ndarray:
    """``x * sigmoid(x)`` (``F.silu``, also called swish)."""
    return x * sigmoid_x


def silu_backward(grad: np.ndarray, x: np.ndarray, sigmoid_x: np.ndarray) -> np.ndarray:
    """``dL/dy * s (1 + x (1 - s))``, ``s = sigmoid(x)``."""
    return grad * sigmoid_x * (1 + x * (1 - sigmoid_x))


def hardswish(x: np.ndarray) -> np.ndarray:
    """``x * relu6(x + 3) / 6`` (``F.hardswish``)."""
    return x * np.clip(x + 3, 0, 6) / _const(6, x)


def hardswish_backward(grad: np.ndarray, x: np.ndarray) -> np.ndarray:
    """0 below -3, ``dL/dy (x/3 + 1/2)`` on [-3, 3], ``dL/dy`` above 3 (as PyTorch)."""
    middle = grad * (x / _const(3, x) + _const(0.5, x))
    return np.where(x < -3, _const(0, grad), np.where(x <= 3, middle, grad))


def hardsigmoid(x: np.ndarray) -> np.ndarray:
    """``relu6(x + 3) / 6`` (``F.hardsigmoid``)."""
    return np.clip(x + 3, 0, 6) / _const(6, x)


_ONE_SIXTH = float(np.float32(1 / 6))  # PyTorch's kernel holds 1/6 as a float32 constant


def hardsigmoid_backward(grad: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``dL/dy / 6`` strictly inside (-3, 3), else 0 (1/6 rounded to float32, as PyTorch)."""
    return np.where((x > -3) & (x < 3), grad * _const(_ONE_SIXTH, grad), _const(0, grad))


def softplus(x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
    """``log(1 + exp(beta x)) / beta``; ``x`` itself where ``beta x > threshold``."""
    scaled = x * _const(beta, x)
    soft = np.log1p(np.exp(np.minimum(scaled, threshold))) / _const(beta, x)
    return np.where(scaled > threshold, x, soft)


def softplus_backward(grad: np.ndarray, x: np.ndarray, beta: float, threshold: float):
    """``dL/dy * z / (z + 1)``, ``z = exp(beta x)``; ``dL/dy`` where ``beta x > threshold``."""
    scaled = x * _const(beta, x)
    z = np.exp(np.minimum(scaled, threshold))
    return np.where(scaled > threshold, grad, grad * z / (z + 1))


def mish(x: np.ndarray) -> np.ndarray:
    """``x * tanh(softplus(x))`` (``F.mish``)."""
    return x * np.tanh(softplus(x, 1.0, 20.0))


def mish_backward(grad: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``dL/dy * (t + x sigmoid(x) (1 - t^2))``, ``t = tanh(softplus(x))``."""
    t = np.tanh(softplus(x, 1.0, 20.0))
    sigmoid_x = 1 / (1 + np.exp(-x))
    return grad * (t + x * sigmoid_x * (1 - t * t))


def prelu(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``x`` for ``x > 0``, else ``a x`` with a learned slope per channel (``F.prelu``): weight
    (1,) or (C,), C the channels of x (dimension 1)."""
    return np.where(x > 0, x, _channel_view(weight, x) * x)


def prelu_backward(grad: np.ndarray, x: np.ndarray, weight: np.ndarray):
    """``dL/dx = dL/dy`` for ``x > 0``, else ``a dL/dy``; ``dL/da = sum of dL/dy * x`` over
    the inputs below zero that share the slope."""
    a = _channel_view(weight, x)
    grad_x = np.where(x > 0, grad, a * grad)
    per_input = np.where(x > 0, 0, grad * x)
    if weight.size == 1:
        return grad_x, np.asarray(per_input.sum(), grad.dtype).reshape(weight.shape)
    return grad_x, per_input.sum(axis=tuple(i for i in range(x.ndim) if i != 1))


def _channel_view(weight: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The slopes shaped to broadcast along x's channel dimension (dimension 1)."""
    if weight.size == 1:
        return weight.reshape(())
    return weight.reshape((1, -1) + (1,) * (x.ndim - 2))
