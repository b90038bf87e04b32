"""Output sizes (eq. 8.1) and parameter counts (Table 8.1), with the chapter's own numbers."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from cnnlab.ops import shapes


@given(
    n=st.integers(1, 40),
    f=st.integers(1, 7),
    s=st.integers(1, 4),
    p=st.integers(0, 3),
    d=st.integers(1, 3),
)
def test_output_size_is_the_size_pytorch_produces(n, f, s, p, d):
    if n + 2 * p < d * (f - 1) + 1:
        with pytest.raises(ValueError, match="larger than the padded input"):
            shapes.output_size(n, f, s, p, d)
        return
    out = torch.nn.functional.conv2d(
        torch.zeros(1, 1, n, 1), torch.zeros(1, 1, f, 1), stride=s, padding=(p, 0), dilation=d
    )
    assert shapes.output_size(n, f, s, p, d) == out.shape[2]


@given(n=st.integers(1, 30), f=st.integers(1, 6), s=st.integers(1, 4), data=st.data())
def test_ceil_mode_output_size_is_pytorchs(n, f, s, data):
    p = data.draw(st.integers(0, f // 2))
    if n + 2 * p < f:
        return
    out = torch.nn.functional.max_pool2d(
        torch.zeros(1, 1, n, 1), (f, 1), (s, 1), (p, 0), ceil_mode=True
    )
    assert shapes.output_size(n, f, s, p, ceil_mode=True) == out.shape[2]


def test_the_chapters_worked_sizes():
    assert shapes.output_size(3, 2, 1, 0) == 2  # Fig. 8.3: 3x3 input, 2x2 filters
    assert shapes.output_size(37, 5, 2, 0) == 17  # Fig. 8.9: (37 - 5) / 2 + 1
    assert shapes.output_size(39, 3, 1, 0) == 37  # Fig. 8.7: 3x39x39 -> 10x37x37
    assert shapes.output_size(7, 3, 2, 0) == 3  # Fig. 8.18: 7x7, 3x3 filter, stride 2
    assert shapes.output_size(28, 5, 1, 2) == 28  # LeNet-5 on 28x28 with p = 2
    assert shapes.output_size(32, 5) == 28 and shapes.output_size(14, 5) == 10  # LeNet-5, 3x32x32


def test_exercise_3():
    """Exercise 3: (a) [3,64,64] f=6 s=2 p=1 n=10; (b) [8,17,17] f=5 s=1 p=0 n=10; (c) max pool."""
    assert shapes.output_size(64, 6, 2, 1) == 31
    assert shapes.conv_parameter_count(3, 10, 6) == 1090
    assert shapes.output_size(17, 5, 1, 0) == 13
    assert shapes.conv_parameter_count(8, 10, 5) == 2010
    assert shapes.output_size(24, 2, 2, 0) == 12


def test_table_8_1_parameter_counts_add_up_to_the_chapters_totals():
    """Fig. 8.22's net has 18,090 parameters; LeNet-5 with two batch norms 62,186 (exercise 9)."""
    chapter_net = [
        shapes.conv_parameter_count(3, 16, 3),
        shapes.conv_parameter_count(16, 8, 3),
        shapes.linear_parameter_count(8 * 8 * 8, 32),
        shapes.linear_parameter_count(32, 2),
    ]
    assert chapter_net == [448, 1160, 16416, 66] and sum(chapter_net) == 18090
    lenet_bn = [
        shapes.conv_parameter_count(3, 6, 5),
        shapes.batch_norm_parameter_count(6),
        shapes.conv_parameter_count(6, 16, 5),
        shapes.linear_parameter_count(400, 120),
        shapes.linear_parameter_count(120, 84),
        shapes.batch_norm_parameter_count(84),
        shapes.linear_parameter_count(84, 10),
    ]
    assert sum(lenet_bn) == 62186


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (0, ValueError, "stride must be >= 1, got 0"),
        ((1, 2, 3), TypeError, "int or a pair"),
        ("2", TypeError, "int or a pair"),
        (True, TypeError, "int or a pair"),
    ],
)
def test_pair_names_the_argument(value, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(")):
        shapes.pair(value, "stride")


def test_same_padding_puts_the_odd_pixel_last_as_pytorch_does():
    assert shapes.conv_padding("same", (4, 3), (1, 1), (1, 1)) == ((1, 2), (1, 1))
    assert shapes.conv_padding("same", (4, 4), (2, 1), (1, 1)) == ((3, 3), (1, 2))
    assert shapes.conv_padding("valid", (4, 4), (1, 1), (1, 1)) == ((0, 0), (0, 0))
    assert np.array(shapes.conv_padding((1, 2), (3, 3), (1, 1), (1, 1))).tolist() == [
        [1, 1],
        [2, 2],
    ]
