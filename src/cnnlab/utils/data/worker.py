"""Worker processes for ``DataLoader(num_workers=n)``, as PyTorch runs them.

Each worker gets its own queue of batch indices and puts ``(task number, batch)`` on one
shared result queue. Tasks go to the workers in turn, at most ``prefetch_factor`` per worker
ahead; the main process hands the batches out in task order (unless ``in_order=False``), so the
order of an epoch is the sampler's, whatever the timing. Worker ``i`` seeds Python's
``random``, cnnlab's global generator (``base_seed + i``) and NumPy's legacy one from a base
seed drawn anew each epoch, so random transforms differ between workers and repeat under
``cnnlab.manual_seed``. An exception in a worker is raised again in the main process with the
worker's traceback; a worker that dies is reported within a second.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnlab.utils.data.fetch import EpochState, Fetcher, FetchJob

STATUS_CHECK_INTERVAL = 1.0  # seconds between checks that the workers (and parent) live


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker: its id, the number of workers, its seed and its copy of the
    dataset (an ``IterableDataset`` uses them to yield only its share); None elsewhere."""
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    pass


class ExceptionWrapper:
    """An exception raised in a worker, carried to the main process with its traceback."""

    def __init__(self, where: str) -> None:
        kind, _, _ = sys.exc_info()
        self.exc_type = kind
        self.message = f"Caught {kind.__name__} {where}.\nOriginal {traceback.format_exc()}"

    def reraise(self):
        message = self.message
        if self.exc_type is KeyError:  # KeyError would print the message as a repr
            message = _KeyErrorMessage(message)
        try:
            error = self.exc_type(message)
        except Exception:
            raise RuntimeError(message) from None
        raise error


class _KeyErrorMessage(str):
    def __repr__(self) -> str:
        return self


def _seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed Python's, cnnlab's and NumPy's legacy generators for worker ``worker_id``."""
    from cnnlab.autograd import random as cnnlab_random

    seed = base_seed + worker_id
    random.seed(seed)
    cnnlab_random.manual_seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    return seed


def _worker_loop(job: FetchJob, index_queue, result_queue, done_event, base_seed, worker_id):
    """Fetch the batches whose indices arrive on ``index_queue`` until told to stop (None), or
    until the parent process is gone."""
    global _worker_info
    import cnnlab

    parent = os.getppid()
    try:
        cnnlab.set_num_threads(1)  # the workers already share the cores
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(worker_id, job.num_workers, seed, job.dataset)
        init_error = None
        try:
            if job.worker_init_fn is not None:
                job.worker_init_fn(worker_id)
            fetcher = Fetcher(job)
        except Exception:
            init_error = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
        ended = False
        while os.getppid() == parent:
            try:
                task = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if isinstance(task, _ResumeIteration):
                result_queue.put((task, None))
                ended = False
                fetcher = Fetcher(job)
                continue
            if task is None:
                break
            if done_event.is_set() or ended:
                continue
            number, index = task
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    data, ended = _IterableDatasetStopIteration(worker_id), True
                except Exception:
                    data = ExceptionWrapper(f"in DataLoader worker process {worker_id}")
            result_queue.put((number, data))
            del data, index, task
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        result_queue.cancel_join_thread()
        result_queue.close()


class MultiProcessIterator:
    """Runs ``loader.num_workers`` worker processes and hands their batches out in order."""

    def __init__(self, loader) -> None:
        self.epoch = EpochState(loader)
        self.prefetch_factor, self.in_order = loader.prefetch_factor, loader.in_order
        self.persistent = loader.persistent_workers
        context = loader.multiprocessing_context or multiprocessing.get_context()
        self.result_queue = context.Queue()
        self.done_event = context.Event()
        self.index_queues, self.workers = [], []
        self.shutdown = False
        for worker_id in range(loader.num_workers):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()
            worker = context.Process(
                target=_worker_loop,
                args=(
                    self.epoch.job,
                    index_queue,
                    self.result_queue,
                    self.done_event,
                    self.epoch.base_seed,
                    worker_id,
                ),
                daemon=True,
            )
            worker.start()
            self.index_queues.append(index_queue)
            self.workers.append(worker)
        self._start_epoch()

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self.epoch.index_sampler)

    def reset(self, loader) -> None:
        """A new epoch on the same (persistent) workers: every worker restarts its fetcher
        (with the dataset it was started with)."""
        self.epoch = EpochState(loader, draw_seed=False)
        for index_queue in self.index_queues:
            index_queue.put(_ResumeIteration())
        waiting = len(self.workers)
        while waiting > 0:
            number, _ = self._get()
            if isinstance(number, _ResumeIteration):
                waiting -= 1
        self._start_epoch()

    def _start_epoch(self) -> None:
        self.send_index = self.received_index = self.outstanding = 0
        self.task_info: dict[int, tuple] = {}
        self.worker_active = [True] * len(self.workers)
        self.worker_tasks = [0] * len(self.workers)
        self.worker_cycle = itertools.cycle(range(len(self.workers)))
        for _ in range(self.prefetch_factor * len(self.workers)):
            self._put_index()

    def _put_index(self) -> None:
        most = self.prefetch_factor * len(self.workers)
        try:
            index = next(self.epoch.sampler_iter)
        except StopIteration:
            return
        for _ in range(len(self.workers)):
            worker = next(self.worker_cycle)
            if self.worker_active[worker] and (
                self.in_order or self.worker_tasks[worker] < most // sum(self.worker_active)
            ):
                break
        else:
            return
        self.index_queues[worker].put((self.send_index, index))
        self.task_info[self.send_index] = (worker,)
        self.worker_tasks[worker] += 1
        self.outstanding += 1
        self.send_index += 1

    def _get(self):
        """The next ``(task number, data)`` from any worker, checking that they live."""
        waited = 0.0
        while True:
            wait = STATUS_CHECK_INTERVAL
            if self.epoch.timeout > 0:
                wait = min(wait, self.epoch.timeout - waited)
            try:
                return self.result_queue.get(timeout=max(wait, 0.0))
            except queue.Empty:
                waited += wait
            dead = [
                w for i, w in enumerate(self.workers) if self.worker_active[i] and not w.is_alive()
            ]
            if dead:
                self._shutdown_workers()
                pids = ", ".join(str(w.pid) for w in dead)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")
            if self.epoch.timeout > 0 and waited >= self.epoch.timeout:
                raise RuntimeError(f"DataLoader timed out after {self.epoch.timeout} seconds")

    def __next__(self):
        return self.epoch.count(self.next_data())

    def next_data(self):
        while True:
            while self.received_index < self.send_index:
                info = self.task_info.get(self.received_index)
                if info and (len(info) == 2 or self.worker_active[info[0]]):
                    break
                self.task_info.pop(self.received_index, None)
                self.received_index += 1
            else:
                if not self.persistent:
                    self._shutdown_workers()
                raise StopIteration
            if len(self.task_info[self.received_index]) == 2:
                worker, data = self.task_info.pop(self.received_index)
                self.received_index += 1
                return self._process(data, worker)
            number, data = self._get()
            self.outstanding -= 1
            if isinstance(data, _IterableDatasetStopIteration):
                self._retire(data.worker_id)
                self._put_index()
                continue
            if number != self.received_index and self.in_order:
                self.task_info[number] += (data,)
                continue
            worker = self.task_info.pop(number)[0]
            if number == self.received_index:
                self.received_index += 1
            return self._process(data, worker)

    def _process(self, data, worker: int):
        self.worker_tasks[worker] -= 1
        self._put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _retire(self, worker: int) -> None:
        """A worker whose stream has ended gets no more tasks (non-persistent: it is stopped)."""
        self.worker_active[worker] = False
        if not self.persistent:
            self.index_queues[worker].put(None)

    def _shutdown_workers(self) -> None:
        if self.shutdown:
            return
        self.shutdown = True
        try:
            self.done_event.set()
            for index_queue in self.index_queues:
                index_queue.put(None)
            for worker in self.workers:
                worker.join(timeout=STATUS_CHECK_INTERVAL)
            for index_queue in self.index_queues:
                index_queue.cancel_join_thread()
                index_queue.close()
        finally:
            for worker in self.workers:
                if worker.is_alive():
                    worker.terminate()
                    worker.join(timeout=STATUS_CHECK_INTERVAL)

    def __del__(self) -> None:
        if getattr(self, "workers", None):
            self._shutdown_workers()
