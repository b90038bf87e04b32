"""Stateless layer functions with PyTorch's signatures (``import cnnlab.nn.functional as F``).

Arguments are checked here, where the user's names are known; the math is in ``cnnlab.ops``.
"""

from __future__ import annotations

import numpy as np

from cnnlab.autograd import conv_ops, nn_ops
from cnnlab.autograd.errors import missing_in
from cnnlab.autograd.tensor import Tensor
from cnnlab.nn.checks import batched, check_same_dtype, check_tensor
from cnnlab.nn.functional_activation import (
    celu,
    dropout,
    dropout2d,
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softsign,
    tanh,
    tanhshrink,
    threshold,
)
from cnnlab.nn.functional_loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from cnnlab.nn.functional_norm import (
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    normalize,
)
from cnnlab.nn.functional_resize import (
    adaptive_avg_pool2d,
    adaptive_max_pool2d,
    channel_shuffle,
    interpolate,
    pad,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
)
from cnnlab.ops import pool

__all__ = [
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "celu",
    "channel_shuffle",
    "conv2d",
    "conv_transpose2d",
    "cross_entropy",
    "dropout",
    "dropout2d",
    "elu",
    "flatten",
    "gelu",
    "group_norm",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "huber_loss",
    "instance_norm",
    "interpolate",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "local_response_norm",
    "log_softmax",
    "logsigmoid",
    "max_pool2d",
    "mish",
    "mse_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "pixel_shuffle",
    "pixel_unshuffle",
    "prelu",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softmin",
    "softplus",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "upsample",
]


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
    *,
    method: str = "im2col",
) -> Tensor:
    """2-D convolution, eq. (8.2). Input (N, C, H, W) or (C, H, W), weight (K, C, kh, kw).

    ``method='loop'`` computes eq. (8.2) literally and backpropagates by the chapter's
    dilation and rotation, eq. (8.12); ``'im2col'`` (default) is Fig. 8.9's matrix product.
    """
    check_same_dtype("conv2d", input=input, weight=weight, bias=bias)
    if method not in ("loop", "im2col"):
        raise ValueError(f"conv2d: method must be 'loop' or 'im2col', got {method!r}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(
            f"conv2d: bias must have shape ({weight.shape[0]},) to match weight "
            f"{tuple(weight.shape)}, got {tuple(bias.shape)}"
        )
    x, unbatched = batched("conv2d", input)
    if groups != 1:
        if method != "im2col":
            raise NotImplementedError(f"conv2d: method={method!r} with groups={groups}")
        out = conv_ops.GroupedConv2d.apply(
            x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups
        )
    else:
        out = nn_ops.Conv2d.apply(
            x, weight, bias, stride=stride, padding=padding, dilation=dilation, method=method
        )
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """Transposed convolution, the input-gradient map of eq. (8.12) as a layer. Input
    (N, C_in, H, W) or (C_in, H, W), weight (C_in, C_out / groups, kh, kw), output
    (N, C_out, Ho, Wo), ``Ho = (H - 1) s - 2p + d (kh - 1) + output_padding + 1``."""
    check_same_dtype("conv_transpose2d", input=input, weight=weight, bias=bias)
    if isinstance(padding, str):
        raise ValueError(f"conv_transpose2d: padding must be an int or a pair, got {padding!r}")
    if bias is not None and tuple(bias.shape) != (weight.shape[1] * groups,):
        raise ValueError(
            f"conv_transpose2d: bias must have shape ({weight.shape[1] * groups},) to match "
            f"weight {tuple(weight.shape)} and groups={groups}, got {tuple(bias.shape)}"
        )
    x, unbatched = batched("conv_transpose2d", input)
    out = conv_ops.ConvTranspose2d.apply(
        x,
        weight,
        bias,
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )
    return out.squeeze(0) if unbatched else out


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Fully connected layer ``x W^T + b``: input (N, *, in), weight (out, in), bias (out,)."""
    check_same_dtype("linear", input=input, weight=weight, bias=bias)
    if input.ndim == 0 or input.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"linear: input has {input.shape[-1] if input.ndim else 0} features but weight "
            f"expects {weight.shape[-1]} (input shape {tuple(input.shape)}, weight shape "
            f"{tuple(weight.shape)})"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(
            f"linear: bias must have shape ({weight.shape[0]},) to match weight "
            f"{tuple(weight.shape)}, got {tuple(bias.shape)}"
        )
    return nn_ops.Linear.apply(input, weight, bias)


def max_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """Max pooling, eq. (8.13); stride defaults to the kernel size. Input (N, C, H, W)."""
    check_tensor("max_pool2d", "input", input)
    x, unbatched = batched("max_pool2d", input)
    out = nn_ops.MaxPool2d.apply(
        x,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
    )
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    if out.grad_fn is not None:
        indices = Tensor._wrap(out.grad_fn.indices)
    else:
        indices = Tensor._wrap(
            pool.max_pool2d(x._data, kernel_size, stride, padding, dilation, ceil_mode)[1]
        )
    return (out.squeeze(0), indices.squeeze(0)) if unbatched else (out, indices)


def avg_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Average pooling, eq. (8.16); stride defaults to the kernel size. Input (N, C, H, W)."""
    check_tensor("avg_pool2d", "input", input)
    x, unbatched = batched("avg_pool2d", input)
    out = nn_ops.AvgPool2d.apply(
        x,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        divisor_override=divisor_override,
    )
    return out.squeeze(0) if unbatched else out


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Dimensions ``start_dim..end_dim`` merged into one."""
    return input.flatten(start_dim, end_dim)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices (*) -> (*, num_classes) of zeros and ones (int64)."""
    check_tensor("one_hot", "tensor", tensor, floating=False)
    labels = tensor._data
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"one_hot: tensor must hold integer class indices, got dtype {labels.dtype}"
        )
    if labels.size and labels.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {labels.min()}")
    classes = (int(labels.max()) + 1 if labels.size else 0) if num_classes == -1 else num_classes
    if labels.size and labels.max() >= classes:
        raise ValueError(
            f"one_hot: class values must be smaller than num_classes={classes}, got {labels.max()}"
        )
    return Tensor._wrap(np.eye(classes, dtype=np.int64)[labels])


# a torch name this module does not have raises NotImplementedError naming it
__getattr__ = missing_in("cnnlab.nn.functional")
