"""How many threads an engine computes with during a run.

Both engines have ``set_num_threads``/``get_num_threads`` (cnnlab's sets its compiled kernels and
NumPy's BLAS). On the NumPy engine a run uses one thread unless told otherwise: the chapter's
networks are small, and on a two-core machine with other work running, two threads were
measured to be up to tens of times slower than one (BLAS threads waiting for a core), while on
an idle machine they gain little. PyTorch keeps its own default unless a count is given.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from cnnlab.models import engine_name


@contextmanager
def compute_threads(lib: ModuleType, threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` compute threads on engine ``lib`` (``None``: one on the
    NumPy engine, PyTorch's own default on torch); the previous count comes back after."""
    if threads is None and engine_name(lib) == "numpy":
        threads = 1
    if threads is None:
        yield
        return
    previous = lib.get_num_threads()
    lib.set_num_threads(threads)
    try:
        yield
    finally:
        lib.set_num_threads(previous)
