"""Samplers with PyTorch's names: the order in which a ``DataLoader`` visits a map-style
dataset (``SequentialSampler``, ``RandomSampler``, ``SubsetRandomSampler``,
``WeightedRandomSampler``) and how it groups indices into batches (``BatchSampler``).

Random samplers draw from ``generator=`` (a ``cnnlab.Generator`` or a NumPy ``Generator``) or
from cnnlab's global generator (seeded by ``cnnlab.manual_seed``): the same seed gives the same
order on every run, though not PyTorch's order, whose generator is another.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from cnnlab.autograd import random
from cnnlab.autograd.tensor import Tensor


def numpy_generator(generator) -> np.random.Generator:
    """The NumPy generator behind ``generator=``: a ``cnnlab.Generator``'s stream, a NumPy
    ``Generator`` itself, or (None) the global stream that ``cnnlab.manual_seed`` seeds."""
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is None or isinstance(generator, random.Generator):
        return random.generator(generator)
    raise TypeError(
        "generator must be a cnnlab.Generator (cnnlab.Generator().manual_seed(seed)), a "
        "numpy.random.Generator or None, got "
        f"{type(generator).__module__}.{type(generator).__name__}"
    )


def fresh_generator(generator) -> np.random.Generator:
    """``generator`` itself, or (for None) a generator seeded from the global one, as PyTorch's
    samplers do: each epoch a new order, all of them fixed by ``cnnlab.manual_seed``."""
    if generator is not None:
        return numpy_generator(generator)
    return np.random.default_rng(int(random.generator().integers(2**63)))


class Sampler:
    """Base class: an iterable of indices (or, for a batch sampler, of lists of indices)."""

    def __init__(self, data_source=None) -> None:
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation each epoch; with ``replacement``, ``num_samples`` independent draws;
    without, ``num_samples`` may exceed the dataset (whole permutations, then part of one)."""

    def __init__(self, data_source, replacement: bool = False, num_samples=None, generator=None):
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a bool, got {replacement!r}")
        if (
            isinstance(self.num_samples, bool)
            or not isinstance(self.num_samples, int)
            or self.num_samples <= 0
        ):
            raise ValueError(
                f"RandomSampler: num_samples should be a positive int, got {self.num_samples!r}"
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n = len(self.data_source)
        rng = fresh_generator(self.generator)
        if self.replacement:
            yield from rng.integers(0, n, size=self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n).tolist()[: self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order each epoch."""

    def __init__(self, indices: Sequence[int], generator=None) -> None:
        self.indices, self.generator = indices, generator

    def __iter__(self) -> Iterator[int]:
        for i in numpy_generator(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights`` (with or
    without replacement)."""

    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None):
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(
                f"WeightedRandomSampler: num_samples should be a positive int, got {num_samples!r}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"WeightedRandomSampler: replacement should be a bool, got {replacement!r}"
            )
        weights = np.asarray(weights._data if isinstance(weights, Tensor) else weights, np.float64)
        if weights.ndim != 1:
            raise ValueError(
                "WeightedRandomSampler: weights should be a 1-d sequence, got shape "
                f"{weights.shape}"
            )
        self.weights = Tensor._wrap(weights)
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator

    def __iter__(self) -> Iterator[int]:
        weights = self.weights._data
        if not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
            raise RuntimeError(
                "WeightedRandomSampler: weights must be finite, non-negative and not all zero"
            )
        rng = numpy_generator(self.generator)
        if self.replacement:
            yield from rng.choice(
                len(weights), self.num_samples, True, weights / weights.sum()
            ).tolist()
            return
        if self.num_samples > len(weights):
            raise RuntimeError(
                f"WeightedRandomSampler: cannot draw {self.num_samples} samples without "
                f"replacement from {len(weights)} weights"
            )
        # as torch.multinomial: the non-zero weights first, then (if more are asked for) the rest
        nonzero = np.flatnonzero(weights)
        first = min(self.num_samples, len(nonzero))
        p = weights[nonzero] / weights[nonzero].sum()
        yield from nonzero[rng.choice(len(nonzero), first, False, p)].tolist()
        rest = rng.permutation(np.flatnonzero(weights == 0))
        yield from rest[: self.num_samples - first].tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``; ``drop_last`` drops a
    short final batch."""

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int, drop_last: bool):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(
                f"BatchSampler: batch_size should be a positive int, got {batch_size!r}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a bool, got {drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        batch = list(itertools.islice(indices, self.batch_size))
        while batch and (len(batch) == self.batch_size or not self.drop_last):
            yield batch
            batch = list(itertools.islice(indices, self.batch_size))

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
