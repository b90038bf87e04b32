"""``DataLoader`` against ``torch.utils.data.DataLoader`` in one process: batch shapes, dtypes,
values and ``len`` for batch sizes, ``drop_last``, samplers, batch samplers, ``batch_size=None``,
custom collate functions and iterable datasets; images through a transform; shuffling; the
arguments PyTorch refuses, refused alike."""

import numpy as np
import pytest
import torch
import torch.utils.data as tdata
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import cnnlab
from cnnlab.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset


def tensors(n, lib):
    images = np.arange(n * 12, dtype=np.float32).reshape(n, 3, 2, 2)
    return lib.tensor(images), lib.tensor(np.arange(n) % 10)


def comparable(value):
    if isinstance(value, cnnlab.Tensor | torch.Tensor):
        return (str(value.dtype).removeprefix("torch."), tuple(value.shape), value.tolist())
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return (type(value).__name__, [comparable(v) for v in value])
    return value


def same_batches(ours, theirs) -> None:
    assert len(ours) == len(theirs)
    batches, expected = list(ours), list(theirs)
    assert len(batches) == len(expected)
    assert [comparable(b) for b in batches] == [comparable(b) for b in expected]


class Records(Dataset):
    """Samples of several kinds in a dict, as datasets of real programs return them."""

    def __init__(self, lib, n):
        self.lib, self.n = lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": self.lib.ones(2) * i, "label": i % 3, "weight": i / 2, "name": f"s{i}"}


class Stream:
    """0, 1, ..., n - 1 with a tensor each; made an ``IterableDataset`` of either library."""

    def __init__(self, lib, n):
        self.lib, self.n = lib, n

    def __iter__(self):
        return ((self.lib.tensor([float(i)]), i) for i in range(self.n))

    def __len__(self):
        return self.n


class Counting(Stream, IterableDataset):
    pass


class TorchCounting(Stream, tdata.IterableDataset):
    pass


def counting(lib, n):
    return (Counting if lib is cnnlab else TorchCounting)(lib, n)


@given(st.integers(1, 40), st.integers(1, 12), st.booleans())
@settings(max_examples=60)
def test_tensor_batches_match_torch(n, batch_size, drop_last):
    ours = DataLoader(
        TensorDataset(*tensors(n, cnnlab)), batch_size=batch_size, drop_last=drop_last
    )
    theirs = tdata.DataLoader(
        tdata.TensorDataset(*tensors(n, torch)), batch_size=batch_size, drop_last=drop_last
    )
    same_batches(ours, theirs)


@given(st.integers(1, 25), st.sampled_from([None, 1, 4]), st.booleans(), st.integers(0, 3))
@settings(max_examples=40)
def test_dicts_iterables_samplers_and_batch_samplers_match_torch(n, batch_size, drop_last, kind):
    drop_last = drop_last and batch_size is not None
    order = list(range(n))[::-1]
    loaders = []
    for lib, data in ((cnnlab, cnnlab.utils.data), (torch, tdata)):
        if kind == 0:
            options = dict(batch_size=batch_size, drop_last=drop_last)
            loaders.append(data.DataLoader(Records(lib, n), **options))
        elif kind == 1:
            options = dict(batch_size=batch_size, drop_last=drop_last)
            loaders.append(data.DataLoader(counting(lib, n), **options))
        elif kind == 2:
            options = dict(batch_size=batch_size, drop_last=drop_last, sampler=order)
            loaders.append(data.DataLoader(Records(lib, n), **options))
        else:
            batches = [order[i : i + 3] for i in range(0, n, 3)]
            loaders.append(data.DataLoader(Records(lib, n), batch_sampler=batches))
    same_batches(*loaders)


def test_custom_collate_and_a_list_as_dataset():
    samples = [(cnnlab.tensor([float(i)]), i % 2) for i in range(5)]
    batches = list(DataLoader(samples, batch_size=2))
    assert [b[1].tolist() for b in batches] == [[0, 1], [0, 1], [0]]
    assert batches[0][0].shape == (2, 1)
    assert list(DataLoader(samples, batch_size=2, collate_fn=len)) == [2, 2, 1]


class Pictures(Dataset):
    """PIL images, made tensors by a transform, as torchvision datasets hand them out."""

    def __init__(self, transform):
        rng = np.random.default_rng(0)
        self.images = [Image.fromarray(rng.integers(0, 256, (4, 5, 3), np.uint8)) for _ in range(7)]
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.transform(self.images[i]), i


def to_tensor(lib):
    """What ``transforms.ToTensor`` computes: HWC uint8 to CHW float in [0, 1]."""
    return lambda image: lib.tensor(np.asarray(image, np.float32) / 255).permute(2, 0, 1)


def test_images_through_a_transform_match_torch():
    same_batches(
        DataLoader(Pictures(to_tensor(cnnlab)), batch_size=3),
        tdata.DataLoader(Pictures(to_tensor(torch)), batch_size=3),
    )


def test_shuffle_repeats_under_manual_seed_and_with_a_generator():
    data = TensorDataset(*tensors(50, cnnlab))

    def order(loader):
        return np.concatenate([y.numpy() for _, y in loader]).tolist()

    cnnlab.manual_seed(3)
    first = order(DataLoader(data, batch_size=8, shuffle=True))
    loader = DataLoader(data, batch_size=8, shuffle=True)
    cnnlab.manual_seed(3)
    assert order(loader) == first and order(loader) != first  # each epoch shuffled anew
    with_generator = [
        order(DataLoader(data, batch_size=8, shuffle=True, generator=np.random.default_rng(9)))
        for _ in range(2)
    ]
    assert with_generator[0] == with_generator[1]
    assert sorted(first) == sorted(np.arange(50) % 10) and first != list(np.arange(50) % 10)


def test_iterable_dataset_length_and_its_warning_as_torch():
    for lib, data in ((cnnlab, cnnlab.utils.data), (torch, tdata)):
        dataset = counting(lib, 10)
        assert len(data.DataLoader(dataset, batch_size=4)) == 3
        assert len(data.DataLoader(dataset, batch_size=4, drop_last=True)) == 2
        loader = data.DataLoader(dataset, batch_size=None)
        assert len(loader) == 10
        dataset.n = 12  # the stream now yields more than len() said
        with pytest.warns(UserWarning, match="was reported to be 10"):
            assert len(list(loader)) == 12


def test_pin_memory_is_a_noted_no_op_as_in_torch_without_an_accelerator():
    for data, lib in ((cnnlab.utils.data, cnnlab), (tdata, torch)):
        loader = data.DataLoader(data.TensorDataset(lib.ones(4, 2)), batch_size=2, pin_memory=True)
        with pytest.warns(UserWarning, match="no accelerator is found"):
            batch = next(iter(loader))
        assert batch[0].shape == (2, 2)


BAD = [
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(batch_size=None, drop_last=True), ValueError, "mutually exclusive with drop_last"),
    (dict(sampler=[0, 1], shuffle=True), ValueError, "mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), ValueError, "batch_sampler option is mutually"),
    (dict(num_workers=-1), ValueError, "num_workers"),
    (dict(prefetch_factor=2), ValueError, "prefetch_factor option could only be specified"),
    (dict(persistent_workers=True), ValueError, "persistent_workers option needs num_workers"),
    (dict(timeout=-1), ValueError, "timeout should be non-negative"),
    (dict(multiprocessing_context="fork"), ValueError, "multiprocessing_context can only be"),
    (dict(num_workers=1, multiprocessing_context="nope"), ValueError, "should be one of"),
]


@pytest.mark.parametrize(("kwargs", "kind", "message"), BAD)
def test_bad_arguments_raise_as_in_torch(kwargs, kind, message):
    with pytest.raises(kind):
        tdata.DataLoader(tdata.TensorDataset(torch.ones(4)), **kwargs)
    with pytest.raises(kind, match=message):
        DataLoader(TensorDataset(cnnlab.ones(4)), **kwargs)


def test_iterable_datasets_refuse_samplers_and_built_loaders_refuse_changes():
    for kwargs in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError):
            tdata.DataLoader(TorchCounting(torch, 3), **kwargs)
        with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected"):
            DataLoader(Counting(cnnlab, 3), **kwargs)
    loader = DataLoader(TensorDataset(cnnlab.ones(4)), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    with pytest.raises(TypeError, match="generator must be a cnnlab"):
        list(DataLoader(TensorDataset(cnnlab.ones(4)), shuffle=True, generator=torch.Generator()))
