"""Losses: cross entropy over class scores and mean squared error, forward and backward."""

from __future__ import annotations

import numpy as np

from cnnlab.ops.activation import log_softmax
from cnnlab.ops.arrays import real_array

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction: str, name: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _class_axis_last(x: np.ndarray) -> np.ndarray:
    """(N, C, d1, ...) -> (N * d1 * ..., C); (N, C) and (C,) pass through as 2-D."""
    if x.ndim == 1:
        return x[None, :]
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def cross_entropy(
    logits: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cross entropy of class scores and class indices: ``-w[y] log softmax(z)[y]``.

    logits (N, C) or (C,) or (N, C, d1, ...), target (N,) or () or (N, d1, ...) of class
    indices. ``mean`` divides by the summed weights of the counted targets, as PyTorch does.
    Returns the loss and, for the backward pass, the log-probabilities and the per-sample weights.
    """
    check_reduction(reduction, "cross_entropy")
    logits, target = real_array(logits, "cross_entropy", "logits"), np.asarray(target)
    log_p = log_softmax(_class_axis_last(logits), axis=1)
    flat_target = target.reshape(-1)
    counted = flat_target != ignore_index
    safe = np.where(counted, flat_target, 0)
    sample_weight = counted.astype(log_p.dtype)
    if weight is not None:
        sample_weight = sample_weight * weight[safe]
    losses = -log_p[np.arange(len(safe)), safe] * sample_weight
    if reduction == "none":
        loss = losses.reshape(target.shape)
    elif reduction == "sum":
        loss = losses.sum()
    else:
        loss = losses.sum() / sample_weight.sum()
    return np.asarray(loss, dtype=log_p.dtype), log_p, sample_weight


def cross_entropy_backward(
    grad: np.ndarray,
    log_p: np.ndarray,
    sample_weight: np.ndarray,
    target: np.ndarray,
    logits_shape: tuple[int, ...],
    reduction: str,
) -> np.ndarray:
    """``dL/dz = w[y] (softmax(z) - onehot(y))``, times the upstream gradient of the reduction."""
    safe = np.where(sample_weight != 0, target.reshape(-1), 0)
    if reduction == "none":
        scale = grad.reshape(-1) * sample_weight
    elif reduction == "sum":
        scale = grad * sample_weight
    else:
        scale = grad * sample_weight / sample_weight.sum()
    grad_z = np.exp(log_p)
    grad_z[np.arange(len(safe)), safe] -= 1
    grad_z *= scale.astype(log_p.dtype, copy=False)[:, None]
    if len(logits_shape) == 1:
        return grad_z[0]
    moved = (logits_shape[0], *logits_shape[2:], logits_shape[1])
    return np.ascontiguousarray(np.moveaxis(grad_z.reshape(moved), -1, 1))


def mse_loss(x: np.ndarray, target: np.ndarray, reduction: str = "mean") -> np.ndarray:
    """Mean squared error ``(x - target)^2``, reduced by mean, sum or not at all."""
    check_reduction(reduction, "mse_loss")
    x, target = real_array(x, "mse_loss", "x"), real_array(target, "mse_loss", "target")
    squared = (x - target) ** 2
    if reduction == "none":
        return squared
    return squared.sum() if reduction == "sum" else squared.mean()
