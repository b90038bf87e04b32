"""``.pt`` files: ``cnnlab.save`` writes PyTorch's zip format, ``cnnlab.load`` reads it without
running code from the file (PyTorch's ``weights_only=True`` allow-list).

Example:
    >>> import cnnlab
    >>> net = cnnlab.nn.Linear(2, 1)
    >>> cnnlab.save(net.state_dict(), "net.pt")  # doctest: +SKIP
    >>> net.load_state_dict(cnnlab.load("net.pt"))  # doctest: +SKIP
"""

from cnnlab.serialization.errors import CorruptFileError, UnsafePickleError
from cnnlab.serialization.load import load
from cnnlab.serialization.save import save

__all__ = ["CorruptFileError", "UnsafePickleError", "load", "save"]
