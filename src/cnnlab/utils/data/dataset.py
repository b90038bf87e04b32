"""Datasets with PyTorch's names: map-style (``Dataset``: ``__getitem__`` and ``__len__``) and
iterable (``IterableDataset``: ``__iter__``), tensors as a dataset, subsets, concatenations and
random splits.

A dataset that can hand out a whole batch at once (``get_batch(indices)``, as
``TensorDataset`` and its ``Subset`` do) is batched by the ``DataLoader`` with one
fancy-indexing copy per array, with no Python loop per sample.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from cnnlab.autograd.tensor import Tensor
from cnnlab.utils.data.sampler import numpy_generator


class Dataset:
    """A map-style dataset: ``dataset[i]`` is sample i; subclasses define ``__getitem__`` and
    (for samplers and ``len(loader)``) ``__len__``. ``a + b`` concatenates."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__``. With workers, each worker iterates
    its own copy; ``get_worker_info()`` tells it which share to yield."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of tensors (or arrays) of equal length: ``(x[i], y[i])``."""

    def __init__(self, *tensors) -> None:
        self.tensors = tuple(
            t if isinstance(t, Tensor) else Tensor._wrap(np.asarray(t)) for t in tensors
        )
        sizes = [t.shape[0] if t.ndim else None for t in self.tensors]
        if not sizes or any(size is None or size != sizes[0] for size in sizes):
            raise ValueError(
                f"TensorDataset: tensors must have the same first dimension, got {sizes}"
            )

    def __getitem__(self, index):
        return tuple(_row(t, index) for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def get_batch(self, indices: np.ndarray) -> list[Tensor]:
        """The samples at ``indices``, already stacked (a list, as ``default_collate`` makes of
        tuples): one copy per tensor."""
        return [Tensor._wrap(t._data[indices]) for t in self.tensors]


def _row(tensor: Tensor, index) -> Tensor:
    """``tensor[index]``; outside autograd, as a plain view of the array."""
    if tensor.requires_grad:
        return tensor[index]
    return Tensor._wrap(np.asarray(tensor._data[index]))


class StackDataset(Dataset):
    """Samples of several datasets of equal length side by side: ``StackDataset(a, b)[i]`` is
    ``(a[i], b[i])``, ``StackDataset(x=a, y=b)[i]`` is ``{"x": a[i], "y": b[i]}``."""

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError("StackDataset: give datasets as positional or as keyword arguments")
        if not args and not kwargs:
            raise ValueError("StackDataset: at least one dataset should be passed")
        self.datasets = args or kwargs
        members = list(args or kwargs.values())
        self._length = len(members[0])
        if any(len(d) != self._length for d in members):
            raise ValueError(f"StackDataset: size mismatch, {[len(d) for d in members]}")

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: dataset[index] for k, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __len__(self) -> int:
        return self._length


class ConcatDataset(Dataset):
    """The samples of several map-style datasets one after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset (use ChainDataset)")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int):
        if index < 0:
            if -index > len(self):
                raise ValueError(
                    f"ConcatDataset: index {index} is out of range for {len(self)} samples"
                )
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        offset = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - offset]


class ChainDataset(IterableDataset):
    """Several iterable datasets one after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self):
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            yield from dataset

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices: list[int]) -> list:
        inner = [self.indices[i] for i in indices]
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__(inner)
        return [self.dataset[i] for i in inner]

    def __len__(self) -> int:
        return len(self.indices)


def _defined_in(cls: type, name: str) -> type:
    return next(c for c in cls.__mro__ if name in c.__dict__)


def batch_getter(dataset) -> Callable[[np.ndarray], list] | None:
    """A function giving the batch at an index array in one go (what ``default_collate`` makes
    of the samples), or None: a dataset's ``get_batch``, unless a subclass has redefined
    ``__getitem__`` below it; a ``Subset`` maps its indices onto its dataset's."""
    cls = type(dataset)
    if isinstance(dataset, Subset):
        if (
            _defined_in(cls, "__getitem__") is not Subset
            or _defined_in(cls, "__getitems__") is not Subset
        ):
            return None
        inner = batch_getter(dataset.dataset)
        if inner is None:
            return None
        indices = np.asarray(dataset.indices)
        return lambda positions: inner(indices[positions])
    getter = getattr(dataset, "get_batch", None)
    if getter is not None and issubclass(
        _defined_in(cls, "get_batch"), _defined_in(cls, "__getitem__")
    ):
        return getter
    return None


def _split_lengths(lengths: Sequence[float], total: int) -> list[int]:
    """Fractions summing to 1 become counts as PyTorch makes them: floor each, then hand the
    remainder out one by one from the first split."""
    if not (math.isclose(sum(lengths), 1) and sum(lengths) <= 1):
        return list(lengths)
    for i, fraction in enumerate(lengths):
        if not 0 <= fraction <= 1:
            raise ValueError(f"random_split: fraction at index {i} is not in [0, 1]: {fraction}")
    counts = [math.floor(total * f) for f in lengths]
    for i in range(total - sum(counts)):
        counts[i % len(counts)] += 1
    for i, count in enumerate(counts):
        if count == 0:
            warnings.warn(
                f"Length of split at index {i} is 0. This might result in an empty dataset.",
                stacklevel=3,
            )
    return counts


def random_split(dataset: Dataset, lengths: Sequence[float], generator=None) -> list[Subset]:
    """Split into non-overlapping random subsets of the given lengths, or of fractions summing
    to 1 (counts as PyTorch rounds them). The permutation comes from ``generator`` (a
    ``cnnlab.Generator`` or NumPy ``Generator``) or cnnlab's global one: the same seed gives the
    same split on every run, but not the split PyTorch makes, whose generator is another."""
    lengths = _split_lengths(lengths, len(dataset))
    if sum(lengths) != len(dataset) or any(n < 0 for n in lengths):
        raise ValueError(
            f"random_split: lengths {list(lengths)} do not sum to the dataset's {len(dataset)}"
        )
    order = numpy_generator(generator).permutation(len(dataset)).tolist()
    bounds = np.cumsum(lengths).tolist()
    return [Subset(dataset, order[end - n : end]) for end, n in zip(bounds, lengths, strict=True)]
