"""Activations, softmax and dropout with ``torch.nn.functional``'s signatures (re-exported by
``cnnlab.nn.functional``)."""

from __future__ import annotations

import warnings

import numpy as np

from cnnlab.autograd import activation_ops, math_ops, nn_ops, random
from cnnlab.autograd.tensor import Tensor
from cnnlab.nn.checks import check_same_dtype, check_tensor, in_place


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)`` elementwise."""
    return in_place(input, math_ops.ReLU.apply, inplace)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)`` elementwise."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``negative_slope * x``."""
    check_tensor("leaky_relu", "input", input)
    slope = float(negative_slope)
    return in_place(
        input, lambda x: activation_ops.LeakyReLU.apply(x, negative_slope=slope), inplace
    )


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """``min(max(x, min_val), max_val)``; the gradient is 0 outside ``(min_val, max_val)``."""
    check_tensor("hardtanh", "input", input)
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val cannot be greater than max_val, got {min_val} and {max_val}"
        )

    def clamped(x: Tensor) -> Tensor:
        return activation_ops.Hardtanh.apply(x, min_val=min_val, max_val=max_val)

    return in_place(input, clamped, inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha (exp(x) - 1)``."""
    check_tensor("elu", "input", input)
    return in_place(input, lambda x: activation_ops.ELU.apply(x, alpha=float(alpha)), inplace)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """``x Phi(x)``, Phi the standard normal CDF; ``approximate='tanh'`` for its tanh form."""
    check_tensor("gelu", "input", input)
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return activation_ops.GELU.apply(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)`` (swish)."""
    check_tensor("silu", "input", input)
    return in_place(input, activation_ops.SiLU.apply, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6`` (MobileNetV3)."""
    check_tensor("hardswish", "input", input)
    return in_place(input, activation_ops.Hardswish.apply, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """``relu6(x + 3) / 6``."""
    check_tensor("hardsigmoid", "input", input)
    return in_place(input, activation_ops.Hardsigmoid.apply, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``."""
    check_tensor("softplus", "input", input)
    return activation_ops.Softplus.apply(input, beta=float(beta), threshold=float(threshold))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    check_tensor("mish", "input", input)
    return in_place(input, activation_ops.Mish.apply, inplace)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` for ``x > 0``, else ``weight * x``; weight (1,) or one slope per channel."""
    check_same_dtype("prelu", input=input, weight=weight)
    channels = input.shape[1] if input.ndim > 1 else 1  # PyTorch's count for a 1-D input
    if weight.numel() not in (1, channels):
        raise ValueError(
            f"prelu: weight must hold 1 slope or one per channel ({channels}), got {weight.numel()}"
        )
    return activation_ops.PReLU.apply(input, weight)


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x))``, without overflow."""
    check_tensor("logsigmoid", "input", input)
    return activation_ops.LogSigmoid.apply(input)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with SELU's constants (self-normalizing networks)."""
    return in_place(input, lambda x: SELU_SCALE * elu(x, SELU_ALPHA), inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha (exp(x / alpha) - 1))``."""
    check_tensor("celu", "input", input)
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0")
    return in_place(input, lambda x: activation_ops.CELU.apply(x, alpha=float(alpha)), inplace)


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``."""
    return input - tanh(input)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x`` where ``x > threshold``, else ``value``."""
    check_tensor("threshold", "input", input)

    def thresholded(x: Tensor) -> Tensor:
        above = x._data > threshold
        replaced = Tensor._wrap(np.where(above, 0, value).astype(x.dtype))
        return x * Tensor._wrap(above) + replaced

    return in_place(input, thresholded, inplace)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``softmax(-x)`` along ``dim``."""
    dim = softmax_dim("softmin", input.ndim) if dim is None else dim
    return softmax(-input, dim, dtype=dtype)


def tanh(input: Tensor) -> Tensor:
    return math_ops.Tanh.apply(input)


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def sigmoid(input: Tensor) -> Tensor:
    return math_ops.Sigmoid.apply(input)


def softmax_dim(name: str, ndim: int) -> int:
    """PyTorch's legacy choice when no ``dim`` is given: 0 for 0-, 1- and 3-D input, else 1."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. "
        "Change the call to include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``."""
    dim = softmax_dim("softmax", input.ndim) if dim is None else dim
    return (input if dtype is None else input.type(dtype)).softmax(dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """``log(softmax(x))`` along ``dim``, computed stably."""
    dim = softmax_dim("log_softmax", input.ndim) if dim is None else dim
    return (input if dtype is None else input.type(dtype)).log_softmax(dim)


def _check_p(name: str, p: float) -> None:
    if not 0 <= p <= 1:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero elements with probability ``p`` and scale the rest by ``1 / (1 - p)`` in training."""
    _check_p("dropout", p)
    if not training or p == 0:
        return input
    return in_place(input, lambda x: nn_ops.Dropout.apply(x, p=p, rng=random.generator()), inplace)


def dropout2d(
    input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False
) -> Tensor:
    """Zero whole channels of (N, C, H, W) with probability ``p``, scale the rest by
    ``1 / (1 - p)``. As in PyTorch, a 3-D input is taken as (N, C, L)."""
    _check_p("dropout2d", p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated; "
            "use dropout instead",
            stacklevel=2,
        )
    if not training or p == 0:
        return input
    if input.ndim < 2:
        raise ValueError(f"dropout2d: input must be (N, C, ...), got shape {tuple(input.shape)}")
    mask_shape = (*input.shape[:2], *(1,) * (input.ndim - 2))

    def dropped(x: Tensor) -> Tensor:
        return nn_ops.Dropout.apply(x, p=p, rng=random.generator(), mask_shape=mask_shape)

    return in_place(input, dropped, inplace)
