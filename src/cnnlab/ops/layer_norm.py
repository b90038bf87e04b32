"""Layer and group normalization: eq. (8.18c)'s standardization per sample instead of per
channel (``F.layer_norm``, ``F.group_norm``), forward and backward.

Both standardize rows of values, ``x_hat = (x - mean) / sqrt(var + eps)`` with the biased
variance, then scale and shift elementwise (layer norm) or per channel (group norm). No running
statistics: training and evaluation compute the same thing.
"""

from __future__ import annotations

import numpy as np


def standardize_rows(x: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """``x_hat = (x - mean) / sqrt(var + eps)`` of each row of (R, M); returns ``x_hat`` and
    ``inv_std`` (R, 1)."""
    mean = x.mean(axis=1, keepdims=True)
    centered = x - mean
    var = (centered * centered).mean(axis=1, keepdims=True)
    inv_std = (1 / np.sqrt(var + np.asarray(eps, x.dtype))).astype(x.dtype, copy=False)
    return centered * inv_std, inv_std


def standardize_rows_backward(
    grad_x_hat: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray
) -> np.ndarray:
    """``dx = inv_std (dx_hat - mean(dx_hat) - x_hat mean(dx_hat x_hat))`` per row of (R, M)."""
    mean_grad = grad_x_hat.mean(axis=1, keepdims=True)
    mean_grad_x_hat = (grad_x_hat * x_hat).mean(axis=1, keepdims=True)
    return (grad_x_hat - mean_grad - x_hat * mean_grad_x_hat) * inv_std


def layer_norm(
    x: np.ndarray,
    normalized_shape: tuple[int, ...],
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    eps: float,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """``y = x_hat * weight + bias`` over the last ``len(normalized_shape)`` dimensions.

    x (*, *normalized_shape), weight and bias ``normalized_shape``; returns ``y`` and the saved
    ``(x_hat, inv_std)`` as rows.
    """
    size = int(np.prod(normalized_shape))
    x_hat, inv_std = standardize_rows(x.reshape(-1, size), eps)
    y = x_hat.reshape(x.shape)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y, (x_hat, inv_std)


def layer_norm_backward(
    grad: np.ndarray,
    saved: tuple[np.ndarray, np.ndarray],
    normalized_shape: tuple[int, ...],
    weight: np.ndarray | None,
    needs: tuple[bool, bool, bool],
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Gradients (input, weight, bias) of :func:`layer_norm`; weight and bias gradients are
    summed over the leading dimensions."""
    x_hat, inv_std = saved
    rows = grad.reshape(x_hat.shape)
    grad_weight = (rows * x_hat).sum(axis=0).reshape(normalized_shape) if needs[1] else None
    grad_bias = rows.sum(axis=0).reshape(normalized_shape) if needs[2] else None
    grad_x = None
    if needs[0]:
        grad_x_hat = rows if weight is None else rows * weight.reshape(1, -1)
        grad_x = standardize_rows_backward(grad_x_hat, x_hat, inv_std).reshape(grad.shape)
    return grad_x, grad_weight, grad_bias


def group_norm(
    x: np.ndarray,
    num_groups: int,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    eps: float,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Standardize each group of ``C / num_groups`` channels of each sample, then
    ``y = x_hat * weight[c] + bias[c]``. x (N, C, *), weight and bias (C,)."""
    n, c = x.shape[:2]
    x_hat, inv_std = standardize_rows(x.reshape(n * num_groups, -1), eps)
    y = x_hat.reshape(x.shape)
    channel = (1, c) + (1,) * (x.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(channel)
    if bias is not None:
        y = y + bias.reshape(channel)
    return y, (x_hat, inv_std)


def group_norm_backward(
    grad: np.ndarray,
    saved: tuple[np.ndarray, np.ndarray],
    weight: np.ndarray | None,
    needs: tuple[bool, bool, bool],
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Gradients (input, weight, bias) of :func:`group_norm`."""
    x_hat, inv_std = saved
    c = grad.shape[1]
    reduced = (0, *range(2, grad.ndim))
    grad_bias = grad.sum(axis=reduced) if needs[2] else None
    grad_weight = (grad * x_hat.reshape(grad.shape)).sum(axis=reduced) if needs[1] else None
    grad_x = None
    if needs[0]:
        channel = (1, c) + (1,) * (grad.ndim - 2)
        grad_x_hat = grad if weight is None else grad * weight.reshape(channel)
        grad_x = standardize_rows_backward(grad_x_hat.reshape(x_hat.shape), x_hat, inv_std).reshape(
            grad.shape
        )
    return grad_x, grad_weight, grad_bias
