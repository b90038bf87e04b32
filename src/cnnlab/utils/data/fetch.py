"""From sampler output to batches: ``Fetcher`` (what a worker, or the main process, runs for
each batch) and ``EpochState`` (what one pass over a ``DataLoader`` keeps)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from cnnlab.utils.data.collate import default_collate
from cnnlab.utils.data.dataset import batch_getter
from cnnlab.utils.data.sampler import Sampler, numpy_generator


class InfiniteConstantSampler(Sampler):
    """The 'indices' of an iterable dataset: None, forever."""

    def __iter__(self):
        while True:
            yield None


class Fetcher:
    """Turns what the sampler yields into a batch: for map-style datasets the samples at the
    indices (in one go when the dataset allows), collated; for iterable ones the next samples
    of the stream (``StopIteration`` at its end)."""

    def __init__(self, job: FetchJob) -> None:
        self.job = job
        self.stream = iter(job.dataset) if job.iterable else None
        self.ended = False
        fast = job.auto_collation and not job.iterable and job.collate_fn is default_collate
        self.get_batch = batch_getter(job.dataset) if fast else None

    def fetch(self, index):
        job = self.job
        if job.iterable:
            return self._next_from_stream(index)
        if not job.auto_collation:
            return job.collate_fn(job.dataset[index])
        if self.get_batch is not None:
            return self.get_batch(np.asarray(index, dtype=np.int64))
        if callable(getattr(job.dataset, "__getitems__", None)):
            return job.collate_fn(job.dataset.__getitems__(index))
        return job.collate_fn([job.dataset[i] for i in index])

    def _next_from_stream(self, index):
        if self.ended:
            raise StopIteration
        if not self.job.auto_collation:
            return self.job.collate_fn(next(self.stream))
        samples = []
        for _ in index:
            try:
                samples.append(next(self.stream))
            except StopIteration:
                self.ended = True
                break
        if not samples or (self.job.drop_last and len(samples) < len(index)):
            raise StopIteration
        return self.job.collate_fn(samples)


@dataclass
class FetchJob:
    """What a worker needs to make batches (sent to it once; picklable when the dataset and
    the functions are)."""

    dataset: Any
    iterable: bool
    auto_collation: bool
    collate_fn: Any
    drop_last: bool
    num_workers: int
    worker_init_fn: Any


class EpochState:
    """One pass over a loader: the sampler's iterator, the workers' base seed, the count of
    batches handed out, and ``pin_memory``'s note. The seed is drawn every epoch, with or
    without workers, as PyTorch draws it, so that the sampler's own draws do not depend on
    ``num_workers`` (persistent workers keep the seed they were started with)."""

    def __init__(self, loader, draw_seed: bool = True) -> None:
        self.job = FetchJob(
            loader.dataset,
            loader._iterable,
            loader._auto_collation,
            loader.collate_fn,
            loader.drop_last,
            loader.num_workers,
            loader.worker_init_fn,
        )
        self.index_sampler, self.timeout = loader._index_sampler, loader.timeout
        if loader.pin_memory:
            warnings.warn(
                "'pin_memory' argument is set as true but no accelerator is found, then device "
                "pinned memory won't be used.",
                stacklevel=4,
            )
        self.sampler_iter = iter(self.index_sampler)
        if draw_seed:  # persistent workers keep the seeds they were started with
            self.base_seed = int(numpy_generator(loader.generator).integers(2**62))
        self.num_yielded, self.reported_length = 0, loader._reported_length

    def count(self, data):
        """Note one batch handed out; warn as PyTorch does when an iterable dataset gives more
        than its ``__len__`` said."""
        self.num_yielded += 1
        if self.reported_length is not None and self.num_yielded > self.reported_length:
            warnings.warn(
                f"Length of IterableDataset {self.job.dataset} was reported to be "
                f"{self.reported_length} (when accessing len(dataloader)), but "
                f"{self.num_yielded} samples have been fetched.",
                stacklevel=3,
            )
        return data
