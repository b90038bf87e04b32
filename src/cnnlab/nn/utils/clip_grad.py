"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_``."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from cnnlab.autograd.tensor import Tensor


def _with_grads(parameters) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach=None,
) -> Tensor:
    """Scale all gradients together so that their joint ``norm_type``-norm is at most
    ``max_norm``: ``g *= min(1, max_norm / (norm + 1e-6))``. Returns the norm before clipping
    (a 0-d tensor)."""
    grads = [p.grad for p in _with_grads(parameters)]
    norm_type = float(norm_type)
    if not grads:
        return Tensor._wrap(np.asarray(0.0, np.float32))
    dtype = grads[0].dtype
    if math.isinf(norm_type):
        norms = [np.abs(g._data).max() if g._data.size else 0.0 for g in grads]
        total = max(norms)
    else:
        norms = [np.sum(np.abs(g._data.astype(np.float64)) ** norm_type) for g in grads]
        total = float(np.sum(norms)) ** (1.0 / norm_type)
    total = np.asarray(total, dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
            "so it cannot be clipped. To disable this error and scale the gradients by the "
            "non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    scale = min(float(max_norm) / (float(total) + 1e-6), 1.0)
    for g in grads:
        g._data = g._data * np.asarray(scale, g._data.dtype)
    return Tensor._wrap(total)


def clip_grad_value_(parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach=None):
    """Clamp every gradient element to ``[-clip_value, clip_value]``."""
    for p in _with_grads(parameters):
        np.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)
