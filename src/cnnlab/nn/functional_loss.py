"""Losses with ``torch.nn.functional``'s signatures (re-exported by ``cnnlab.nn.functional``)."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd import loss_ops, nn_ops
from cnnlab.autograd.tensor import Tensor
from cnnlab.nn.checks import check_same_dtype, check_tensor
from cnnlab.ops.loss import check_reduction


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
    check_same_dtype("cross_entropy", input=input, weight=weight)
    check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}"
        )
    if isinstance(target, Tensor) and target.dtype.kind == "f":
        return _cross_entropy_of_probabilities(input, target, weight, reduction, label_smoothing)
    labels = _check_targets("cross_entropy", input, target, weight, ignore_index)
    loss = nn_ops.CrossEntropy.apply(
        input, weight, target=labels, ignore_index=ignore_index, reduction=reduction
    )
    if label_smoothing == 0.0:
        return loss
    smooth = _uniform_target_loss(input, labels, weight, ignore_index, reduction)
    return (1 - label_smoothing) * loss + smooth * (label_smoothing / _classes(input))


def _classes(input: Tensor) -> int:
    return input.shape[1] if input.ndim > 1 else input.shape[0]


def _class_weights(input: Tensor, weight: Tensor | None) -> Tensor | None:
    """``weight`` (C,) shaped to broadcast along the class dimension of ``input``."""
    if weight is None:
        return None
    return weight.reshape(-1, *(1,) * (input.ndim - 2)) if input.ndim > 1 else weight


def _uniform_target_loss(input, labels, weight, ignore_index, reduction) -> Tensor:
    """The label-smoothing term, as PyTorch computes it: ``-sum_c w_c log p_c`` per counted
    target; ``mean`` divides by the weights of the counted targets' classes."""
    class_dim = 1 if input.ndim > 1 else 0
    log_p = input.log_softmax(class_dim)
    w = _class_weights(input, weight)
    counted = labels != ignore_index
    per_target = -(log_p if w is None else log_p * w).sum(class_dim)
    per_target = per_target * Tensor._wrap(counted.astype(input.dtype))
    if reduction == "none":
        return per_target
    total = per_target.sum()
    if reduction == "sum":
        return total
    if weight is None:
        return total / float(counted.sum())
    return total / float(weight._data[labels[counted]].sum())


def _cross_entropy_of_probabilities(input, target, weight, reduction, label_smoothing) -> Tensor:
    """``-sum_c w_c q_c log p_c`` against class probabilities ``q`` shaped like the input;
    ``mean`` divides by the number of samples."""
    check_same_dtype("cross_entropy", input=input, target=target, weight=weight)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"cross_entropy: class-probability target must have the input's shape "
            f"{tuple(input.shape)}, got {tuple(target.shape)}"
        )
    class_dim = 1 if input.ndim > 1 else 0
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / _classes(input)
    products = input.log_softmax(class_dim) * target
    w = _class_weights(input, weight)
    if w is not None:
        products = products * w
    if reduction == "none":
        return -products.sum(class_dim)
    if reduction == "sum":
        return -products.sum()
    return -products.sum() / (input.numel() / _classes(input))


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
    check_same_dtype("nll_loss", input=input, weight=weight)
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
    check_tensor("mse_loss", "input", input)
    check_tensor("mse_loss", "target", target)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"mse_loss: input shape {tuple(input.shape)} and target shape "
            f"{tuple(target.shape)} differ"
        )
    squared = (input - target) ** 2
    if reduction == "none":
        return squared
    return squared.sum() if reduction == "sum" else squared.mean()


def _check_pair(name: str, input: Tensor, target: Tensor) -> None:
    check_tensor(name, "input", input)
    check_tensor(name, "target", target)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"{name}: input shape {tuple(input.shape)} and target shape "
            f"{tuple(target.shape)} differ"
        )


def _reduced(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction="mean"):
    """Mean absolute error ``|x - y|``, reduced by mean, sum or not at all."""
    check_reduction(reduction, "l1_loss")
    _check_pair("l1_loss", input, target)
    return _reduced((input - target).abs(), reduction)


def smooth_l1_loss(
    input: Tensor, target: Tensor, size_average=None, reduce=None, reduction="mean", beta=1.0
):
    """``0.5 (x - y)^2 / beta`` where ``|x - y| < beta``, else ``|x - y| - 0.5 beta``."""
    check_reduction(reduction, "smooth_l1_loss")
    _check_pair("smooth_l1_loss", input, target)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    if beta == 0:
        return l1_loss(input, target, reduction=reduction)
    return _reduced(_huber(input - target, beta) / beta, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction="mean", delta=1.0, weight=None):
    """``0.5 (x - y)^2`` where ``|x - y| < delta``, else ``delta (|x - y| - 0.5 delta)``."""
    check_reduction(reduction, "huber_loss")
    _check_pair("huber_loss", input, target)
    if weight is not None:
        raise NotImplementedError("huber_loss: weight")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    return _reduced(_huber(input - target, delta), reduction)


def _huber(difference: Tensor, delta: float) -> Tensor:
    size = difference.abs()
    small = Tensor._wrap(size._data < delta)
    quadratic = 0.5 * difference * difference
    linear = delta * (size - 0.5 * delta)
    return quadratic * small + linear * ~small


def binary_cross_entropy(
    input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None, reduction="mean"
) -> Tensor:
    """``-w (y log x + (1 - y) log(1 - x))`` for probabilities x in [0, 1], logs clamped at -100."""
    check_reduction(reduction, "binary_cross_entropy")
    _check_pair("binary_cross_entropy", input, target)
    check_same_dtype("binary_cross_entropy", input=input, weight=weight)
    values = input._data
    if ((values < 0) | (values > 1)).any():
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1")
    return loss_ops.BinaryCrossEntropy.apply(input, target, weight, reduction=reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
    pos_weight=None,
) -> Tensor:
    """Binary cross entropy of ``sigmoid(x)``, computed stably from the logits x; ``pos_weight``
    weighs the positive term (one value per class, broadcast along the last dimension)."""
    check_reduction(reduction, "binary_cross_entropy_with_logits")
    _check_pair("binary_cross_entropy_with_logits", input, target)
    check_same_dtype(
        "binary_cross_entropy_with_logits", input=input, weight=weight, pos_weight=pos_weight
    )
    return loss_ops.BinaryCrossEntropyWithLogits.apply(
        input, target, weight, pos_weight, reduction=reduction
    )
