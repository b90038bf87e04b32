"""The error for a PyTorch name cnnlab does not have."""

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
