"""Reverse-mode automatic differentiation over NumPy arrays (``cnnlab.autograd``, as
``torch.autograd``)."""

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
    "Function",
    "Tensor",
    "Variable",
    "backward",
    "enable_grad",
    "gradcheck",
    "inference_mode",
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


class set_detect_anomaly:
    """Accepted as a switch and as a context: cnnlab's backward already names the op whose
    saved values changed; it does not check for NaN."""

    def __init__(self, mode: bool = True, check_nan: bool = True) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        return None


detect_anomaly = set_detect_anomaly

# a torch.autograd name cnnlab does not have (grad, functional, forward_ad, ...) raises
# NotImplementedError naming it
__getattr__ = missing_in("cnnlab.autograd")
