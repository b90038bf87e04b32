"""Anomaly detection: ``detect_anomaly`` and ``set_detect_anomaly``, as ``torch.autograd``'s.

In anomaly mode every recorded op keeps the traceback of the call that created it, and the
backward pass checks each op's gradients (the outputs of its backward function, one per input
that needs one): the first op that returns a ``nan`` raises ``RuntimeError("Function
'LogBackward' returned nan values in its 0th output.")`` followed by that traceback -- PyTorch's
message; its nodes are named ``LogBackward0``. As in PyTorch, an infinite gradient and a
non-finite forward value pass by default.

Two cnnlab additions, off by default: ``check_forward=True`` also checks each op's forward
output, so the first op whose value is ``nan`` raises at once, naming the op and the call
that made it; ``check_inf=True`` counts ``inf`` and ``-inf`` as anomalies too (``cnnlab train
--detect-anomaly`` turns both on).
"""

from __future__ import annotations

import functools
import traceback
import warnings
from pathlib import Path

import numpy as np

_QUIET = str(Path(__file__).parents[1] / "ops" / "floating.py")  # its wrapper's frames
_INTERNAL = {str(Path(__file__).with_name(name)) for name in ("function.py", "anomaly.py")}


class _Anomaly:
    enabled = False
    check_nan = True
    check_forward = False
    check_inf = False


def is_anomaly_enabled() -> bool:
    """``torch.is_anomaly_enabled``: whether anomaly mode is on."""
    return _Anomaly.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """``torch.is_anomaly_check_nan_enabled``: whether anomaly mode checks for ``nan``."""
    return _Anomaly.check_nan


class AnomalyError(RuntimeError):
    """An op gave a ``nan`` (or, with ``check_inf``, an infinite) value in anomaly mode.

    ``op`` is its name (``LogBackward`` for a gradient, ``Log`` for a forward value),
    ``index`` the input whose gradient it was (``None`` for a forward value), ``value`` the
    first bad element and ``trace`` the creation traceback (``traceback.StackSummary``).
    """

    def __init__(self, message: str, op: str, index: int | None, value: float, trace) -> None:
        super().__init__(message)
        self.op, self.index, self.value, self.trace = op, index, value, trace

    @property
    def headline(self) -> str:
        """The first line of the message."""
        return str(self).split("\n", 1)[0]


def _state() -> tuple[bool, bool, bool, bool]:
    a = _Anomaly
    return a.enabled, a.check_nan, a.check_forward, a.check_inf


def _set(enabled: bool, check_nan: bool, check_forward: bool, check_inf: bool) -> None:
    _Anomaly.enabled, _Anomaly.check_nan = enabled, check_nan
    _Anomaly.check_forward, _Anomaly.check_inf = check_forward, check_inf


class detect_anomaly:
    """``torch.autograd.detect_anomaly(check_nan=True)``: a context (or decorator) inside which
    anomaly mode is on (see the module's docstring); it warns that it slows the engine, as
    PyTorch does. ``check_forward`` and ``check_inf`` are cnnlab's (off: PyTorch's checks)."""

    def __init__(
        self, check_nan: bool = True, *, check_forward: bool = False, check_inf: bool = False
    ) -> None:
        self.modes = (True, check_nan, check_forward, check_inf)
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and "
            "should only be enabled for debugging.",
            UserWarning,
            stacklevel=2,
        )

    def __enter__(self) -> None:
        self.previous = _state()
        _set(*self.modes)

    def __exit__(self, *exc) -> None:
        _set(*self.previous)

    def __call__(self, func):
        modes = self.modes

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            previous = _state()
            _set(*modes)
            try:
                return func(*args, **kwargs)
            finally:
                _set(*previous)

        return wrapper


class set_detect_anomaly:
    """``torch.autograd.set_detect_anomaly(mode, check_nan=True)``: turns anomaly mode on or
    off at once; used as a context, the previous mode comes back at its end."""

    def __init__(
        self,
        mode: bool,
        check_nan: bool = True,
        *,
        check_forward: bool = False,
        check_inf: bool = False,
    ) -> None:
        self.previous = _state()
        _set(bool(mode), check_nan, check_forward, check_inf)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        _set(*self.previous)


def creation_trace() -> traceback.StackSummary:
    """The caller's stack, without the engine's own frames at its end."""
    stack = traceback.StackSummary.extract(traceback.walk_stack(None), lookup_lines=False)
    stack.reverse()
    while stack and stack[-1].filename in _INTERNAL:
        stack.pop()
    return traceback.StackSummary.from_list([f for f in stack if f.filename != _QUIET])


def _first_bad(array: np.ndarray) -> float | None:
    """The first ``nan`` (or, with ``check_inf``, non-finite) element of ``array``, else None."""
    if array.dtype.kind not in "fc":
        return None
    bad = ~np.isfinite(array) if _Anomaly.check_inf else np.isnan(array)
    if not bad.any():
        return None
    first = array[bad].flat[0]
    return float(first.real if array.dtype.kind == "c" else first)


def _describe(value: float) -> str:
    return "nan" if value != value else f"{value}"


def _format(message: str, trace) -> str:
    if not trace:
        return f"{message}\n(no traceback: the op was recorded while anomaly mode was off)"
    lines = "".join(traceback.format_list(trace))
    return f"{message}\nTraceback of forward call that caused the error:\n{lines.rstrip()}"


def check_forward(fn, out) -> None:
    """After an op's forward in anomaly mode: keep its creation traceback on ``fn`` and, with
    ``check_forward``, raise :class:`AnomalyError` if ``out`` has a bad value."""
    trace = creation_trace()
    fn.trace = trace
    if not _Anomaly.check_forward:
        return
    for array in out if isinstance(out, tuple) else (out,):
        value = _first_bad(np.asarray(array))
        if value is not None:
            op = type(fn).__name__
            message = f"Function '{op}' returned {_describe(value)} values in its forward output."
            raise AnomalyError(_format(message, trace), op, None, value, trace)


def check_backward(fn, grads: tuple, needed: tuple) -> None:
    """After an op's backward in anomaly mode: raise :class:`AnomalyError` for the first
    needed gradient with a bad value, as PyTorch's engine does."""
    if not _Anomaly.check_nan:
        return
    for index, (grad, wanted) in enumerate(zip(grads, needed, strict=False)):
        if not wanted or grad is None:
            continue
        value = _first_bad(np.asarray(grad))
        if value is not None:
            trace = getattr(fn, "trace", None)
            message = (
                f"Function '{fn.name}' returned {_describe(value)} values in its {index}th output."
            )
            raise AnomalyError(_format(message, trace), fn.name, index, value, trace)
