"""Floating-point errors: the engine computes them as PyTorch does, silently.

PyTorch's kernels never warn: an overflow gives ``inf``, ``0/0`` or ``sqrt(-1)`` give ``nan``,
and the caller checks (``torch.isfinite``, ``torch.autograd.detect_anomaly``, a trainer that
stops when its loss diverges). NumPy instead issues a ``RuntimeWarning`` for each such result.
The engine therefore runs its entry points -- an op's forward (``Function.apply``), a backward
pass, a module's call, an optimizer step, each part of a product shared among threads -- under
``np.errstate(all="ignore")``, entered once per thread however deeply these calls nest, and
reports non-finite values through its own messages.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TypeVar

import numpy as np

F = TypeVar("F", bound=Callable)

_local = threading.local()


def quietly(function: F) -> F:
    """``function`` run under ``np.errstate(all="ignore")``; entered once per thread, so that a
    nested call costs one attribute look-up."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        if getattr(_local, "quiet", False):
            return function(*args, **kwargs)
        _local.quiet = True
        try:
            with np.errstate(all="ignore"):
                return function(*args, **kwargs)
        finally:
            _local.quiet = False

    return run  # type: ignore[return-value]
