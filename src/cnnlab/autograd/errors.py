"""The errors cnnlab raises where PyTorch raises its own kinds: a missing PyTorch name, and
the ``RuntimeError``s PyTorch gives for a wrong dtype or value."""

from __future__ import annotations


class NotAvailable(NotImplementedError, AttributeError):
    """A PyTorch feature cnnlab does not have: a ``NotImplementedError`` naming it, and an
    ``AttributeError`` so that ``hasattr`` and ``getattr(obj, name, default)`` still work."""


def missing(name: str, owner: str):
    """Raise for ``owner.name`` (``cnnlab.fft``, ``Tensor.cumprod``); underscore names get the
    plain ``AttributeError`` Python's protocols (copy, pickle, NumPy) expect."""
    if name.startswith("_"):
        raise AttributeError(f"{owner!r} has no attribute {name!r}")
    raise NotAvailable(
        f"{owner}.{name} is not available in cnnlab (the PyTorch feature of that name, if any, "
        "is not implemented)"
    )


class RuntimeTypeError(TypeError, RuntimeError):
    """A tensor of a dtype an op does not take: PyTorch raises ``RuntimeError`` here, so a
    program catching that catches this ``TypeError`` too."""


class RuntimeValueError(ValueError, RuntimeError):
    """An argument value PyTorch answers with ``RuntimeError`` (``item()`` of many elements,
    ...): a ``ValueError`` that a program catching ``RuntimeError`` catches too."""


def missing_in(owner: str):
    """A module-level ``__getattr__`` for ``owner`` (``cnnlab.nn``, ...): a PyTorch name the
    module does not have raises ``NotImplementedError`` naming it (and stays an
    ``AttributeError`` for ``hasattr``)."""

    def __getattr__(name: str):
        missing(name, owner)

    return __getattr__
