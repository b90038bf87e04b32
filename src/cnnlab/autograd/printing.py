"""Printing a tensor as PyTorch does: ``tensor([...], dtype=..., grad_fn=<...>)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cnnlab.autograd.types import default_dtype, dtype_name, is_floating

if TYPE_CHECKING:
    from cnnlab.autograd.tensor import Tensor


def format_tensor(t: Tensor, prefix: str = "tensor(") -> str:
    """``tensor([...], dtype=..., grad_fn=<...>)`` in PyTorch's layout."""
    data = t._data
    if is_floating(data.dtype):
        body = np.array2string(
            data,
            separator=", ",
            prefix=prefix,
            precision=4,
            floatmode=_float_mode(data),
            suppress_small=False,
            threshold=1000,
            edgeitems=3,
        )
    else:
        body = np.array2string(data, separator=", ", prefix=prefix, threshold=1000)
    extras = []
    if data.dtype not in (default_dtype(), np.dtype(np.int64), np.dtype(np.bool_)) or (
        data.size == 0 and data.dtype != default_dtype()
    ):
        extras.append(f"dtype=cnnlab.{dtype_name(data.dtype)}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"


def _float_mode(data: np.ndarray) -> str:
    """PyTorch prints whole numbers as ``1.`` unless it needs scientific notation, else 4 digits."""
    values = np.abs(data[np.isfinite(data) & (data != 0)])
    if values.size == 0:
        return "maxprec"
    whole = bool((values == np.ceil(values)).all())
    scientific = values.max() / values.min() > 1000 or values.max() > 1e8 or values.min() < 1e-4
    return "maxprec" if whole and not scientific else "fixed"
