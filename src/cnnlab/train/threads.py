"""How many threads an engine computes with during a run.

Both engines have ``set_num_threads``/``get_num_threads``; each keeps its own default (one
thread per core) unless a count is given.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


@contextmanager
def compute_threads(lib: ModuleType, threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` compute threads on engine ``lib`` (``None``: the engine's
    own default); the previous count comes back after."""
    if threads is None:
        yield
        return
    previous = lib.get_num_threads()
    lib.set_num_threads(threads)
    try:
        yield
    finally:
        lib.set_num_threads(previous)
