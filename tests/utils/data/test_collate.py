"""``default_collate``, ``default_convert`` and ``collate`` against PyTorch's on nested samples
of every kind, and their errors."""

from collections import OrderedDict, namedtuple

import numpy as np
import pytest
import torch
import torch.utils.data as tdata
from PIL import Image
from torch.utils.data._utils.collate import collate as torch_collate
from torch.utils.data._utils.collate import default_collate_fn_map as torch_map

import cnnlab
from cnnlab.utils.data import collate, default_collate, default_collate_fn_map, default_convert

Point = namedtuple("Point", ["x", "y"])
CASES = {
    "(tensor, int) pairs": lambda lib: [(lib.tensor([1.0, 2.0]), 1), (lib.tensor([3.0, 4.0]), 2)],
    "floats": lambda lib: [1.5, 2.5, -1.0],
    "ints": lambda lib: [3, 1, 4],
    "bools": lambda lib: [True, False],
    "bools and ints": lambda lib: [True, 2],
    "tuples of numbers": lambda lib: [(1, 2.0), (3, 4.0)],
    "lists": lambda lib: [[1, 2], [3, 4]],
    "lists of tensors": lambda lib: [[lib.zeros(2), lib.ones(3)], [lib.ones(2), lib.zeros(3)]],
    "dicts": lambda lib: [
        {"image": lib.zeros(2, 2), "label": 1, "w": 0.5},
        {"image": lib.ones(2, 2), "label": 0, "w": 1.5},
    ],
    "ordered dicts": lambda lib: [OrderedDict(b=1, a=2.0), OrderedDict(b=3, a=4.0)],
    "numpy arrays": lambda lib: [np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)],
    "numpy uint8 images": lambda lib: [np.full((2, 2, 3), 7, np.uint8)] * 3,
    "numpy bool arrays": lambda lib: [np.array([True, False]), np.array([False, False])],
    "numpy float32 scalars": lambda lib: [np.float32(1.5), np.float32(2.0)],
    "numpy int32 scalars": lambda lib: [np.int32(1), np.int32(2)],
    "numpy float64 scalars": lambda lib: [np.float64(1.5), np.float64(2.0)],
    "numpy bool scalars": lambda lib: [np.bool_(True), np.bool_(False)],
    "int tensors": lambda lib: [lib.tensor(1), lib.tensor(2)],
    "float64 tensors": lambda lib: [lib.zeros(2, dtype=lib.float64)] * 2,
    "nested": lambda lib: [(lib.tensor([1.0]), {"a": (1, 2)}), (lib.tensor([2.0]), {"a": (3, 4)})],
    "namedtuples": lambda lib: [Point(1, 2.0), Point(3, 4.0)],
    "namedtuples of tensors": lambda lib: [Point(lib.ones(2), [1]), Point(lib.zeros(2), [2])],
    "strings": lambda lib: [("a", 1), ("b", 2)],
    "bytes": lambda lib: [b"a", b"b"],
}


def comparable(value):
    """A structure of plain Python values and dtype names, for either library's batch."""
    if isinstance(value, cnnlab.Tensor | torch.Tensor):
        dtype = str(value.dtype).removeprefix("torch.")
        return ("tensor", dtype, tuple(value.shape), value.tolist())
    if isinstance(value, dict):
        return (type(value).__name__, {k: comparable(v) for k, v in value.items()})
    if isinstance(value, tuple | list):
        return (type(value).__name__, [comparable(v) for v in value])
    return value


@pytest.mark.parametrize("case", list(CASES))
def test_default_collate_matches_torch(case):
    ours = default_collate(CASES[case](cnnlab))
    theirs = tdata.default_collate(CASES[case](torch))
    assert comparable(ours) == comparable(theirs)


CONVERT_CASES = {
    "numpy array": lambda lib: np.arange(6).reshape(2, 3),
    "numpy scalar": lambda lib: np.float32(2.5),
    "tuple": lambda lib: (np.ones(2), 3, "s"),
    "dict": lambda lib: {"x": np.zeros(2, np.int16), "y": [np.ones(1), 2.0]},
    "namedtuple": lambda lib: Point(np.ones(1), 2),
    "string array is left alone": lambda lib: np.array(["a", "b"]),
    "number": lambda lib: 3,
    "tensor": lambda lib: lib.ones(2),
}


@pytest.mark.parametrize("case", list(CONVERT_CASES))
def test_default_convert_matches_torch(case):
    ours = default_convert(CONVERT_CASES[case](cnnlab))
    theirs = tdata.default_convert(CONVERT_CASES[case](torch))
    if isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray) and (ours == theirs).all()
        return
    assert comparable(ours) == comparable(theirs)


def test_collate_with_an_extended_map_matches_torch():
    """``collate`` with a map that knows one more type, PyTorch's documented extension."""

    class Box:
        def __init__(self, value):
            self.value = value

    def boxes(batch, *, collate_fn_map=None):
        return sum(b.value for b in batch)

    samples = [(Box(1), 1.0), (Box(2), 2.0)]
    ours = collate(samples, collate_fn_map={**default_collate_fn_map, Box: boxes})
    theirs = torch_collate(samples, collate_fn_map={**torch_map, Box: boxes})
    assert comparable(ours) == comparable(theirs)


def test_errors_name_the_problem_as_torch():
    image = Image.new("RGB", (2, 2))
    cases = [
        ([image, image], TypeError, "batch must contain tensors, numpy arrays, numbers"),
        ([object(), object()], TypeError, "found <class 'object'>"),
        ([(1, 2), (3,)], RuntimeError, "each element in list of batch should be of equal size"),
        ([np.array(["a"]), np.array(["b"])], TypeError, "found <U1"),
    ]
    for samples, kind, message in cases:
        with pytest.raises(kind):
            tdata.default_collate(samples)
        with pytest.raises(kind, match=message):
            default_collate(samples)
    with pytest.raises(
        RuntimeError, match=r"equal shapes .* \(2,\) at entry 0 and \(3,\) at entry 1"
    ):
        default_collate([cnnlab.zeros(2), cnnlab.zeros(3)])
