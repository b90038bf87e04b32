"""cnnlab: the convolutional neural networks of Chapter 8, from their equations up.

The top level mirrors ``torch`` for the chapter's listings: ``import cnnlab as torch``.
"""

from cnnlab import nn, optim, utils
from cnnlab.autograd.creation import (
    arange,
    as_tensor,
    cat,
    empty,
    from_numpy,
    full,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)
from cnnlab.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from cnnlab.autograd.random import get_rng_state, manual_seed, set_rng_state
from cnnlab.autograd.size import Size
from cnnlab.autograd.tensor import Tensor
from cnnlab.autograd.types import bool_ as bool
from cnnlab.autograd.types import float32, float64, int32, int64, uint8
from cnnlab.ops import threads
from cnnlab.utils.memory import keep_freed_memory

float = float32
double = float64
long = int64

__version__ = "0.1.0"

keep_freed_memory()


def set_num_threads(count: int) -> None:
    """Compute on ``count`` threads (as ``torch.set_num_threads``): the compiled kernels and the
    matrix products share them; NumPy's own BLAS threads are kept to one."""
    threads.set_num_threads(count)


def get_num_threads() -> int:
    """The number of threads the engine computes on."""
    return threads.get_num_threads()


def max(input: Tensor, dim=None, keepdim: bool = False):
    """``max(t)``: the largest element; ``max(t, dim)``: (values, indices);
    ``max(a, b)``: elementwise."""
    return input.max(dim, keepdim)


def min(input: Tensor, dim=None, keepdim: bool = False):
    """``min(t)``: the smallest element; ``min(t, dim)``: (values, indices);
    ``min(a, b)``: elementwise."""
    return input.min(dim, keepdim)


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return input.argmax(dim, keepdim)


def sum(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return input.sum(dim, keepdim)


def mean(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return input.mean(dim, keepdim)


def exp(input: Tensor) -> Tensor:
    return input.exp()


def log(input: Tensor) -> Tensor:
    return input.log()


def sqrt(input: Tensor) -> Tensor:
    return input.sqrt()


def abs(input: Tensor) -> Tensor:
    return input.abs()


def tanh(input: Tensor) -> Tensor:
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:
    return input.sigmoid()


def relu(input: Tensor) -> Tensor:
    return input.relu()


def softmax(input: Tensor, dim: int) -> Tensor:
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    return input.log_softmax(dim)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return input.flatten(start_dim, end_dim)


def clamp(input: Tensor, min=None, max=None) -> Tensor:
    return input.clamp(min, max)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    return a @ b


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def equal(a: Tensor, b: Tensor) -> bool:
    return a.equal(b)


def allclose(a: Tensor, b: Tensor, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    import numpy

    return numpy.allclose(a._data, b._data, rtol=rtol, atol=atol).item()
