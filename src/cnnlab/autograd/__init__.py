"""Reverse-mode automatic differentiation over NumPy arrays."""

from cnnlab.autograd.function import Function
from cnnlab.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from cnnlab.autograd.tensor import Tensor

__all__ = [
    "Function",
    "Tensor",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
