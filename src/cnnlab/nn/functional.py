"""Stateless layer functions with PyTorch's signatures (``import cnnlab.nn.functional as F``).

Arguments are checked here, where the user's names are known; the math is in ``cnnlab.ops``.
"""

from __future__ import annotations

import numpy as np

from cnnlab.autograd import math_ops, nn_ops, random
from cnnlab.autograd.tensor import Tensor
from cnnlab.ops import pool
from cnnlab.ops.loss import check_reduction

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _check_tensor(name: str, arg: str, value, *, floating: bool = True) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: {arg} must be a cnnlab Tensor, got {type(value).__name__}")
    if floating and value.dtype.kind != "f":
        raise TypeError(
            f"{name}: {arg} must be a floating point tensor, got dtype {value.dtype} "
            f"(convert with .float())"
        )


def _check_same_dtype(name: str, **tensors) -> None:
    dtypes = {t.dtype if isinstance(t, Tensor) else None for t in tensors.values() if t is not None}
    if len(dtypes) == 1 and next(iter(dtypes)) in _FLOATS:
        return  # the usual case, checked in one pass
    given = {arg: t for arg, t in tensors.items() if t is not None}
    for arg, t in given.items():
        _check_tensor(name, arg, t)
    dtypes = {t.dtype for t in given.values()}
    if len(dtypes) > 1:
        listed = ", ".join(f"{arg} is {t.dtype}" for arg, t in given.items())
        raise TypeError(f"{name}: tensors must share one dtype, but {listed}")


def _batched(name: str, input: Tensor, ndim: int = 4) -> tuple[Tensor, bool]:
    """Accept (C, H, W) as a batch of one, as PyTorch does; anything else must be 4-D."""
    if input.ndim == ndim - 1:
        return input.unsqueeze(0), True
    if input.ndim != ndim:
        raise ValueError(
            f"{name}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
            f"{tuple(input.shape)}"
        )
    return input, False


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
    _check_same_dtype("conv2d", input=input, weight=weight, bias=bias)
    if groups != 1:
        raise ValueError(f"conv2d: only groups=1 is supported, got groups={groups}")
    if method not in ("loop", "im2col"):
        raise ValueError(f"conv2d: method must be 'loop' or 'im2col', got {method!r}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(
            f"conv2d: bias must have shape ({weight.shape[0]},) to match weight "
            f"{tuple(weight.shape)}, got {tuple(bias.shape)}"
        )
    x, unbatched = _batched("conv2d", input)
    out = nn_ops.Conv2d.apply(
        x, weight, bias, stride=stride, padding=padding, dilation=dilation, method=method
    )
    return out.squeeze(0) if unbatched else out


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Fully connected layer ``x W^T + b``: input (N, *, in), weight (out, in), bias (out,)."""
    _check_same_dtype("linear", input=input, weight=weight, bias=bias)
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
    _check_tensor("max_pool2d", "input", input)
    x, unbatched = _batched("max_pool2d", input)
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
    _check_tensor("avg_pool2d", "input", input)
    x, unbatched = _batched("avg_pool2d", input)
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
    _check_same_dtype(
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


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)`` elementwise."""
    return math_ops.ReLU.apply(input)


def tanh(input: Tensor) -> Tensor:
    return math_ops.Tanh.apply(input)


def sigmoid(input: Tensor) -> Tensor:
    return math_ops.Sigmoid.apply(input)


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``."""
    return (input if dtype is None else input.type(dtype)).softmax(dim)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed stably."""
    return (input if dtype is None else input.type(dtype)).log_softmax(dim)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero elements with probability ``p`` and scale the rest by ``1 / (1 - p)`` in training."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be between 0 and 1, got {p}")
    if not training or p == 0:
        return input
    return nn_ops.Dropout.apply(input, p=p, rng=random.generator())


def _check_targets(
    name: str, input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int
) -> np.ndarray:
    if not isinstance(target, Tensor) or target.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: target must be an integer tensor of class indices, got "
            f"{getattr(target, 'dtype', type(target).__name__)}"
        )
    expected = (input.shape[0], *input.shape[2:]) if input.ndim > 1 else ()
    if tuple(target.shape) != expected:
        raise ValueError(
            f"{name}: target shape {tuple(target.shape)} does not match input shape "
            f"{tuple(input.shape)} (expected {expected})"
        )
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    if weight is not None and tuple(weight.shape) != (classes,):
        raise ValueError(
            f"{name}: weight must have shape ({classes},), one per class of input "
            f"{tuple(input.shape)}, got {tuple(weight.shape)}"
        )
    labels = target._data
    bad = (labels != ignore_index) & ((labels < 0) | (labels >= classes))
    if bad.any():
        raise ValueError(
            f"{name}: target {labels[bad].flat[0]} is out of bounds for {classes} classes"
        )
    return labels


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy of class scores (N, C) and class indices (N,): ``-log softmax(x)[y]``."""
    _check_same_dtype("cross_entropy", input=input, weight=weight)
    check_reduction(reduction, "cross_entropy")
    if label_smoothing != 0.0:
        raise ValueError("cross_entropy: label_smoothing is not supported, use 0.0")
    labels = _check_targets("cross_entropy", input, target, weight, ignore_index)
    return nn_ops.CrossEntropy.apply(
        input, weight, target=labels, ignore_index=ignore_index, reduction=reduction
    )


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log likelihood of log-probabilities (N, C) at class indices (N,); also (C,)
    with a 0-d target and (N, C, d1, ...) with targets (N, d1, ...)."""
    _check_same_dtype("nll_loss", input=input, weight=weight)
    check_reduction(reduction, "nll_loss")
    labels = _check_targets("nll_loss", input, target, weight, ignore_index)
    rows = _class_axis_last(input)
    counted = labels.reshape(-1) != ignore_index
    safe = np.where(counted, labels.reshape(-1), 0)
    sample_weight = counted.astype(input.dtype)
    if weight is not None:
        sample_weight = sample_weight * weight._data[safe]
    picked = rows[np.arange(len(safe)), safe] * Tensor._wrap(sample_weight)
    if reduction == "none":
        return -picked.reshape(labels.shape)
    return -picked.sum() if reduction == "sum" else -picked.sum() / float(sample_weight.sum())


def _class_axis_last(input: Tensor) -> Tensor:
    """Scores (N, C, d1, ...) or (C,) as rows (N * d1 * ..., C), one row per target."""
    if input.ndim == 1:
        return input.unsqueeze(0)
    if input.ndim == 2:
        return input
    return input.permute(0, *range(2, input.ndim), 1).reshape(-1, input.shape[1])


def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction="mean"):
    """Mean squared error ``(x - y)^2``, reduced by mean, sum or not at all."""
    check_reduction(reduction, "mse_loss")
    _check_tensor("mse_loss", "input", input)
    _check_tensor("mse_loss", "target", target)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"mse_loss: input shape {tuple(input.shape)} and target shape "
            f"{tuple(target.shape)} differ"
        )
    squared = (input - target) ** 2
    if reduction == "none":
        return squared
    return squared.sum() if reduction == "sum" else squared.mean()


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Class indices (*) -> (*, num_classes) of zeros and ones (int64)."""
    _check_tensor("one_hot", "tensor", tensor, floating=False)
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
