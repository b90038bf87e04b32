"""Batch normalization per channel (eq. 8.18) and its backward pass.

Input (N, C) or (N, C, L) or (N, C, H, W); one mean, variance, gamma and beta per channel C.
The ``*_reference`` functions are the equations in NumPy; training mode runs by default on
compiled per-channel loops (``kernels/``) that the tests hold equal to them (the references
serve while the kernels compile in the background).
"""

from __future__ import annotations

import numpy as np

from cnnlab.ops.arrays import optional_real_array, real_array


def _axes_and_shape(x: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The axes reduced for each channel, and the shape a per-channel vector broadcasts to."""
    axes = (0, *range(2, x.ndim))
    return axes, (1, x.shape[1]) + (1,) * (x.ndim - 2)


def batch_norm_reference(
    x: np.ndarray,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    training: bool,
    momentum: float,
    eps: float,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Batch normalization, eqs. (8.18a)-(8.18d); returns ``y`` and ``(x_hat, 1/sqrt(var+eps))``.

    Training uses the batch statistics (8.18a, 8.18b) and updates the running ones in place as
    PyTorch does: ``running = (1 - momentum) * running + momentum * batch``, the variance
    unbiased (times M / (M - 1), M = N * H * W). Evaluation uses the running statistics.
    """
    axes, shape = _axes_and_shape(x)
    if training:
        count = _values_per_channel(x)
        mean = x.mean(axis=axes)  # (8.18a)
        var = x.var(axis=axes)  # (8.18b)
        _update_running(running_mean, running_var, mean, var, momentum, count)
    else:
        mean, var = running_mean, running_var
    inv_std = (1 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
    x_hat = (x - mean.reshape(shape)) * inv_std.reshape(shape)  # (8.18c)
    y = x_hat if weight is None else x_hat * weight.reshape(shape)  # (8.18d)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y, (x_hat, inv_std)


def _values_per_channel(x: np.ndarray) -> int:
    count = x.size // x.shape[1]
    if count <= 1:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, "
            f"got input shape {x.shape}"
        )
    return count


def _update_running(running_mean, running_var, mean, var, momentum: float, count: int) -> None:
    """``running = (1 - momentum) running + momentum batch``, the variance made unbiased."""
    if running_mean is not None:
        running_mean *= 1 - momentum
        running_mean += momentum * mean
    if running_var is not None:
        running_var *= 1 - momentum
        running_var += momentum * var * (count / (count - 1))


def batch_norm(
    x: np.ndarray,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    training: bool,
    momentum: float,
    eps: float,
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Batch normalization, eqs. (8.18a)-(8.18d): :func:`batch_norm_reference`, compiled in
    training mode; returns ``y`` and ``(x_hat, 1/sqrt(var+eps))``. Integer ``x``, ``weight``
    and ``bias`` are computed in float64 (the running statistics are updated in place, so
    they must already be float arrays)."""
    x = real_array(x, "batch_norm", "x")
    weight = optional_real_array(weight, "batch_norm", "weight")
    bias = optional_real_array(bias, "batch_norm", "bias")
    if not training:
        return batch_norm_reference(
            x, running_mean, running_var, weight, bias, False, momentum, eps
        )
    count = _values_per_channel(x)
    from cnnlab.ops import kernels  # numba loads on first use, not on import

    try:
        y, x_hat, mean, var, inv_std = kernels.batch_norm_train(x, weight, bias, eps)
    except kernels.NotCompiledYet:
        return batch_norm_reference(x, running_mean, running_var, weight, bias, True, momentum, eps)
    _update_running(running_mean, running_var, mean, var, momentum, count)
    return y, (x_hat, inv_std)


def batch_norm_backward(
    grad_y: np.ndarray,
    saved: tuple[np.ndarray, np.ndarray],
    weight: np.ndarray | None,
    training: bool,
    needs: tuple[bool, bool, bool] = (True, True, True),
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Gradients (input, gamma, beta) of eq. (8.18): :func:`batch_norm_backward_reference`,
    compiled in training mode."""
    if not training or not needs[0]:
        return batch_norm_backward_reference(grad_y, saved, weight, training, needs)
    from cnnlab.ops import kernels

    x_hat, inv_std = saved
    try:
        grad_x, grad_gamma, grad_beta = kernels.batch_norm_train_backward(
            grad_y, x_hat, weight, inv_std
        )
    except kernels.NotCompiledYet:
        return batch_norm_backward_reference(grad_y, saved, weight, training, needs)
    return grad_x, grad_gamma if needs[1] else None, grad_beta if needs[2] else None


def batch_norm_backward_reference(
    grad_y: np.ndarray,
    saved: tuple[np.ndarray, np.ndarray],
    weight: np.ndarray | None,
    training: bool,
    needs: tuple[bool, bool, bool] = (True, True, True),
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Gradients (input, gamma, beta) of eq. (8.18) by the chain rule.

    In training the batch statistics depend on every input of the channel:
    ``dx = (M dx_hat - sum(dx_hat) - x_hat sum(dx_hat x_hat)) / (M sqrt(var + eps))``;
    in evaluation they are constants and ``dx = dx_hat / sqrt(var + eps)``.
    """
    x_hat, inv_std = saved
    axes, shape = _axes_and_shape(grad_y)
    grad_beta = grad_y.sum(axis=axes) if needs[2] else None
    grad_gamma = (grad_y * x_hat).sum(axis=axes) if needs[1] else None
    if not needs[0]:
        return None, grad_gamma, grad_beta
    grad_x_hat = grad_y if weight is None else grad_y * weight.reshape(shape)
    if not training:
        return grad_x_hat * inv_std.reshape(shape), grad_gamma, grad_beta
    mean_grad = grad_x_hat.mean(axis=axes).reshape(shape)
    mean_grad_x_hat = (grad_x_hat * x_hat).mean(axis=axes).reshape(shape)
    grad_x = (grad_x_hat - mean_grad - x_hat * mean_grad_x_hat) * inv_std.reshape(shape)
    return grad_x, grad_gamma, grad_beta
