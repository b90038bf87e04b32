"""PyTorch names that programs use and cnnlab accepts for what they mean on a CPU-only NumPy
engine: the legacy typed constructors (``FloatTensor(2, 3)``, ``LongTensor([1, 2])``), the
layout and memory-format constants, ``compile`` (nothing to compile: the model itself), and
the error for a name that cnnlab does not have (``missing``)."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.errors import NotAvailable, missing

__all__ = ["NotAvailable", "missing"]


class _Constant:
    """A named constant (``strided``, ``channels_last``): accepted, and meaningless here, since
    every tensor is a NumPy array."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"cnnlab.{self.name}"


strided = _Constant("strided")
contiguous_format = _Constant("contiguous_format")
channels_last = _Constant("channels_last")
preserve_format = _Constant("preserve_format")


def compile(model=None, **options):
    """``torch.compile``: there is no compiler here; the model (or function) runs as it is."""
    if model is None:
        return lambda m: m
    return model


def _typed(dtype, name: str):
    def constructor(*args):
        """``{name}(2, 3)``: a tensor of that shape (zeros); ``{name}([1, 2])``: of that data."""
        from cnnlab.autograd.creation import tensor, zeros

        if all(isinstance(a, int | np.integer) for a in args):
            return zeros(*args, dtype=dtype)
        if len(args) == 1:
            return tensor(args[0], dtype=dtype)
        raise TypeError(f"{name}(): expected sizes or one sequence of data, got {args!r}")

    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = constructor.__doc__.format(name=name)
    constructor.tensor_dtype = np.dtype(dtype)  # so that t.type(LongTensor) converts, as in torch
    return constructor


FloatTensor = _typed(np.float32, "FloatTensor")
DoubleTensor = _typed(np.float64, "DoubleTensor")
LongTensor = _typed(np.int64, "LongTensor")
IntTensor = _typed(np.int32, "IntTensor")
ByteTensor = _typed(np.uint8, "ByteTensor")
BoolTensor = _typed(np.bool_, "BoolTensor")
