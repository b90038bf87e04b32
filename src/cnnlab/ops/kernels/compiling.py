"""How the kernels are compiled: on first use, one dtype at a time, cached on disk.

Each kernel is a numba function with one signature per dtype (float32, float64) over
C-contiguous arrays. Nothing compiles on import: the first call for a dtype compiles that
dtype's version alone (or loads it from the cache), so a run compiles only the kernels it
uses, in the one dtype it uses. numba caches the machine code beside this package, in
``__pycache__``, when that folder is writable, and otherwise in the user's cache folder
(``$XDG_CACHE_HOME/numba``, by default ``~/.cache/numba``); ``NUMBA_CACHE_DIR`` overrides both.

Compiling takes seconds (numba's first compilation in a process alone takes one or two). Inside
:func:`compiling_in_background` (``cnnlab train`` runs in it), a kernel that is not in the cache
is compiled by a child process instead, and asking for it raises :class:`NotCompiledYet` until
the child is done: the callers then compute with the NumPy reference formulation, which the
tests hold equal to the kernel, so the first steps of a run on a new machine run slower instead
of waiting. ``CNNLAB_BACKGROUND_COMPILE=0`` turns that off.

Layout: the kernels work on C-contiguous arrays in channel-major order, (C, N, H, W) in memory,
and hand their results back as (N, C, H, W) views of such arrays. A convolution's matrix product
``W_row @ X_col`` is (K, N * Ho * Wo), channel-major already, so keeping that order from layer to
layer saves a transpose at every layer; an input in another layout is copied once on entry.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import numpy as np
from numba import njit, types

_FLOATS = {np.dtype(np.float32): types.float32, np.dtype(np.float64): types.float64}
_LOCK = threading.Lock()


def _signature(parts: tuple[str, ...], dtype: np.dtype):
    """``in``/``out`` + rank: read-only/writable float arrays (``in4``, ``out2``...);
    ``index``/``index_out``: int64 4-D arrays; ``mask_out``: a uint8 array of rank 4;
    ``sum_out4``: a writable float64 4-D array (sums kept in double precision);
    ``int``: an int64 scalar. Every array is C-contiguous."""
    f = _FLOATS[np.dtype(dtype)]
    table = {"int": types.int64}
    for rank in (1, 2, 4):
        table[f"in{rank}"] = types.Array(f, rank, "C", readonly=True)
        table[f"out{rank}"] = types.Array(f, rank, "C")
    table["index"] = types.Array(types.int64, 4, "C", readonly=True)
    table["index_out"] = types.Array(types.int64, 4, "C")
    table["sum_out4"] = types.Array(types.float64, 4, "C")
    return types.void(*(table[p] for p in parts))


KERNELS: list[Kernel] = []  # every kernel declared, in the order of declaration


def compile_all(dtype=np.float32) -> None:
    """Compile (or load from the cache) every kernel for ``dtype`` now."""
    for k in KERNELS:
        k[np.dtype(dtype)]


class NotCompiledYet(Exception):
    """The kernel is being compiled in the background; use the NumPy reference meanwhile."""


class Kernel:
    """A compiled loop: ``kernel[dtype]`` is its numba function for that dtype, compiled (or
    loaded from the cache) the first time it is asked for."""

    def __init__(self, function, parts: tuple[str, ...], fastmath: frozenset = frozenset()):
        self.dispatcher = njit(cache=True, nogil=True, fastmath=set(fastmath))(function)
        self.parts = parts
        self.name = f"{function.__module__}:{function.__name__}"
        self.ready: set = set()
        self.__doc__ = function.__doc__
        KERNELS.append(self)

    def __getitem__(self, dtype: np.dtype) -> object:
        if dtype not in self.ready:
            if np.dtype(dtype) not in _FLOATS:
                raise TypeError(f"compiled kernels take float32 or float64 arrays, got {dtype}")
            with _LOCK:
                if _background["depth"] and not self._in_cache(dtype):
                    _compile_elsewhere(self.name, np.dtype(dtype).name)
                self._compile(dtype)
        return self.dispatcher

    def _compile(self, dtype: np.dtype) -> None:
        # Compiling stays off between calls: numba would otherwise compile yet another version
        # for an argument that merely converts (a writable array for a read-only one).
        self.dispatcher.disable_compile(False)
        self.dispatcher.compile(_signature(self.parts, dtype))
        self.dispatcher.disable_compile(True)
        self.ready.add(dtype)

    def _in_cache(self, dtype: np.dtype) -> bool:
        """Whether the cache holds this dtype's version (numba has no public way to ask; if
        its internals change, the answer is yes, and the kernel compiles here)."""
        load = getattr(getattr(self.dispatcher, "_cache", None), "load_overload", None)
        if load is None:
            return True
        return load(_signature(self.parts, dtype), self.dispatcher.targetctx) is not None


_background = {"depth": 0, "child": None, "running": [], "pending": [], "failed": set()}


@contextmanager
def compiling_in_background() -> Iterator[None]:
    """Within the block, kernels missing from the cache compile in a child process while the
    callers use the NumPy references (unless ``CNNLAB_BACKGROUND_COMPILE=0``)."""
    enabled = os.environ.get("CNNLAB_BACKGROUND_COMPILE", "1") != "0"
    _background["depth"] += enabled
    try:
        yield
    finally:
        _background["depth"] -= enabled


def _compile_elsewhere(name: str, dtype: str) -> None:
    """Have a child process compile kernel ``name`` for ``dtype`` into the cache and raise
    :class:`NotCompiledYet`; return (compile here) if a child failed at it. One child runs at a
    time; kernels asked for meanwhile go to the next one."""
    state, key = _background, (name, dtype)
    child = state["child"]
    if child is not None and child.poll() is not None:
        if child.returncode != 0:
            state["failed"].update(state["running"])
        state["child"], state["running"] = None, []
    if key in state["failed"]:
        return
    if key not in state["running"] and key not in state["pending"]:
        state["pending"].append(key)
    if state["child"] is None:
        state["running"], state["pending"] = state["pending"], []
        try:
            state["child"] = _start_child(state["running"])
        except OSError:
            state["failed"].update(state["running"])
            return
    raise NotCompiledYet(name)


@atexit.register
def _compile_the_rest() -> None:
    """Kernels still waiting for a child when the process ends get one that outlives it, so
    that the next run finds them in the cache."""
    state = _background
    if state["pending"]:
        with suppress(OSError):
            _start_child(state["pending"])
        state["pending"] = []


def _start_child(keys: list[tuple[str, str]]) -> subprocess.Popen:
    """``python -m cnnlab.ops.kernels DTYPE:MODULE:NAME ...`` with this process's cnnlab."""
    import cnnlab

    root = os.path.dirname(os.path.dirname(os.path.abspath(cnnlab.__file__)))
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    return subprocess.Popen(
        [sys.executable, "-m", "cnnlab.ops.kernels", *(f"{d}:{n}" for n, d in keys)],
        env={**os.environ, "PYTHONPATH": path},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def compile_named(spec: str) -> None:
    """Compile ``DTYPE:MODULE:NAME`` (the child's work) into the cache."""
    import importlib

    dtype, module, name = spec.split(":")
    getattr(importlib.import_module(module), name)[np.dtype(dtype)]


def kernel(*parts: str, fastmath: frozenset = frozenset()):
    """Declare a kernel by the parts of its signature (see :func:`_signature`). ``fastmath``:
    the LLVM liberties allowed, e.g. ``{"contract"}`` (fused multiply-adds) or ``{"reassoc"}``
    (sums reordered, so that a dot product runs on vector lanes); never the ones that assume
    no NaN or infinity."""
    return lambda function: Kernel(function, parts, frozenset(fastmath))


def ints(n: int) -> list[str]:
    return ["int"] * n


@njit(cache=True, nogil=True)
def inside(n_out: int, step: int, offset: int, size: int) -> tuple[int, int]:
    """The range [first, stop) of k in [0, n_out) with ``k * step + offset`` in [0, size)."""
    first = 0
    while first < n_out and first * step + offset < 0:
        first += 1
    stop = n_out
    while stop > first and (stop - 1) * step + offset >= size:
        stop -= 1
    return first, stop


@njit(cache=True, nogil=True, inline="always")
def at(position: int) -> int:
    """A flat position as an unsigned index: numba then skips its wraparound test for negative
    indices, which otherwise keeps the innermost loops from being vectorized."""
    return np.uintp(position)


def as_channel_major(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> the C-contiguous (C, N, H, W) array: a view when the memory already is."""
    return np.ascontiguousarray(x.transpose(1, 0, 2, 3))


def channel_major_empty(shape, dtype, zero: bool = False) -> np.ndarray:
    """A C-contiguous (C, N, H, W) array for an (N, C, H, W) result."""
    n, c, h, w = shape
    return (np.zeros if zero else np.empty)((c, n, h, w), dtype=dtype)


def as_nchw(memory: np.ndarray) -> np.ndarray:
    return memory.transpose(1, 0, 2, 3)
