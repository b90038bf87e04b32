"""The engine's threads: one pool shared by the compiled kernels and the matrix products.

NumPy's BLAS (OpenBLAS) runs threads of its own that spin for about 0.1 s after every product
before they sleep; on a small machine they then take the cores from whatever runs next. cnnlab
therefore keeps BLAS to one thread and does its own splitting: each kernel's outer loop, and
each large matrix product by columns (or, for a long inner dimension, by partial sums), are cut
into one part per thread. The parts write disjoint outputs and run with the GIL released
(numba's ``nogil``, and NumPy inside BLAS); idle threads wait on a lock, never spinning.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from cnnlab.ops.floating import quietly

# Below these sizes a part runs on the calling thread: a hand-off costs more than it saves.
MIN_SPLIT_ELEMENTS = 60_000
MIN_SPLIT_PRODUCT = 2_000_000  # multiply-adds

_state = {"count": os.cpu_count() or 1, "pool": None, "blas": None}


def set_num_threads(count: int) -> None:
    """Compute on ``count`` threads; NumPy's BLAS stays at one (see the module's docstring)."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"set_num_threads: count must be a positive int, got {count!r}")
    if count != _state["count"] and _state["pool"] is not None:
        _state["pool"].shutdown()
        _state["pool"] = None
    _state["count"] = count


def get_num_threads() -> int:
    return _state["count"]


def single_threaded_blas() -> None:
    """Keep NumPy's BLAS to one thread, once per process (``threadpoolctl``)."""
    if _state["blas"] is None:
        from threadpoolctl import threadpool_limits

        _state["blas"] = threadpool_limits(1, user_api="blas")


def _pool() -> ThreadPoolExecutor:
    if _state["pool"] is None:
        _state["pool"] = ThreadPoolExecutor(_state["count"] - 1, "cnnlab")
    return _state["pool"]


def _run_parts(task, bounds: list[int]) -> None:
    """``task(start, stop)`` for each consecutive pair of ``bounds``, the first on this thread."""
    part = quietly(task)  # the pool's threads run under the caller's floating-point handling
    futures = [_pool().submit(part, bounds[k], bounds[k + 1]) for k in range(1, len(bounds) - 1)]
    task(bounds[0], bounds[1])
    for future in futures:
        future.result()


def _bounds(n_items: int, parts: int) -> list[int]:
    return [n_items * k // parts for k in range(parts + 1)]


def run_split(kernel, n_items: int, work: int, *args) -> None:
    """Call ``kernel(*args, start, stop)`` over ``[0, n_items)``, one part per thread."""
    parts = min(_state["count"], n_items, max(1, work // MIN_SPLIT_ELEMENTS))
    if parts == 1:
        kernel(*args, 0, n_items)
        return
    _run_parts(lambda start, stop: kernel(*args, start, stop), _bounds(n_items, parts))


def run_split_sum(kernel, n_items: int, work: int, shape: tuple[int, ...], *args) -> np.ndarray:
    """Call ``kernel(*args, total, start, stop)`` over ``[0, n_items)``, one part per thread,
    each part adding into its own float64 ``total`` of ``shape`` (zeros); return their sum."""
    parts = min(_state["count"], n_items, max(1, work // MIN_SPLIT_ELEMENTS))
    totals = np.zeros((parts, *shape))
    bounds = _bounds(n_items, parts)
    if parts == 1:
        kernel(*args, totals[0], 0, n_items)
    else:
        _run_parts(
            lambda start, stop: kernel(*args, totals[bounds.index(start)], start, stop), bounds
        )
    return totals.sum(axis=0)


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` for 2-D arrays, shared among the threads: by columns of the result, or by
    partial sums over the inner dimension when that is the long one."""
    single_threaded_blas()
    (m, k), n = a.shape, b.shape[1]
    parts = min(_state["count"], max(1, m * n * k // MIN_SPLIT_PRODUCT))
    if parts == 1:
        return a @ b
    if n >= k:
        out = np.empty((m, n), dtype=np.result_type(a, b))

        def columns(start: int, stop: int) -> None:
            np.matmul(a, b[:, start:stop], out=out[:, start:stop])

        _run_parts(columns, _bounds(n, parts))
        return out
    partial = np.empty((parts, m, n), dtype=np.result_type(a, b))
    bounds = _bounds(k, parts)

    def inner(start: int, stop: int) -> None:
        part = bounds.index(start)
        np.matmul(a[:, start:stop], b[start:stop], out=partial[part])

    _run_parts(inner, bounds)
    return partial.sum(axis=0)
