"""``Dataset``, ``TensorDataset`` and ``DataLoader``, batching the way PyTorch's default collate does.

A dataset that can hand out a whole batch at once (``get_batch(indices)``, as ``TensorDataset``
does) is batched by one fancy-indexing copy per array, with no Python loop per sample.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from numbers import Integral, Real

import numpy as np

from cnnlab.autograd import random
from cnnlab.autograd.tensor import Tensor


class Dataset:
    """Anything with ``__getitem__(index)`` and ``__len__``."""

    def __getitem__(self, index: int):
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are the rows of tensors (or arrays) of equal length: ``(x[i], y[i])``."""

    def __init__(self, *tensors) -> None:
        arrays = [t._data if isinstance(t, Tensor) else np.asarray(t) for t in tensors]
        if not arrays or any(len(a) != len(arrays[0]) for a in arrays):
            sizes = [len(a) for a in arrays]
            raise ValueError(f"TensorDataset: tensors must have the same first dimension, got {sizes}")
        self.arrays = arrays

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        return tuple(Tensor._wrap(a) for a in self.arrays)

    def __getitem__(self, index: int):
        return tuple(Tensor._wrap(np.asarray(a[index])) for a in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def get_batch(self, indices: np.ndarray) -> tuple[Tensor, ...]:
        """The samples at ``indices``, already stacked: one copy per array."""
        return tuple(Tensor._wrap(a[indices]) for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, np.asarray(indices, dtype=np.int64)

    def __getitem__(self, index: int):
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)

    def get_batch(self, indices: np.ndarray):
        if hasattr(self.dataset, "get_batch"):
            return self.dataset.get_batch(self.indices[indices])
        return default_collate([self[int(i)] for i in indices])


def random_split(dataset, lengths: Sequence[int], generator: np.random.Generator | None = None):
    """Split into non-overlapping random subsets of the given lengths."""
    if sum(lengths) != len(dataset):
        raise ValueError(f"random_split: lengths {list(lengths)} do not sum to {len(dataset)}")
    order = (generator or random.generator()).permutation(len(dataset))
    bounds = np.cumsum(lengths)[:-1]
    return [Subset(dataset, part) for part in np.split(order, bounds)]


def default_collate(batch: list):
    """Stack a list of samples: tensors/arrays into one tensor, ints into int64, floats into
    float64, tuples and dicts element by element."""
    first = batch[0]
    if isinstance(first, Tensor):
        return Tensor._wrap(np.stack([t._data for t in batch]))
    if isinstance(first, np.ndarray):
        return Tensor._wrap(np.stack(batch))
    if isinstance(first, bool | np.bool_):
        return Tensor._wrap(np.asarray(batch, dtype=np.bool_))
    if isinstance(first, Integral):
        return Tensor._wrap(np.asarray(batch, dtype=np.int64))
    if isinstance(first, Real):
        return Tensor._wrap(np.asarray(batch, dtype=np.float64))
    if isinstance(first, str):
        return list(batch)
    if isinstance(first, dict):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, tuple | list):
        if any(len(sample) != len(first) for sample in batch):
            raise ValueError("default_collate: each element in the batch should be of equal size")
        return [default_collate(list(column)) for column in zip(*batch, strict=True)]
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}")


class DataLoader:
    """Iterate over a dataset in batches, optionally shuffled (seeded by ``generator`` or the
    global generator) and dropping a short last batch."""

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool = False,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | None = None,
        **unused,
    ) -> None:
        if batch_size is None or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if sampler is not None or batch_sampler is not None:
            raise ValueError("DataLoader: custom samplers are not supported; use shuffle")
        self.dataset, self.batch_size, self.shuffle = dataset, int(batch_size), bool(shuffle)
        self.collate_fn, self.drop_last, self.generator = collate_fn, drop_last, generator

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return (self.generator or random.generator()).permutation(n)

    def __iter__(self) -> Iterator:
        order = self._order()
        stop = len(self) * self.batch_size
        fast = self.collate_fn is None and hasattr(self.dataset, "get_batch")
        collate = self.collate_fn or default_collate
        for start in range(0, min(stop, len(order)), self.batch_size):
            indices = order[start : start + self.batch_size]
            if fast:
                yield self.dataset.get_batch(indices)
            else:
                yield collate([self.dataset[int(i)] for i in indices])
