"""Printing a tensor as PyTorch does: ``tensor([...], dtype=..., grad_fn=<...>)``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import numpy as np

from cnnlab.autograd.types import default_dtype, is_floating

if TYPE_CHECKING:
    from cnnlab.autograd.tensor import Tensor


class PrintOptions:
    """What ``set_printoptions`` changes: digits after the point, the element count past which
    only the edges are shown, and how many at each edge."""

    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """``torch.set_printoptions``: ``profile`` is ``'default'``, ``'short'`` or ``'full'``."""
    profiles = {
        "default": (4, 1000, 3, 80),
        "short": (2, 1000, 2, 80),
        "full": (4, sys.maxsize, 3, 80),
    }
    if profile is not None:
        if profile not in profiles:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}")
        values = profiles[profile]
        PrintOptions.precision, PrintOptions.threshold = values[0], values[1]
        PrintOptions.edgeitems, PrintOptions.linewidth = values[2], values[3]
    for name, value in (
        ("precision", precision),
        ("threshold", threshold),
        ("edgeitems", edgeitems),
        ("linewidth", linewidth),
    ):
        if value is not None:
            setattr(PrintOptions, name, value)
    PrintOptions.sci_mode = sci_mode


def format_tensor(t: Tensor, prefix: str = "tensor(") -> str:
    """``tensor([...], dtype=..., grad_fn=<...>)`` in PyTorch's layout."""
    data = t._data
    if is_floating(data.dtype):
        body = np.array2string(
            data,
            separator=", ",
            prefix=prefix,
            precision=PrintOptions.precision,
            floatmode=_float_mode(data),
            suppress_small=PrintOptions.sci_mode is False,
            formatter=_scientific() if PrintOptions.sci_mode else None,
            threshold=PrintOptions.threshold,
            edgeitems=PrintOptions.edgeitems,
            max_line_width=PrintOptions.linewidth,
        )
    else:
        body = np.array2string(
            data,
            separator=", ",
            prefix=prefix,
            threshold=PrintOptions.threshold,
            edgeitems=PrintOptions.edgeitems,
            max_line_width=PrintOptions.linewidth,
        )
    extras = []
    if data.dtype not in (default_dtype(), np.dtype(np.int64), np.dtype(np.bool_)) or (
        data.size == 0 and data.dtype != default_dtype()
    ):
        extras.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return prefix + body + "".join(", " + e for e in extras) + ")"


def _scientific() -> dict:
    digits = PrintOptions.precision
    return {"float_kind": lambda x: f"{x:.{digits}e}"}


def _float_mode(data: np.ndarray) -> str:
    """PyTorch prints whole numbers as ``1.`` unless it needs scientific notation, else 4 digits."""
    values = np.abs(data[np.isfinite(data) & (data != 0)])
    if values.size == 0:
        return "maxprec"
    whole = bool((values == np.ceil(values)).all())
    scientific = values.max() / values.min() > 1000 or values.max() > 1e8 or values.min() < 1e-4
    return "maxprec" if whole and not scientific else "fixed"
