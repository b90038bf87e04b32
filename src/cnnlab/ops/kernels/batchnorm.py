"""Batch normalization in training mode (eq. 8.18), compiled: equal to
``norm.batch_norm_reference`` and its backward, one channel per row."""

from __future__ import annotations

import numpy as np

from cnnlab.ops.kernels.compiling import ints, kernel
from cnnlab.ops.threads import run_split


@kernel("in2", "in2", "in2", "out2", "out2", "out2", *ints(2))
def _batch_norm_train(x, affine, eps_var, y, x_hat, stats, start, stop):
    """Rows are channels: mean and biased variance (two passes, float64 sums), then
    ``x_hat = (x - mean) / sqrt(var + eps)`` and ``y = gamma x_hat + beta``.
    ``affine`` is (C, 2): gamma, beta; ``eps_var`` (1, 1) holds eps; ``stats`` (C, 3) receives
    mean, var, 1/sqrt(var + eps)."""
    count = x.shape[1]
    eps = eps_var[0, 0]
    for c in range(start, stop):
        total = 0.0
        for m in range(count):
            total += x[c, m]
        mean = total / count
        squares = 0.0
        for m in range(count):
            d = x[c, m] - mean
            squares += d * d
        var = squares / count
        inv_std = 1.0 / np.sqrt(var + eps)
        stats[c, 0], stats[c, 1], stats[c, 2] = mean, var, inv_std
        gamma, beta = affine[c, 0], affine[c, 1]
        for m in range(count):
            h = (x[c, m] - mean) * inv_std
            x_hat[c, m] = h
            y[c, m] = h * gamma + beta


@kernel("in2", "in2", "in2", "in2", "out2", "out2", *ints(2))
def _batch_norm_backward(grad_y, x_hat, affine, inv_std, grad_x, sums, start, stop):
    """Rows are channels: ``sums`` (C, 2) receives sum(dy) and sum(dy x_hat) (beta's and gamma's
    gradients); ``dx = gamma inv_std (dy - mean(dy) - x_hat mean(dy x_hat))``."""
    count = grad_y.shape[1]
    for c in range(start, stop):
        total, dot = 0.0, 0.0
        for m in range(count):
            total += grad_y[c, m]
            dot += grad_y[c, m] * x_hat[c, m]
        sums[c, 0], sums[c, 1] = total, dot
        scale = affine[c, 0] * inv_std[c, 0]
        mean_grad, mean_dot = total / count, dot / count
        for m in range(count):
            grad_x[c, m] = scale * (grad_y[c, m] - mean_grad - x_hat[c, m] * mean_dot)


def channel_rows(x: np.ndarray) -> np.ndarray:
    """(N, C, ...) -> the C-contiguous (C, N * ...) matrix, a view when memory allows."""
    return np.ascontiguousarray(np.moveaxis(x, 1, 0)).reshape(x.shape[1], -1)


def from_channel_rows(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`channel_rows`: an (N, C, ...) view of a (C, N * ...) matrix."""
    return np.moveaxis(rows.reshape(shape[1], shape[0], *shape[2:]), 0, 1)


def batch_norm_train(x, weight, bias, eps):
    """Training-mode batch norm of (N, C, ...): y, x_hat, mean, var, inv_std."""
    rows = channel_rows(x)
    c = rows.shape[0]
    affine = np.empty((c, 2), dtype=x.dtype)
    affine[:, 0] = 1 if weight is None else weight
    affine[:, 1] = 0 if bias is None else bias
    y, x_hat = np.empty_like(rows), np.empty_like(rows)
    stats = np.empty((c, 3), dtype=x.dtype)
    run_split(
        _batch_norm_train[x.dtype],
        c,
        rows.size,
        rows,
        affine,
        np.full((1, 1), eps, x.dtype),
        y,
        x_hat,
        stats,
    )
    return (
        from_channel_rows(y, x.shape),
        from_channel_rows(x_hat, x.shape),
        stats[:, 0],
        stats[:, 1],
        stats[:, 2],
    )


def batch_norm_train_backward(grad_y, x_hat, weight, inv_std):
    """Training-mode gradients of batch norm: dx, d_gamma, d_beta."""
    rows, hat_rows = channel_rows(grad_y), channel_rows(x_hat)
    c = rows.shape[0]
    affine = np.ones((c, 2), dtype=grad_y.dtype)
    if weight is not None:
        affine[:, 0] = weight
    grad_x, sums = np.empty_like(rows), np.empty((c, 2), dtype=grad_y.dtype)
    run_split(
        _batch_norm_backward[grad_y.dtype],
        c,
        rows.size,
        rows,
        hat_rows,
        affine,
        np.ascontiguousarray(inv_std.reshape(c, 1), dtype=grad_y.dtype),
        grad_x,
        sums,
    )
    return from_channel_rows(grad_x, grad_y.shape), sums[:, 1].copy(), sums[:, 0].copy()
