"""The errors of ``cnnlab.load``: a file refused for what its pickle asks for, or a damaged file."""

from __future__ import annotations

import pickle


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asks for something outside the allow-list (a function to call, a class to build).

    Raised before anything it asks for runs; the message names the file and what it asked for,
    as ``torch.load(weights_only=True)`` refuses such files with ``pickle.UnpicklingError``.
    """


class CorruptFileError(ValueError):
    """A ``.pt`` file is truncated, corrupted, or inconsistent (a missing storage record, a tensor
    that does not fit its storage). The message names the file and what is wrong."""
