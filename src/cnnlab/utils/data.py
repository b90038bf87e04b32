"""``Dataset``, ``TensorDataset`` and ``DataLoader``, batching as PyTorch's default collate does.

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
            raise ValueError(
                f"TensorDataset: tensors must have the same first dimension, got {sizes}"
            )
        self.arrays = arrays

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        return tuple(Tensor._wrap(a) for a in self.arrays)

    def __getitem__(self, index: int):
        return tuple(Tensor._wrap(np.asarray(a[index])) for a in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def get_batch(self, indices: np.ndarray) -> list[Tensor]:
        """The samples at ``indices``, already stacked (a list, as ``default_collate`` makes of
        tuples): one copy per array."""
        return [Tensor._wrap(a[indices]) for a in self.arrays]


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


def _split_lengths(lengths: Sequence[float], total: int) -> list[int]:
    """Fractions summing to 1 become counts as PyTorch makes them: floor each, then hand the
    remainder out one by one from the first split."""
    if not (math.isclose(sum(lengths), 1) and sum(lengths) <= 1):
        return list(lengths)
    if any(not 0 <= f <= 1 for f in lengths):
        raise ValueError(f"random_split: fractions must lie in [0, 1], got {list(lengths)}")
    counts = [math.floor(total * f) for f in lengths]
    for i in range(total - sum(counts)):
        counts[i % len(counts)] += 1
    return counts


def random_split(dataset, lengths: Sequence[float], generator: np.random.Generator | None = None):
    """Split into non-overlapping random subsets of the given lengths (or fractions)."""
    lengths = _split_lengths(lengths, len(dataset))
    if sum(lengths) != len(dataset) or any(n < 0 for n in lengths):
        raise ValueError(f"random_split: lengths {list(lengths)} do not sum to {len(dataset)}")
    order = (generator or random.generator()).permutation(len(dataset))
    bounds = np.cumsum(lengths)[:-1]
    return [Subset(dataset, part) for part in np.split(order, bounds)]


def default_collate(batch: Sequence):
    """Stack a list of samples: tensors/arrays into one tensor, ints into int64, floats into
    float64, tuples and dicts element by element."""
    first = batch[0]
    if isinstance(first, Tensor | np.ndarray):
        return Tensor._wrap(_stack([t._data if isinstance(t, Tensor) else t for t in batch]))
    if isinstance(first, np.generic) and not isinstance(first, np.str_ | np.bytes_):
        return Tensor._wrap(np.asarray(batch))  # NumPy scalars keep their dtype
    if isinstance(first, bool):
        return Tensor._wrap(np.asarray(batch, dtype=np.bool_))
    if isinstance(first, Integral):
        return Tensor._wrap(np.asarray(batch, dtype=np.int64))
    if isinstance(first, Real):
        return Tensor._wrap(np.asarray(batch, dtype=np.float64))
    if isinstance(first, str):
        return batch
    if isinstance(first, dict):
        return {key: default_collate([sample[key] for sample in batch]) for key in first}
    if isinstance(first, tuple | list):
        if any(len(sample) != len(first) for sample in batch):
            raise ValueError("default_collate: each element in the batch should be of equal size")
        columns = [default_collate(column) for column in zip(*batch, strict=True)]
        return type(first)(*columns) if hasattr(first, "_fields") else columns
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}")


def _stack(arrays: list[np.ndarray]) -> np.ndarray:
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        first = arrays[0].shape
        index = next(i for i, a in enumerate(arrays) if a.shape != first)
        raise ValueError(
            f"default_collate: samples must have equal shapes to be stacked, got {first} at "
            f"entry 0 and {arrays[index].shape} at entry {index}"
        )
    return np.stack(arrays)


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
