"""Grouped and depthwise convolution, padding modes and transposed convolution against
``torch.nn``: layers with torch's weights, forward and every gradient on generated cases,
finite differences, lazy forms and errors."""

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import cnnlab
import cnnlab.nn.functional as F
from cnnlab.autograd.gradcheck import gradcheck
from layer_differential import compare_layer, twins
from reference import DTYPES


@st.composite
def grouped_convs(draw):
    groups = draw(st.integers(1, 4))
    depthwise = draw(st.booleans())
    per_group_in = 1 if depthwise else draw(st.integers(1, 2))
    per_group_out = draw(st.integers(1, 2))
    kernel = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    stride = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    dilation = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    mode = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
    padding = draw(st.sampled_from([0, 1, (1, 0), "same"] if stride == (1, 1) else [0, 1, (0, 1)]))
    size = tuple(
        d * (k - 1) + 2 + draw(st.integers(0, 3)) for k, d in zip(kernel, dilation, strict=True)
    )
    return dict(
        args=(groups * per_group_in, groups * per_group_out, kernel),
        kwargs=dict(
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=draw(st.booleans()),
            padding_mode=mode,
        ),
        batch=draw(st.integers(1, 2)),
        size=size,
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**16)),
    )


@given(grouped_convs())
@settings(max_examples=100)
def test_grouped_depthwise_and_padded_conv2d_match_torch(case):
    torch.manual_seed(case["seed"])
    ours, theirs = twins("Conv2d", *case["args"], dtype=case["dtype"], **case["kwargs"])
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(case["seed"]).standard_normal(
        (case["batch"], case["args"][0], *case["size"])
    )
    compare_layer("Conv2d groups", ours, theirs, x.astype(case["dtype"]), case["seed"])


@st.composite
def transposed_convs(draw):
    groups = draw(st.integers(1, 3))
    kernel = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    stride = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    dilation = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    padding = tuple(
        draw(st.integers(0, d * (k - 1))) for k, d in zip(kernel, dilation, strict=True)
    )
    output_padding = tuple(
        draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation, strict=True)
    )
    size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    for n, k, s, p, d, op in zip(
        size, kernel, stride, padding, dilation, output_padding, strict=True
    ):
        assume((n - 1) * s - 2 * p + d * (k - 1) + op + 1 >= 1)  # else an empty output
    return dict(
        args=(groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2)), kernel),
        kwargs=dict(
            stride=stride,
            padding=padding,
            output_padding=output_padding,
            groups=groups,
            bias=draw(st.booleans()),
            dilation=dilation,
        ),
        batch=draw(st.integers(1, 2)),
        size=size,
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**16)),
    )


@given(transposed_convs())
@settings(max_examples=100)
def test_conv_transpose2d_matches_torch(case):
    torch.manual_seed(case["seed"])
    ours, theirs = twins("ConvTranspose2d", *case["args"], dtype=case["dtype"], **case["kwargs"])
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(case["seed"]).standard_normal(
        (case["batch"], case["args"][0], *case["size"])
    )
    compare_layer("ConvTranspose2d", ours, theirs, x.astype(case["dtype"]), case["seed"])


@pytest.mark.parametrize(
    ("fn", "w_shape"),
    [
        (lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=4), (8, 1, 3, 3)),
        (lambda x, w, b: F.conv2d(x, w, b, stride=2, groups=2, dilation=(1, 2)), (4, 2, 2, 2)),
        (
            lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, output_padding=1, groups=2),
            (4, 3, 3, 3),
        ),
    ],
    ids=["depthwise", "grouped", "transposed"],
)
def test_convolution_gradients_match_finite_differences(fn, w_shape):
    rng = np.random.default_rng(0)
    x = cnnlab.tensor(rng.standard_normal((1, 4, 5, 5)), requires_grad=True)
    w = cnnlab.tensor(rng.standard_normal(w_shape), requires_grad=True)
    out_channels = w_shape[0] if fn.__code__.co_names[-1] == "conv2d" else w_shape[1] * 2
    b = cnnlab.tensor(rng.standard_normal(out_channels), requires_grad=True)
    assert gradcheck(fn, [x, w, b])


def test_mobilenet_block_is_torchs_and_depthwise_weights_are_initialized_as_torch():
    """A depthwise-separable block: depthwise 3x3 (groups=C, no bias), BN, ReLU6, pointwise 1x1."""

    def block(nn, c=32):
        return nn.Sequential(
            nn.Conv2d(c, c, 3, stride=2, padding=1, groups=c, bias=False),
            nn.BatchNorm2d(c),
            nn.ReLU6(inplace=True),
            nn.Conv2d(c, 2 * c, 1, bias=False),
            nn.BatchNorm2d(2 * c),
            nn.ReLU6(inplace=True),
        )

    ours, theirs = block(cnnlab.nn), block(torch.nn)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    bound = 1 / 3  # fan_in = 1 * 3 * 3 for a depthwise filter
    weight = ours[0].weight.detach().numpy()
    assert weight.shape == (32, 1, 3, 3) and np.abs(weight).max() <= bound
    assert np.abs(weight).max() > 0.9 * bound
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(1).standard_normal((4, 32, 8, 8)).astype(np.float32)
    compare_layer("MobileNet block", ours, theirs, x)


def test_lazy_conv_layers_take_in_channels_from_the_first_input():
    for name in ("LazyConv2d", "LazyConvTranspose2d"):
        ours = getattr(cnnlab.nn, name)(6, 3, stride=2, groups=2)
        theirs = getattr(torch.nn, name)(6, 3, stride=2, groups=2)
        assert repr(ours) == repr(theirs)
        x = np.random.default_rng(2).standard_normal((2, 4, 7, 7)).astype(np.float32)
        ours(cnnlab.tensor(x))
        theirs(torch.tensor(x))
        assert type(ours).__name__ == type(theirs).__name__ == name.removeprefix("Lazy")
        assert repr(ours) == repr(theirs)
        ours.load_state_dict(theirs.state_dict())
        compare_layer(name, ours, theirs, x)


def test_conv_errors_name_the_arguments():
    with pytest.raises(ValueError, match=r"out_channels \(3\) must be divisible by groups \(2\)"):
        cnnlab.nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="input has 4 channels but weight expects 6"):
        F.conv2d(cnnlab.zeros(1, 4, 5, 5), cnnlab.zeros(6, 3, 3, 3), groups=2)
    with pytest.raises(ValueError, match="output_padding must be smaller than either stride"):
        F.conv_transpose2d(cnnlab.zeros(1, 2, 3, 3), cnnlab.zeros(2, 2, 3, 3), output_padding=1)
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported'):
        cnnlab.nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(NotImplementedError, match="method='loop' with groups=2"):
        F.conv2d(cnnlab.zeros(1, 2, 3, 3), cnnlab.zeros(2, 1, 3, 3), groups=2, method="loop")
