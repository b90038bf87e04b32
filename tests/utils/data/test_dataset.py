"""Datasets against ``torch.utils.data``'s: ``TensorDataset``, ``Subset``, ``ConcatDataset``,
``StackDataset``, ``ChainDataset``, ``random_split``; the whole-batch fast path held equal to
the sample-by-sample one."""

import numpy as np
import pytest
import torch
import torch.utils.data as tdata
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from cnnlab.utils.data import (
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from cnnlab.utils.data.dataset import batch_getter


def tensors(n, lib=cnnlab):
    images = np.arange(n * 12, dtype=np.float32).reshape(n, 3, 2, 2)
    return lib.tensor(images), lib.tensor(np.arange(n) % 10)


def plain(sample):
    return [np.asarray(t.tolist()) for t in sample]


def test_tensor_dataset_indexing_matches_torch():
    ours, theirs = TensorDataset(*tensors(10)), tdata.TensorDataset(*tensors(10, torch))
    assert len(ours) == len(theirs) == 10 and len(ours.tensors) == 2
    for index in (3, -1, slice(2, 5), [7, 2, 2]):
        for a, b in zip(plain(ours[index]), plain(theirs[index]), strict=True):
            np.testing.assert_array_equal(a, b)
    arrays = TensorDataset(np.zeros((4, 2)), np.arange(4))  # arrays work as tensors
    assert arrays[1][1].item() == 1 and arrays.tensors[0].shape == (4, 2)
    with pytest.raises(ValueError, match=r"same first dimension, got \[3, 4\]"):
        TensorDataset(cnnlab.zeros(3), cnnlab.zeros(4))


def test_subset_concat_stack_and_chain_match_torch():
    lengths = (4, 3, 5)
    for lib, data in ((cnnlab, cnnlab.utils.data), (torch, tdata)):
        parts = [data.TensorDataset(lib.arange(n) + 10 * i) for i, n in enumerate(lengths)]
        concat = data.ConcatDataset(parts)
        items = [concat[i][0].item() for i in range(-len(concat), len(concat))]
        assert concat.cumulative_sizes == [4, 7, 12]
        added = (parts[0] + parts[1])[5][0].item()
        subset = data.Subset(concat, [11, 0, 5])
        picked = [subset[i][0].item() for i in range(3)] + [subset.__getitems__([2, 0])]
        stacked = data.StackDataset(parts[0], parts[0])[1]
        named = data.StackDataset(x=parts[1], y=parts[1])[2]
        result = (items, added, picked[:3], len(picked[3]), len(stacked), sorted(named))
        if lib is cnnlab:
            ours = result
        else:
            assert ours == result
    with pytest.raises(ValueError, match="out of range"):
        ConcatDataset([TensorDataset(cnnlab.zeros(2))])[-3]
    with pytest.raises(TypeError, match="does not support IterableDataset"):
        ConcatDataset([Stream(2)])
    with pytest.raises(ValueError, match="size mismatch"):
        StackDataset(TensorDataset(cnnlab.zeros(2)), TensorDataset(cnnlab.zeros(3)))


class Stream(IterableDataset):
    def __init__(self, n, start=0):
        self.n, self.start = n, start

    def __iter__(self):
        return iter(range(self.start, self.start + self.n))

    def __len__(self):
        return self.n


def test_chain_dataset_and_adding_streams():
    chained = Stream(2) + Stream(3, start=10)
    assert isinstance(chained, ChainDataset) and list(chained) == [0, 1, 10, 11, 12]
    assert len(chained) == 5


@pytest.mark.filterwarnings("ignore:Length of split")
def test_random_split_lengths_fractions_and_disjointness():
    data = TensorDataset(*tensors(23))
    parts = random_split(data, [10, 13], generator=np.random.default_rng(0))
    indices = [int(i) for part in parts for i in part.indices]
    assert [len(p) for p in parts] == [10, 13] and sorted(indices) == list(range(23))
    again = random_split(data, [10, 13], generator=np.random.default_rng(0))
    assert [list(p.indices) for p in again] == [list(p.indices) for p in parts]
    cnnlab.manual_seed(4)
    first = [p.indices for p in random_split(data, [0.5, 0.5])]
    cnnlab.manual_seed(4)
    assert [p.indices for p in random_split(data, [0.5, 0.5])] == first
    for fractions in ([0.3, 0.7], [0.5, 0.25, 0.25], [0.1] * 10, [1.0, 0.0]):
        ours = [len(p) for p in random_split(data, fractions, generator=np.random.default_rng(1))]
        theirs = [len(p) for p in tdata.random_split(range(23), fractions)]
        assert ours == theirs
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(data, [1.0, 0.0])
    with pytest.raises(ValueError, match=r"lengths \[10, 12\] do not sum to the dataset's 23"):
        random_split(data, [10, 12])
    with pytest.raises(ValueError, match="fraction at index 0 is not in"):
        random_split(data, [-0.5, 1.5])
    seeded = [
        random_split(data, [3, 20], generator=cnnlab.Generator().manual_seed(5)) for _ in "ab"
    ]
    assert seeded[0][0].indices == seeded[1][0].indices
    with pytest.raises(TypeError, match=r"generator must be a cnnlab\.Generator"):
        random_split(data, [10, 13], generator=torch.Generator())


class Doubled(TensorDataset):
    """A subclass that changes its samples: the loader must not take the fast path."""

    def __getitem__(self, index):
        x, y = super().__getitem__(index)
        return x * 2, y


class Samples(Dataset):
    """A dataset without ``get_batch``: the loader goes sample by sample through collate."""

    def __init__(self, inner):
        self.inner = inner

    def __getitem__(self, index):
        return self.inner[index]

    def __len__(self):
        return len(self.inner)


def test_fast_path_only_where_it_gives_the_same_samples():
    data = TensorDataset(*tensors(6))
    assert batch_getter(data) is not None
    assert batch_getter(Subset(Subset(data, [5, 4, 3]), [2, 0])) is not None
    assert batch_getter(Doubled(*tensors(6))) is None
    assert batch_getter(Subset(Doubled(*tensors(6)), [1])) is None
    assert batch_getter(Samples(data)) is None
    doubled = next(iter(DataLoader(Doubled(*tensors(6)), batch_size=6)))[0]
    np.testing.assert_array_equal(doubled.numpy(), 2 * tensors(6)[0].numpy())


@given(st.integers(1, 30), st.integers(1, 8), st.booleans(), st.integers(0, 2**16))
@settings(max_examples=40)
def test_fast_path_equals_the_slow_path(n, batch_size, shuffle, seed):
    data = TensorDataset(*tensors(n))
    chosen = np.random.default_rng(seed).permutation(n)[: max(1, n // 2)].tolist()
    for source, slow in (
        (data, Samples(data)),
        (Subset(data, chosen), Samples(Subset(data, chosen))),
    ):
        batches = [
            list(DataLoader(d, batch_size, shuffle, generator=np.random.default_rng(seed)))
            for d in (source, slow)
        ]
        assert len(batches[0]) == len(batches[1])
        for a, b in zip(*batches, strict=True):
            assert type(a) is type(b) is list
            for x, y in zip(a, b, strict=True):
                assert x.shape == y.shape and x.dtype == y.dtype
                np.testing.assert_array_equal(x.numpy(), y.numpy())
