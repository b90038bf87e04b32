"""Making tensors: from data, filled, random, and joined."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd import math_ops, random
from cnnlab.autograd.tensor import Tensor, _to_array
from cnnlab.autograd.types import default_dtype


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data``; Python floats become float32."""
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def as_tensor(data, dtype=None) -> Tensor:
    """Like :func:`tensor`, but shares memory with a NumPy array of the right dtype."""
    if isinstance(data, Tensor) and dtype is None:
        return data
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return Tensor._wrap(data)
    return Tensor._wrap(_to_array(data, dtype))


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``, keeping its dtype."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._wrap(array)


def _shape(size: tuple) -> tuple[int, ...]:
    return tuple(size[0]) if len(size) == 1 and not isinstance(size[0], int) else tuple(size)


def _filled(make, size, dtype, requires_grad) -> Tensor:
    t = Tensor._wrap(make(_shape(size), dtype=np.dtype(dtype or default_dtype())))
    return t.requires_grad_(requires_grad) if requires_grad else t


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _filled(np.zeros, size, dtype, requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _filled(np.ones, size, dtype, requires_grad)


def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _filled(np.zeros, size, dtype, requires_grad)


def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``fill_value``; its dtype follows the value (bool, int64, float32), as in
    PyTorch."""
    if dtype is None:
        dtype = Tensor(fill_value).dtype
    t = Tensor._wrap(np.full(_shape((size,)), fill_value, dtype=np.dtype(dtype)))
    return t.requires_grad_(requires_grad) if requires_grad else t


def zeros_like(t: Tensor, dtype=None) -> Tensor:
    return zeros(*t.shape, dtype=dtype or t.dtype)


def ones_like(t: Tensor, dtype=None) -> Tensor:
    return ones(*t.shape, dtype=dtype or t.dtype)


def _random(draw, size, dtype, requires_grad) -> Tensor:
    dtype = np.dtype(dtype or default_dtype())
    t = Tensor._wrap(draw(random.generator(), _shape(size)).astype(dtype, copy=False))
    return t.requires_grad_(requires_grad) if requires_grad else t


def randn(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the global generator (see ``manual_seed``)."""
    return _random(lambda g, s: g.standard_normal(s), size, dtype, requires_grad)


def rand(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from the global generator."""
    return _random(lambda g, s: g.random(s), size, dtype, requires_grad)


def randint(low: int, high: int, size, dtype=None) -> Tensor:
    """Integers uniform in [low, high) from the global generator."""
    values = random.generator().integers(low, high, size=tuple(size))
    return Tensor._wrap(values.astype(np.dtype(dtype or np.int64)))


def randperm(n: int) -> Tensor:
    """A random permutation of ``0 .. n - 1``."""
    return Tensor._wrap(random.generator().permutation(n).astype(np.int64))


def arange(start, end=None, step=1, dtype=None) -> Tensor:
    if end is None:
        start, end = 0, start
    values = np.arange(start, end, step)
    if dtype is None and values.dtype == np.float64:
        dtype = default_dtype()
    return Tensor._wrap(values.astype(dtype) if dtype is not None else values)


def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    return math_ops.Cat.apply(*tensors, dim=dim)


def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors along a new dimension."""
    return math_ops.Stack.apply(*tensors, dim=dim)


def where(condition, a, b) -> Tensor:
    """``a`` where ``condition`` holds, else ``b``."""
    a = a if isinstance(a, Tensor) else tensor(a)
    b = b if isinstance(b, Tensor) else tensor(b)
    return math_ops.Where.apply(a, b, condition=np.asarray(condition))
