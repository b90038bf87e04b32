"""Keeping freed memory for reuse, the way PyTorch's caching allocators do.

Training allocates and frees the same large arrays every step (im2col columns, activations,
gradients). By default glibc hands freed memory at the top of the heap back to the system and
takes it again on the next step, and every page taken again costs a page fault and a zero fill:
on a small virtual machine that doubled the time of a LeNet-5 step. Raising glibc's trim
threshold (and padding each heap growth) keeps those pages in the process. Set the environment
variable ``CNNLAB_KEEP_MEMORY=0`` to leave the allocator alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory() -> bool:
    """Tune glibc's malloc to keep freed memory; True if it took effect (Linux with glibc)."""
    if os.environ.get("CNNLAB_KEEP_MEMORY", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    settings = (
        (_M_MMAP_THRESHOLD, 32 << 20),  # arrays up to 32 MB come from the heap, not mmap
        (_M_TRIM_THRESHOLD, (2 << 30) - 1),  # keep up to 2 GB of freed heap
        (_M_TOP_PAD, 64 << 20),  # grow the heap 64 MB at a time
    )
    return all(mallopt(option, value) == 1 for option, value in settings)
