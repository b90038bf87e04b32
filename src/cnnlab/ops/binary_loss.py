"""Binary cross entropy of probabilities and of logits (``F.binary_cross_entropy``,
``F.binary_cross_entropy_with_logits``), elementwise, with their gradients for the input and
the target. Shapes: input, target and the optional weights broadcast to one shape.
"""

from __future__ import annotations

import numpy as np

LOG_FLOOR = -100.0  # PyTorch clamps log(p) and log(1 - p) here, so p = 0 or 1 stays finite
GRAD_EPSILON = 1e-12  # and divides the input gradient by at least this


def reduce(losses: np.ndarray, reduction: str) -> np.ndarray:
    """``mean``, ``sum`` or ``none`` of elementwise losses."""
    if reduction == "none":
        return losses
    return np.asarray(losses.sum() if reduction == "sum" else losses.mean(), losses.dtype)


def reduction_scale(grad: np.ndarray, shape: tuple[int, ...], reduction: str) -> np.ndarray:
    """The upstream gradient of each element under the reduction (``1/size`` for ``mean``)."""
    if reduction == "none":
        return grad
    size = max(int(np.prod(shape)), 1)
    return grad / np.asarray(size, grad.dtype) if reduction == "mean" else grad


def _clamped_logs(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(p), LOG_FLOOR), np.maximum(np.log1p(-p), LOG_FLOOR)


def binary_cross_entropy(p: np.ndarray, y: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    """``-w (y log p + (1 - y) log(1 - p))``, each log clamped at -100."""
    log_p, log_q = _clamped_logs(p)
    losses = -(y * log_p + (1 - y) * log_q)
    return losses if weight is None else losses * weight


def binary_cross_entropy_backward(
    grad: np.ndarray, p: np.ndarray, y: np.ndarray, weight: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """``dL/dp = w (p - y) / max(p (1 - p), 1e-12)`` and
    ``dL/dy = w (log(1 - p) - log p)`` (clamped logs), times the upstream gradient."""
    scale = grad if weight is None else grad * weight
    denominator = np.maximum(p * (1 - p), np.asarray(GRAD_EPSILON, p.dtype))
    log_p, log_q = _clamped_logs(p)
    return scale * (p - y) / denominator, scale * (log_q - log_p)


def log_sigmoid(x: np.ndarray) -> np.ndarray:
    """``log(1 / (1 + exp(-x))) = min(x, 0) - log1p(exp(-|x|))``, stable for any x."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def binary_cross_entropy_with_logits(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray | None, pos_weight: np.ndarray | None
) -> np.ndarray:
    """``w ((1 - y) x - (1 + (pos_weight - 1) y) log sigmoid(x))``, PyTorch's stable form of
    ``-w (pos_weight y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))``."""
    log_sig = log_sigmoid(x)
    if pos_weight is not None:
        log_sig = log_sig * ((pos_weight - 1) * y + 1)
    losses = (1 - y) * x - log_sig
    return losses if weight is None else losses * weight


def binary_cross_entropy_with_logits_backward(
    grad: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray | None,
    pos_weight: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """``dL/dx = w ((pos_weight y + 1 - y) sigmoid(x) - pos_weight y)`` and
    ``dL/dy = -w (x + (pos_weight - 1) log sigmoid(x))``, times the upstream gradient."""
    scale = grad if weight is None else grad * weight
    sigmoid_x = np.exp(log_sigmoid(x))
    if pos_weight is None:
        return scale * (sigmoid_x - y), -scale * x
    weighted = pos_weight * y
    grad_x = scale * ((weighted + 1 - y) * sigmoid_x - weighted)
    return grad_x, -scale * (x + (pos_weight - 1) * log_sigmoid(x))
