"""The shape calculator: eq. (8.1) and Table 8.1 on the chapter's exercise 3."""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F

from cnnlab.models.calculator import parse_layers, parse_shape, propagate


def run(shape: str, layers: str):
    return [
        (r.output_shape, r.parameters)
        for r in propagate(parse_shape(shape), parse_layers(layers.split()))
    ]


@pytest.mark.parametrize(
    ("shape", "layers", "expected"),
    [
        ("3x64x64", "conv f=6 s=2 p=1 n=10", [((10, 31, 31), 1090)]),  # exercise 3a
        ("8x17x17", "conv f=5 s=1 p=0 n=10", [((10, 13, 13), 2010)]),  # exercise 3b
        ("3x24x24", "pool f=2 s=2", [((3, 12, 12), 0)]),  # exercise 3c
        ("10x37x37", "conv k=5 s=2 n=20", [((20, 17, 17), 5020)]),  # Fig. 8.9's 17x17 outputs
        ("3x39x39", "conv f=3 n=10", [((10, 37, 37), 280)]),  # Fig. 8.7's first layer
    ],
)
def test_exercise_answers(shape, layers, expected):
    assert run(shape, layers) == expected


def test_lenet5_bn_stack_adds_up_to_62186():
    rows = run(
        "3x32x32",
        "conv f=5 n=6 relu maxpool f=2 bn conv f=5 n=16 relu pool f=2 "
        "flatten fc n=120 relu fc n=84 relu bn fc n=10",
    )
    assert rows[-1] == ((10,), 850)
    assert sum(p for _, p in rows) == 62186


def test_pool_stride_defaults_to_the_window_and_avgpool_has_no_parameters():
    assert run("6x28x28", "avgpool k=2") == [((6, 14, 14), 0)]
    assert run("6x28x28", "pool k=3 s=2 p=1") == [((6, 14, 14), 0)]


def test_pool_without_a_window_is_2_by_2():
    assert run("6x28x28", "pool") == run("6x28x28", "pool f=2 s=2") == [((6, 14, 14), 0)]
    assert run("6x28x28", "avgpool s=1") == [((6, 27, 27), 0)]
    (layer,) = parse_layers(["pool"])
    assert str(layer) == "pool f=2"


@pytest.mark.parametrize("kind", ["pool", "avgpool"])
@pytest.mark.parametrize(("f", "p"), [(2, 1), (2, 2), (3, 1), (3, 2), (5, 2), (5, 3), (4, 3)])
def test_pool_padding_is_refused_where_pytorch_refuses_it(kind, f, p):
    function = F.max_pool2d if kind == "pool" else F.avg_pool2d
    try:
        expected = function(torch.zeros(1, 1, 9, 9), f, padding=p).shape[1:]
    except RuntimeError as error:
        assert "pad should be at most half" in str(error)
        with pytest.raises(ValueError, match=rf"padding p={p} is more than half the window f={f}"):
            run("1x9x9", f"{kind} f={f} p={p}")
    else:
        assert run("1x9x9", f"{kind} f={f} p={p}") == [(tuple(expected), 0)]


def test_conv_padding_may_exceed_half_the_kernel_as_in_pytorch():
    expected = torch.nn.Conv2d(1, 2, 2, padding=3)(torch.zeros(1, 1, 5, 5)).shape[1:]
    assert run("1x5x5", "conv f=2 p=3 n=2") == [(tuple(expected), 10)]


def test_a_layer_may_be_one_quoted_argument():
    quoted = propagate((3, 64, 64), parse_layers(["conv f=6 s=2 p=1 n=10", "relu", "pool, s=1"]))
    words = "conv f=6 s=2 p=1 n=10 relu pool s=1"
    assert quoted == propagate((3, 64, 64), parse_layers(words.split(" ")))
    assert [r.output_shape for r in quoted] == [(10, 31, 31), (10, 31, 31), (10, 30, 30)]


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ("conv f=3 n=4 f=5", "conv f=3 n=4: f= given twice (already f=3); give it once"),
        ("conv k=3 f=3 n=4", "conv f=3: f= given twice (already f=3)"),
        ("pool s=1 stride=2", "pool s=1: stride= given twice (already s=1)"),
    ],
)
def test_a_key_given_twice_is_an_error(layers, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_layers(layers.split())


def test_formula_spells_out_the_arithmetic():
    (row,) = propagate((3, 64, 64), parse_layers(["conv", "f=6", "s=2", "p=1", "n=10"]))
    assert row.formula == "floor((64 + 2*1 - 6) / 2 + 1) = 31; params (3*6*6 + 1) * 10 = 1,090"


@pytest.mark.parametrize(
    ("shape", "layers", "message"),
    [
        ("3x8x8", "conv f=3", "missing n="),
        ("3x8x8", "f=3 conv n=2", "comes before any layer"),
        ("3x8x8", "dense n=3", "unknown layer 'dense'"),
        ("3x8x8", "pool q=2", "unknown argument 'q'"),
        ("3x8x8", "conv f=x n=2", "f must be a non-negative integer"),
        ("3x4x4", "conv f=6 n=2", "larger than the padded input"),
        ("10", "conv f=1 n=2", "needs a C x H x W input"),
    ],
)
def test_bad_layers_say_what_is_wrong(shape, layers, message):
    with pytest.raises(ValueError, match=message):
        run(shape, layers)


@pytest.mark.parametrize("text", ["3x", "0x3x3", "axb", "1x2x3x4", ""])
def test_bad_shapes_are_refused(text):
    with pytest.raises(ValueError, match="a shape is C x H x W"):
        parse_shape(text)


def test_shape_spellings():
    assert (
        parse_shape("3x32x32")
        == parse_shape("[3, 32, 32]")
        == parse_shape("3,32,32")
        == (3, 32, 32)
    )
