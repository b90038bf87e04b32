"""``DataLoader``: batches of a dataset, in the sampler's order, loaded in this process or by
worker processes (``num_workers``), with PyTorch's arguments and their checks.

Workers are processes, as in PyTorch (``multiprocessing``, its default start method: fork on
Linux), so Python code in ``__getitem__`` and transforms really runs in parallel; batches come
back through a pipe, in the sampler's order (``in_order``), so an epoch gives the same batches
whatever ``num_workers`` is. ``pin_memory`` has no effect: there is no accelerator to pin for.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from cnnlab.utils.data.collate import default_collate, default_convert
from cnnlab.utils.data.dataset import IterableDataset
from cnnlab.utils.data.fetch import EpochState, Fetcher, InfiniteConstantSampler
from cnnlab.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from cnnlab.utils.data.worker import MultiProcessIterator


class DataLoader:
    """Iterate over ``dataset`` in batches (``torch.utils.data.DataLoader``).

    ``batch_size`` samples per batch (None: no batching, samples one by one through
    ``default_convert``), in the order of ``sampler`` (default: sequential, or random with
    ``shuffle``, drawn from ``generator`` or the global generator) or in the batches of
    ``batch_sampler``; ``drop_last`` drops a short last batch; ``collate_fn`` makes a batch of
    a list of samples (default: ``default_collate``). ``num_workers`` worker processes load
    ahead, ``prefetch_factor`` batches each, started with ``multiprocessing_context`` and
    ``worker_init_fn(worker_id)``; ``persistent_workers`` keeps them between epochs;
    ``timeout`` is the longest wait for a batch. ``len(loader)`` is the number of batches.
    """

    _initialized = False

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        _check_worker_arguments(num_workers, timeout, prefetch_factor, persistent_workers)
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        self.dataset, self.num_workers, self.prefetch_factor = dataset, num_workers, prefetch_factor
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.timeout, self.worker_init_fn, self.in_order = timeout, worker_init_fn, in_order
        self.multiprocessing_context = _context(multiprocessing_context, num_workers)
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            _check_iterable_options(shuffle, sampler, batch_sampler)
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                    "shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None disables batching and is mutually exclusive with "
                "drop_last"
            )
        if sampler is None:
            sampler = _default_sampler(dataset, self._iterable, shuffle, generator)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(
                sampler, _positive_int("batch_size", batch_size), drop_last
            )
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn, self.persistent_workers = collate_fn, persistent_workers
        self._iterator, self._reported_length = None, None
        self._initialized = True
        self.check_worker_number_rationality()

    def __setattr__(self, name: str, value: Any) -> None:
        fixed = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset")
        if self._initialized and name in (*fixed, "persistent_workers"):
            raise ValueError(
                f"DataLoader: {name} attribute should not be set after the DataLoader is built"
            )
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.num_workers == 0:
            return SingleProcessIterator(self)
        if not self.persistent_workers:
            return MultiProcessIterator(self)
        if self._iterator is None:
            self._iterator = MultiProcessIterator(self)
        else:
            self._iterator.reset(self)
        return self._iterator

    def __len__(self) -> int:
        if not self._iterable:
            return len(self._index_sampler)
        # PyTorch remembers the samples reported and warns when an epoch yields more batches
        length = self._reported_length = len(self.dataset)
        if self.batch_size is not None:
            length = (
                length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
            )
        return length

    def check_worker_number_rationality(self) -> None:
        """Warn, as PyTorch does, when asked for more workers than this machine has cores."""
        if self.num_workers == 0:
            return
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        if cores is None or self.num_workers > cores:
            warnings.warn(
                f"This DataLoader will create {self.num_workers} worker processes in total. Our "
                f"suggested max number of worker in current system is {cores}, which is smaller "
                "than what this DataLoader is going to create. Please be aware that excessive "
                "worker creation might get DataLoader running slow or even freeze, lower the "
                "worker number to avoid potential slowness/freeze if necessary.",
                stacklevel=3,
            )


class SingleProcessIterator:
    """Loads each batch in this process when it is asked for."""

    def __init__(self, loader: DataLoader) -> None:
        self.epoch = EpochState(loader)
        self.fetcher = Fetcher(self.epoch.job)

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self.epoch.index_sampler)

    def __next__(self):
        return self.epoch.count(self.fetcher.fetch(next(self.epoch.sampler_iter)))


def _check_worker_arguments(num_workers, timeout, prefetch_factor, persistent_workers) -> None:
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(
            f"DataLoader: num_workers should be a non-negative int (0 loads in this process), "
            f"got {num_workers!r}"
        )
    if timeout < 0:
        raise ValueError(f"DataLoader: timeout should be non-negative, got {timeout}")
    if timeout > 0 and num_workers == 0:
        raise ValueError("DataLoader: timeout needs num_workers > 0 (it bounds a worker's wait)")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "DataLoader: prefetch_factor option could only be specified with num_workers > 0"
        )
    if prefetch_factor is not None and prefetch_factor <= 0:
        raise ValueError(f"DataLoader: prefetch_factor should be positive, got {prefetch_factor}")
    if persistent_workers and num_workers == 0:
        raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")


def _check_iterable_options(shuffle, sampler, batch_sampler) -> None:
    for name, value in (
        ("shuffle", shuffle),
        ("sampler", sampler),
        ("batch_sampler", batch_sampler),
    ):
        if value not in (None, False):
            raise ValueError(
                f"DataLoader with IterableDataset: expected unspecified {name} option, "
                f"got {name}={value!r}"
            )


def _context(context, num_workers: int):
    """The ``multiprocessing`` context to start workers with (None: the default one)."""
    if context is None:
        return None
    if num_workers == 0:
        raise ValueError(
            "DataLoader: multiprocessing_context can only be used with num_workers > 0, got "
            "num_workers=0"
        )
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(
                f"DataLoader: multiprocessing_context should be one of {methods}, got {context!r}"
            )
        return multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError(
            "DataLoader: multiprocessing_context should be a multiprocessing context or a start "
            f"method name, got {type(context).__name__}"
        )
    return context


def _default_sampler(dataset, iterable: bool, shuffle: bool, generator) -> Sampler:
    if iterable:
        return InfiniteConstantSampler()
    if shuffle:
        return RandomSampler(dataset, generator=generator)
    return SequentialSampler(dataset)


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"DataLoader: {name} must be a positive int, got {value!r}")
    return int(value)
