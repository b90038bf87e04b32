"""Reverse-mode automatic differentiation over NumPy arrays (``cnnlab.autograd``, as
``torch.autograd``)."""

from cnnlab.autograd.anomaly import (
    AnomalyError,
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from cnnlab.autograd.errors import missing_in
from cnnlab.autograd.function import Function, backward
from cnnlab.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from cnnlab.autograd.gradcheck import gradcheck
from cnnlab.autograd.tensor import Tensor

__all__ = [
    "AnomalyError",
    "Function",
    "Tensor",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "gradcheck",
    "inference_mode",
    "is_anomaly_check_nan_enabled",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "set_detect_anomaly",
    "set_grad_enabled",
]


def Variable(data, requires_grad: bool = False, volatile: bool = False) -> Tensor:
    """The old wrapper of a tensor: today the tensor itself (a new leaf if it must require
    grad)."""
    if requires_grad and not data.requires_grad:
        return data.detach().requires_grad_(True)
    return data


# a torch.autograd name cnnlab does not have (grad, functional, forward_ad, ...) raises
# NotImplementedError naming it
__getattr__ = missing_in("cnnlab.autograd")
