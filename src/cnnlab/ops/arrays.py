"""What the ops take as arrays: floats as they are, integers (the chapter's exercises) as float64.

The chapter's exercises give small integer matrices; ``ops.conv2d(X, W)`` with ``X`` and ``W``
of ``int64`` computes in ``float64`` and returns ``float64``, whichever ``method`` it uses, as
PyTorch's ``torch.tensor(X, dtype=torch.float64)`` would. Nested lists are read as arrays. An
array of anything but real numbers is refused with the op, the argument and the dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def real_array(value: Any, op: str, argument: str) -> np.ndarray:
    """``value`` as a float array: float arrays unchanged (no copy), integers and booleans as
    float64, lists and scalars through ``np.asarray``.

    Raises:
        TypeError: ``value`` holds complex numbers, strings or objects; the message names
            ``op`` and ``argument``, e.g. ``conv2d: weight must hold real numbers, got <U1``.
    """
    array = value if isinstance(value, np.ndarray) else np.asarray(value)
    kind = array.dtype.kind
    if kind == "f":
        return array
    if kind in "biu":
        return array.astype(np.float64)
    raise TypeError(f"{op}: {argument} must hold real numbers, got an array of {array.dtype}")


def optional_real_array(value: Any, op: str, argument: str) -> np.ndarray | None:
    """:func:`real_array`, with ``None`` passed through (an optional bias)."""
    return None if value is None else real_array(value, op, argument)


def check_axis(axis: Any, ndim: int, op: str) -> int:
    """``axis`` as a non-negative axis of an array of ``ndim`` dimensions, or an error naming
    it (NumPy's ``AxisError`` would not say which op)."""
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{op}: axis {axis} is out of range for an input of {ndim} dimension(s) "
            f"(expected {-ndim} .. {ndim - 1})"
        )
    return int(axis) % ndim
