"""ReLU forward and backward in one pass each, compiled: equal to ``activation.relu_reference``
and ``activation.relu_backward_reference``. They run on the flat memory of arrays of any
layout (a channel-major activation included), the result laid out as the input."""

from __future__ import annotations

import numpy as np

from cnnlab.ops.kernels.compiling import at, ints, kernel
from cnnlab.ops.threads import run_split


def _flat(x: np.ndarray) -> np.ndarray | None:
    """The 1-D view of ``x``'s memory, in memory order; None if its memory has gaps."""
    flat = x.ravel(order="K")
    return flat if np.may_share_memory(flat, x) else None  # else ravel had to copy


@kernel("in1", "out1", *ints(2))
def _relu(x, out, start, stop):
    for i in range(start, stop):
        value = x[at(i)]
        out[at(i)] = 0 if value <= 0 else value  # NaN passes, as in max(x, 0)


@kernel("in1", "in1", "out1", *ints(2))
def _relu_backward(grad, y, out, start, stop):
    for i in range(start, stop):
        out[at(i)] = 0 if y[at(i)] <= 0 else grad[at(i)]  # where y is NaN too, as PyTorch


def relu(x: np.ndarray) -> np.ndarray | None:
    """``max(x, 0)`` laid out as ``x``; None if ``x``'s memory has gaps (a sliced view)."""
    source = _flat(x)
    if source is None:
        return None
    out = np.empty_like(x)
    run_split(_relu[x.dtype], x.size, x.size, source, out.ravel(order="K"))
    return out


def relu_backward(grad: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """0 where ``y <= 0``, else ``grad``; None unless both share one gap-free layout."""
    if grad.strides != y.strides or grad.dtype != y.dtype:
        return None
    source, mask = _flat(grad), _flat(y)
    if source is None or mask is None:
        return None
    out = np.empty_like(grad)
    run_split(_relu_backward[grad.dtype], y.size, y.size, source, mask, out.ravel(order="K"))
    return out
