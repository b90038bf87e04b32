"""Joining tensors: ``cat`` (``concat``, ``concatenate``), ``stack``, ``hstack``, ``vstack``,
and choosing between two: ``where``. Inputs of different dtypes meet at the dtype PyTorch's
promotion gives."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd import index_ops, shape_ops
from cnnlab.autograd.arithmetic import _operand
from cnnlab.autograd.creation import Options, tensor
from cnnlab.autograd.shaping import _axis
from cnnlab.autograd.tensor import Tensor
from cnnlab.autograd.types import promote


def _joined(tensors, name: str) -> list[Tensor]:
    """The tensors of a ``cat``/``stack``, converted to the dtype PyTorch's promotion gives."""
    if isinstance(tensors, Tensor) or not tensors:
        raise TypeError(f"{name}(): expected a non-empty list or tuple of tensors")
    tensors = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    dtype = tensors[0]._data.dtype
    for t in tensors[1:]:
        dtype = promote(np.empty((1,), dtype), np.empty((1,), t._data.dtype))
    return [t if t._data.dtype == dtype else t.type(dtype) for t in tensors]


def cat(tensors, dim: int = 0, *, axis=None, out=None) -> Tensor:
    """Join tensors along an existing dimension; all other dimensions must match."""
    Options("cat", {"out": out})
    tensors = _joined(tensors, "cat")
    dim = _axis(axis if axis is not None else dim, tensors[0].ndim)
    first = tensors[0]._data.shape
    for number, t in enumerate(tensors):
        shape = t._data.shape
        if len(shape) != len(first):
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {len(first)} and {len(shape)}"
            )
        for d, (a, b) in enumerate(zip(first, shape, strict=True)):
            if d != dim and a != b:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {dim}. Expected size {a} "
                    f"but got size {b} for tensor number {number} in the list."
                )
    return shape_ops.Cat.apply(*tensors, dim=dim)


concat = concatenate = cat


def stack(tensors, dim: int = 0, *, out=None) -> Tensor:
    """Join tensors of one shape along a new dimension."""
    Options("stack", {"out": out})
    tensors = _joined(tensors, "stack")
    for number, t in enumerate(tensors):
        if t._data.shape != tensors[0]._data.shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} "
                f"at entry 0 and {list(t.shape)} at entry {number}"
            )
    return shape_ops.Stack.apply(*tensors, dim=_axis(dim, tensors[0].ndim + 1))


def hstack(tensors) -> Tensor:
    tensors = _joined(tensors, "hstack")
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors) -> Tensor:
    return cat([t if t.ndim > 1 else t.reshape(1, -1) for t in _joined(tensors, "vstack")], 0)


def where(condition, input=None, other=None) -> Tensor:
    """``input`` where ``condition`` holds, else ``other`` (numbers take the other side's
    dtype); with only ``condition``, the indices where it holds (``nonzero(as_tuple=True)``)."""
    condition = np.asarray(condition._data if isinstance(condition, Tensor) else condition)
    if input is None and other is None:
        return Tensor._wrap(condition).nonzero(as_tuple=True)
    if condition.dtype != np.bool_:
        raise RuntimeError(
            f"where expected condition to be a boolean tensor, but got {condition.dtype}"
        )
    a = input if isinstance(input, Tensor) else None
    b = other if isinstance(other, Tensor) else None
    a = a if a is not None else _scalar_beside(input, b)
    b = b if b is not None else _scalar_beside(other, a)
    return index_ops.Where.apply(a, b, condition=condition)


def _scalar_beside(value, like: Tensor | None) -> Tensor:
    return tensor(value) if like is None else _operand(value, like)
