"""``cnnlab.utils.data`` against ``torch.utils.data``: batching, shuffling, collate, datasets."""

from collections import namedtuple

import numpy as np
import pytest
import torch
import torch.utils.data as tdata
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from cnnlab.utils.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def dataset(n, shape=(3, 2, 2)):
    images = np.arange(n * int(np.prod(shape)), dtype=np.float32).reshape(n, *shape)
    labels = np.arange(n) % 10
    return TensorDataset(cnnlab.tensor(images), cnnlab.tensor(labels)), images, labels


class Samples(Dataset):
    """A dataset without ``get_batch``: the DataLoader must take the slow path through collate."""

    def __init__(self, tensors_dataset):
        self.inner = tensors_dataset

    def __getitem__(self, index):
        return self.inner[index]

    def __len__(self):
        return len(self.inner)


def dtype_name(t) -> str:
    return str(t.dtype).removeprefix("torch.")


@given(st.integers(1, 40), st.integers(1, 12), st.booleans())
@settings(max_examples=100)
def test_batches_shapes_dtypes_and_len_match_torch(n, batch_size, drop_last):
    ours_data, images, labels = dataset(n)
    theirs_data = tdata.TensorDataset(torch.tensor(images), torch.tensor(labels))
    ours = DataLoader(ours_data, batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(theirs_data, batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    batches, expected = list(ours), list(theirs)
    assert len(batches) == len(expected)
    for (x, y), (tx, ty) in zip(batches, expected, strict=True):
        assert x.shape == tuple(tx.shape) and y.shape == tuple(ty.shape)
        assert dtype_name(x) == dtype_name(tx) and dtype_name(y) == dtype_name(ty)
        np.testing.assert_array_equal(x.numpy(), tx.numpy())
        np.testing.assert_array_equal(y.numpy(), ty.numpy())


@given(st.integers(1, 40), st.integers(1, 12), st.booleans(), st.integers(0, 2**16))
@settings(max_examples=100)
def test_shuffled_epoch_holds_every_sample_exactly_once(n, batch_size, drop_last, seed):
    data, _, _ = dataset(n)
    cnnlab.manual_seed(seed)
    loader = DataLoader(data, batch_size=batch_size, shuffle=True, drop_last=drop_last)
    for _ in range(2):  # each epoch its own order, each complete
        seen = [int(v) // 12 for x, _ in loader for v in x.numpy()[:, 0, 0, 0]]
        if drop_last:
            assert len(seen) == (n // batch_size) * batch_size and len(set(seen)) == len(seen)
        else:
            assert sorted(seen) == list(range(n))


def test_shuffle_repeats_under_manual_seed_and_with_a_generator():
    data, _, _ = dataset(50)

    def order(loader):
        return np.concatenate([y.numpy() for _, y in loader]).tolist()

    cnnlab.manual_seed(3)
    first = order(DataLoader(data, batch_size=8, shuffle=True))
    second_epoch_loader = DataLoader(data, batch_size=8, shuffle=True)
    cnnlab.manual_seed(3)
    assert order(second_epoch_loader) == first
    assert order(second_epoch_loader) != first  # the next epoch is shuffled anew
    with_generator = [
        order(DataLoader(data, batch_size=8, shuffle=True, generator=np.random.default_rng(9)))
        for _ in range(2)
    ]
    assert with_generator[0] == with_generator[1]
    assert order(DataLoader(data, batch_size=8)) == list(np.arange(50) % 10)
    assert sorted(first) == sorted(np.arange(50) % 10) and first != list(np.arange(50) % 10)


@given(st.integers(1, 30), st.integers(1, 8), st.booleans(), st.integers(0, 2**16))
@settings(max_examples=60)
def test_tensor_dataset_fast_path_equals_the_slow_path(n, batch_size, shuffle, seed):
    data, _, _ = dataset(n)
    fast = list(
        DataLoader(
            data, batch_size=batch_size, shuffle=shuffle, generator=np.random.default_rng(seed)
        )
    )
    slow = list(
        DataLoader(
            Samples(data),
            batch_size=batch_size,
            shuffle=shuffle,
            generator=np.random.default_rng(seed),
        )
    )
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow, strict=True):
        assert type(a) is type(b) is list
        for x, y in zip(a, b, strict=True):
            assert x.shape == y.shape and x.dtype == y.dtype
            np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_dataset_indexing_and_subset():
    data, images, labels = dataset(10)
    x, y = data[3]
    np.testing.assert_array_equal(x.numpy(), images[3])
    assert y.item() == labels[3] and data[-1][1].item() == labels[-1]
    assert len(data) == 10 and len(data.tensors) == 2
    part = Subset(data, [7, 2, 2])
    assert len(part) == 3 and part[0][1].item() == 7 and part[-1][1].item() == 2
    batch = next(iter(DataLoader(part, batch_size=3)))
    assert batch[1].tolist() == [7, 2, 2]
    nested = Subset(Subset(data, [9, 8, 7, 6]), [3, 0])
    assert [s[1].item() for s in nested] == [6, 9]
    assert next(iter(DataLoader(nested, batch_size=2)))[1].tolist() == [6, 9]
    with pytest.raises(ValueError, match=r"same first dimension, got \[3, 4\]"):
        TensorDataset(cnnlab.zeros(3), cnnlab.zeros(4))


@pytest.mark.filterwarnings("ignore:Length of split")
def test_random_split_lengths_fractions_and_disjointness():
    data, _, _ = dataset(23)
    parts = random_split(data, [10, 13], generator=np.random.default_rng(0))
    indices = [int(i) for part in parts for i in part.indices]
    assert [len(p) for p in parts] == [10, 13] and sorted(indices) == list(range(23))
    again = random_split(data, [10, 13], generator=np.random.default_rng(0))
    assert [list(p.indices) for p in again] == [list(p.indices) for p in parts]
    for fractions in ([0.3, 0.7], [0.5, 0.25, 0.25], [0.1] * 10, [1.0, 0.0]):
        ours = [len(p) for p in random_split(data, fractions, generator=np.random.default_rng(1))]
        theirs = [len(p) for p in tdata.random_split(range(23), fractions)]
        assert ours == theirs
    with pytest.raises(ValueError, match=r"lengths \[10, 12\] do not sum to 23"):
        random_split(data, [10, 12])


# ----- default_collate against torch's
Point = namedtuple("Point", ["x", "y"])
COLLATE_CASES = {
    "(tensor, int) pairs": lambda lib: [(lib.tensor([1.0, 2.0]), 1), (lib.tensor([3.0, 4.0]), 2)],
    "floats": lambda lib: [1.5, 2.5, -1.0],
    "ints": lambda lib: [3, 1, 4],
    "bools": lambda lib: [True, False],
    "tuples of numbers": lambda lib: [(1, 2.0), (3, 4.0)],
    "lists": lambda lib: [[1, 2], [3, 4]],
    "dicts": lambda lib: [
        {"image": lib.zeros(2, 2), "label": 1, "w": 0.5},
        {"image": lib.ones(2, 2), "label": 0, "w": 1.5},
    ],
    "numpy arrays": lambda lib: [np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)],
    "numpy float32 scalars": lambda lib: [np.float32(1.5), np.float32(2.0)],
    "numpy int32 scalars": lambda lib: [np.int32(1), np.int32(2)],
    "numpy float64 scalars": lambda lib: [np.float64(1.5), np.float64(2.0)],
    "int tensors": lambda lib: [lib.tensor(1), lib.tensor(2)],
    "nested": lambda lib: [(lib.tensor([1.0]), {"a": (1, 2)}), (lib.tensor([2.0]), {"a": (3, 4)})],
    "namedtuples": lambda lib: [Point(1, 2.0), Point(3, 4.0)],
    "strings": lambda lib: [("a", 1), ("b", 2)],
}


def comparable(value):
    """A structure of plain Python values and dtype names, for either library's batch."""
    if isinstance(value, cnnlab.Tensor | torch.Tensor):
        return ("tensor", dtype_name(value), tuple(value.shape), value.tolist())
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return (type(value).__name__, [comparable(v) for v in value])
    return value


@pytest.mark.parametrize("case", list(COLLATE_CASES))
def test_default_collate_matches_torchs(case):
    ours = default_collate(COLLATE_CASES[case](cnnlab))
    theirs = tdata.default_collate(COLLATE_CASES[case](torch))
    assert comparable(ours) == comparable(theirs)


def test_default_collate_errors_name_the_problem():
    with pytest.raises(ValueError, match="equal size"):
        default_collate([(1, 2), (3,)])
    with pytest.raises(
        ValueError, match=r"equal shapes .* \(2,\) at entry 0 and \(3,\) at entry 1"
    ):
        default_collate([cnnlab.zeros(2), cnnlab.zeros(3)])
    with pytest.raises(TypeError, match="cannot batch samples of type object"):
        default_collate([object(), object()])


def test_a_list_of_samples_works_as_a_dataset_with_a_custom_collate():
    samples = [(cnnlab.tensor([float(i)]), i % 2) for i in range(5)]
    batches = list(DataLoader(samples, batch_size=2))
    assert [b[1].tolist() for b in batches] == [[0, 1], [0, 1], [0]]
    assert batches[0][0].shape == (2, 1)
    custom = list(DataLoader(samples, batch_size=2, collate_fn=lambda b: len(b)))
    assert custom == [2, 2, 1]


def test_bad_loader_arguments_raise():
    data, _, _ = dataset(4)
    for bad in (0, -1, None, True):
        with pytest.raises(ValueError, match="batch_size must be a positive int"):
            DataLoader(data, batch_size=bad)
    with pytest.raises(ValueError, match="custom samplers are not supported"):
        DataLoader(data, sampler=[0, 1])
