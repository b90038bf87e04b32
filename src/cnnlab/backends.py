"""``cnnlab.backends``: the switches programs set for PyTorch's GPU libraries
(``backends.cudnn.benchmark = True``) are accepted and change nothing; ``mps`` and ``cuda``
report that they are not available."""

from __future__ import annotations


class _CuDNN:
    """``backends.cudnn``: settable flags, no library behind them."""

    def __init__(self) -> None:
        self.enabled = True
        self.benchmark = False
        self.deterministic = False
        self.allow_tf32 = True

    def is_available(self) -> bool:
        return False

    def version(self) -> None:
        return None


class _NoAccelerator:
    """``backends.mps``: not built here, not available."""

    def is_available(self) -> bool:
        return False

    def is_built(self) -> bool:
        return False


cudnn = _CuDNN()
mps = _NoAccelerator()
