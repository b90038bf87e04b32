"""Switching gradient recording on and off: ``no_grad``, ``enable_grad``, ``set_grad_enabled``,
``inference_mode``."""

from __future__ import annotations

import functools


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    """Whether new operations are recorded for backward."""
    return _GradMode.enabled


class _GradModeContext:
    """Sets recording to ``self.mode`` inside a ``with`` block or a decorated function."""

    mode = True

    def __enter__(self) -> None:
        self.previous = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __exit__(self, *exc) -> None:
        _GradMode.enabled = self.previous

    def __call__(self, func):
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            previous = _GradMode.enabled
            _GradMode.enabled = mode
            try:
                return func(*args, **kwargs)
            finally:
                _GradMode.enabled = previous

        return wrapper


class _BareDecoratorContext(_GradModeContext):
    """Also usable as a bare decorator, ``@no_grad`` without parentheses, as in PyTorch."""

    def __new__(cls, func=None):
        context = super().__new__(cls)
        return context if func is None else context(func)

    def __init__(self, func=None) -> None:
        pass


class no_grad(_BareDecoratorContext):
    """Nothing inside is recorded for backward (evaluation, parameter updates)."""

    mode = False


class enable_grad(_BareDecoratorContext):
    """Recording is on inside, even within ``no_grad``."""

    mode = True


class set_grad_enabled(_GradModeContext):
    """Set recording to ``mode``: at once when called, and back on leaving a ``with`` block."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self.previous = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __enter__(self) -> None:
        _GradMode.enabled = self.mode

    def __call__(self, func):
        # as a decorator it only applies inside the function: undo the switch made by __init__
        _GradMode.enabled = self.previous
        return super().__call__(func)


class inference_mode(_GradModeContext):
    """As ``no_grad`` (cnnlab has no separate inference tensors): ``with inference_mode():``,
    ``@inference_mode()``, ``@inference_mode``, and ``inference_mode(False)`` to record."""

    def __new__(cls, mode=True):
        context = super().__new__(cls)
        if callable(mode):  # used as a bare decorator
            context.mode = False
            return context(mode)
        return context

    def __init__(self, mode: bool = True) -> None:
        self.mode = not bool(mode)
