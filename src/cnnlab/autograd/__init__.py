"""Reverse-mode automatic differentiation over NumPy arrays."""

from cnnlab.autograd.function import Function, backward
from cnnlab.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from cnnlab.autograd.gradcheck import gradcheck
from cnnlab.autograd.tensor import Tensor

__all__ = [
    "Function",
    "Tensor",
    "backward",
    "enable_grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
