"""Normalization layers' functional forms: batch (eq. 8.18), layer and group normalization."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd import nn_ops, norm_ops
from cnnlab.autograd.tensor import Tensor
from cnnlab.nn.checks import check_same_dtype


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization per channel, eq. (8.18). Input (N, C), (N, C, L) or (N, C, H, W).

    In training the batch statistics are used and ``running_mean``/``running_var`` (if given)
    are updated in place; otherwise the running statistics are used.
    """
    check_same_dtype(
        "batch_norm",
        input=input,
        weight=weight,
        bias=bias,
        running_mean=running_mean,
        running_var=running_var,
    )
    if input.ndim < 2:
        raise ValueError(f"batch_norm: input must be (N, C, ...), got shape {tuple(input.shape)}")
    channels = input.shape[1]
    for arg, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and tuple(t.shape) != (channels,):
            raise ValueError(
                f"batch_norm: {arg} must have shape ({channels},) for input {tuple(input.shape)}, "
                f"got {tuple(t.shape)}"
            )
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: running_mean and running_var are needed when not training")
    return nn_ops.BatchNorm.apply(
        input,
        weight,
        bias,
        running_mean=None if running_mean is None else running_mean._data,
        running_var=None if running_var is None else running_var._data,
        training=training,
        momentum=momentum,
        eps=eps,
    )


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Standardize over the last ``len(normalized_shape)`` dimensions of each sample, then
    ``* weight + bias`` (both ``normalized_shape``). Input (*, *normalized_shape)."""
    check_same_dtype("layer_norm", input=input, weight=weight, bias=bias)
    shape = normalized_shape_of(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape) :]) != shape or input.ndim < len(shape):
        raise ValueError(
            f"layer_norm: input shape {tuple(input.shape)} does not end with "
            f"normalized_shape {shape}"
        )
    for arg, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"layer_norm: {arg} must have shape {shape}, got {tuple(t.shape)}")
    return norm_ops.LayerNorm.apply(input, weight, bias, normalized_shape=shape, eps=eps)


def normalized_shape_of(normalized_shape) -> tuple[int, ...]:
    """An int or a sequence of ints as a shape tuple."""
    if isinstance(normalized_shape, int | np.integer):
        return (int(normalized_shape),)
    return tuple(int(n) for n in normalized_shape)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Standardize each of ``num_groups`` groups of channels of each sample, then
    ``* weight[c] + bias[c]``. Input (N, C, *), weight and bias (C,)."""
    check_same_dtype("group_norm", input=input, weight=weight, bias=bias)
    if input.ndim < 2:
        raise ValueError(f"group_norm: input must be (N, C, ...), got shape {tuple(input.shape)}")
    channels = input.shape[1]
    if num_groups < 1 or channels % num_groups:
        raise ValueError(
            f"group_norm: the {channels} channels must split into num_groups={num_groups} "
            "equal groups"
        )
    for arg, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (channels,):
            raise ValueError(
                f"group_norm: {arg} must have shape ({channels},), got {tuple(t.shape)}"
            )
    if input.shape[0] * (channels // num_groups) * int(np.prod(input.shape[2:])) == 1:
        raise ValueError(  # PyTorch's check, as it words it
            "group_norm: expected more than 1 value per channel when training, got input "
            f"shape {tuple(input.shape)} with num_groups={num_groups}"
        )
    return norm_ops.GroupNorm.apply(input, weight, bias, num_groups=num_groups, eps=eps)


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Standardize each channel of each sample over its positions (N, C, *), then scale and
    shift per channel: batch normalization of the (1, N * C, *) view, as PyTorch computes it;
    running statistics, when given, are the average over the samples."""
    check_same_dtype("instance_norm", input=input, weight=weight, bias=bias)
    if input.ndim < 3:
        raise ValueError(
            f"instance_norm: input must be (N, C, L) or (N, C, H, W), got shape "
            f"{tuple(input.shape)}"
        )
    n, c = input.shape[:2]
    if use_input_stats and int(np.prod(input.shape[2:])) <= 1:
        raise ValueError(
            f"instance_norm: expected more than 1 spatial element when training, got input "
            f"shape {tuple(input.shape)}"
        )

    def per_sample(t: Tensor | None) -> Tensor | None:
        return None if t is None else t.reshape(1, c).expand(n, c).reshape(n * c)

    def tiled(t: Tensor | None) -> Tensor | None:
        return None if t is None else Tensor._wrap(np.tile(t._data, n))

    mean, var = tiled(running_mean), tiled(running_var)
    out = batch_norm(
        input.reshape(1, n * c, *input.shape[2:]),
        mean,
        var,
        per_sample(weight),
        per_sample(bias),
        use_input_stats,
        momentum,
        eps,
    )
    for running, updated in ((running_mean, mean), (running_var, var)):
        if running is not None:
            running._data[...] = updated._data.reshape(n, c).mean(axis=0)
    return out.reshape(*input.shape)


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """AlexNet's normalization across channels: ``x / (k + alpha/n sum_{c' near c} x_c'^2)^beta``
    over the ``size`` neighbouring channels (zero beyond the ends), as PyTorch composes it."""
    from cnnlab.nn.functional import avg_pool2d, pad  # the composition PyTorch uses

    if input.ndim < 3:
        raise ValueError(
            f"local_response_norm: expected 3D or higher dimensionality input, got shape "
            f"{tuple(input.shape)}"
        )
    n, c = input.shape[:2]
    squares = (input * input).reshape(n, 1, c, -1)
    squares = pad(squares, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(squares, (size, 1), stride=1).reshape(*input.shape)
    return input / (div * alpha + k) ** beta


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim`` (``torch.nn.functional.normalize``):
    each slice scaled to unit p-norm. Any shape; the result has ``input``'s shape."""
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
