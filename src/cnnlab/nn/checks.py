"""Argument checks shared by the functional forms: they name the function, the argument, what
was expected and what was given."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.tensor import Tensor

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def check_tensor(name: str, arg: str, value, *, floating: bool = True) -> None:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: {arg} must be a cnnlab Tensor, got {type(value).__name__}")
    if floating and value.dtype.kind != "f":
        raise TypeError(
            f"{name}: {arg} must be a floating point tensor, got dtype {value.dtype} "
            f"(convert with .float())"
        )


def check_same_dtype(name: str, **tensors) -> None:
    dtypes = {t.dtype if isinstance(t, Tensor) else None for t in tensors.values() if t is not None}
    if len(dtypes) == 1 and next(iter(dtypes)) in _FLOATS:
        return  # the usual case, checked in one pass
    given = {arg: t for arg, t in tensors.items() if t is not None}
    for arg, t in given.items():
        check_tensor(name, arg, t)
    dtypes = {t.dtype for t in given.values()}
    if len(dtypes) > 1:
        listed = ", ".join(f"{arg} is {t.dtype}" for arg, t in given.items())
        raise TypeError(f"{name}: tensors must share one dtype, but {listed}")


def batched(name: str, input: Tensor, ndim: int = 4) -> tuple[Tensor, bool]:
    """Accept (C, H, W) as a batch of one, as PyTorch does; anything else must be 4-D."""
    if input.ndim == ndim - 1:
        return input.unsqueeze(0), True
    if input.ndim != ndim:
        raise ValueError(
            f"{name}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
            f"{tuple(input.shape)}"
        )
    return input, False


def in_place(input: Tensor, compute, inplace: bool) -> Tensor:
    """``compute(input)``; with ``inplace`` the result is written into ``input`` itself through
    the engine's in-place mechanism (``Tensor._apply_inplace``): the gradient flows as in
    PyTorch, and a leaf that requires grad refuses with PyTorch's error."""
    return input._apply_inplace(compute) if inplace else compute(input)
