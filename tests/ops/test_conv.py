"""Convolution (eq. 8.2, Fig. 8.9) and its backward pass (eqs. 8.5b, 8.7, 8.12) against PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from cnnlab.autograd.gradcheck import gradcheck
from cnnlab.nn import functional as F
from cnnlab.ops import conv
from reference import DTYPES, assert_close


@st.composite
def conv_cases(draw, max_size: int = 7):
    """A random convolution: shapes, stride, padding (int, pair, 'same', 'valid'), dilation."""
    kernel = draw(st.tuples(st.integers(1, 4), st.integers(1, 4)))
    stride = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    dilation = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    kind = draw(
        st.sampled_from(
            ["int", "pair", "same", "valid"] if stride == (1, 1) else ["int", "pair", "valid"]
        )
    )
    padding = {
        "int": draw(st.integers(0, 2)),
        "pair": draw(st.tuples(st.integers(0, 2), st.integers(0, 2))),
        "same": "same",
        "valid": "valid",
    }[kind]
    pads = (
        padding
        if isinstance(padding, tuple)
        else (padding, padding)
        if isinstance(padding, int)
        else (0, 0)
    )
    size = [
        max(1, d * (k - 1) + 1 - 2 * p + draw(st.integers(0, max_size)))
        for k, d, p in zip(kernel, dilation, pads, strict=True)
    ]
    return dict(
        n=draw(st.integers(1, 3)),
        c=draw(st.integers(1, 4)),
        k=draw(st.integers(1, 4)),
        size=tuple(size),
        kernel=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        bias=draw(st.booleans()),
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**16)),
    )


def make_arrays(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["n"], case["c"], *case["size"])).astype(case["dtype"])
    w = rng.standard_normal((case["k"], case["c"], *case["kernel"])).astype(case["dtype"])
    b = rng.standard_normal(case["k"]).astype(case["dtype"]) if case["bias"] else None
    return x, w, b


def torch_conv(case, x, w, b, grad_z=None):
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    bt = None if b is None else torch.tensor(b, requires_grad=True)
    z = TF.conv2d(xt, wt, bt, case["stride"], case["padding"], case["dilation"])
    if grad_z is None:
        return z, None
    z.backward(torch.tensor(grad_z))
    return z, (xt.grad, wt.grad, None if bt is None else bt.grad)


@given(conv_cases())
@settings(max_examples=300)
def test_forward_loop_and_im2col_match_pytorch(case):
    x, w, b = make_arrays(case)
    expected, _ = torch_conv(case, x, w, b)
    args = (x, w, b, case["stride"], case["padding"], case["dilation"])
    assert_close("conv2d forward, loop (8.2)", conv.conv2d_loop(*args), expected, case["dtype"])
    assert_close(
        "conv2d forward, im2col (Fig. 8.9)", conv.conv2d_im2col(*args), expected, case["dtype"]
    )


@given(conv_cases())
@settings(max_examples=300)
def test_backward_chapter_and_im2col_match_pytorch(case):
    x, w, b = make_arrays(case)
    z, _ = torch_conv(case, x, w, b)
    grad_z = np.random.default_rng(case["seed"] + 1).standard_normal(z.shape).astype(case["dtype"])
    _, expected = torch_conv(case, x, w, b, grad_z)
    geom = conv.conv_geometry(x.shape, w.shape, case["stride"], case["padding"], case["dilation"])
    _, cols = conv.conv2d_forward(x, w, b, geom)
    fast = conv.conv2d_backward_im2col(grad_z, cols, w, geom)
    chapter = conv.conv2d_backward_chapter(
        x, w, grad_z, case["stride"], case["padding"], case["dilation"]
    )
    names = ("dL/dx (8.12)", "dL/dW (8.7)", "dL/db (8.5b)")
    for name, got_fast, got_chapter, want in zip(names, fast, chapter, expected, strict=True):
        if want is None:
            continue
        assert_close(f"conv2d {name}, im2col", got_fast, want, case["dtype"])
        assert_close(f"conv2d {name}, chapter", got_chapter, want, case["dtype"])


@given(conv_cases(max_size=4), st.sampled_from(["loop", "im2col"]))
@settings(max_examples=200)
def test_autograd_conv2d_matches_pytorch(case, method):
    x, w, b = make_arrays(case)
    z_ref, _ = torch_conv(case, x, w, b)
    grad_z = (
        np.random.default_rng(case["seed"] + 2).standard_normal(z_ref.shape).astype(case["dtype"])
    )
    z_ref, grads_ref = torch_conv(case, x, w, b, grad_z)
    xc, wc = cnnlab.tensor(x, requires_grad=True), cnnlab.tensor(w, requires_grad=True)
    bc = None if b is None else cnnlab.tensor(b, requires_grad=True)
    z = F.conv2d(xc, wc, bc, case["stride"], case["padding"], case["dilation"], method=method)
    z.backward(cnnlab.tensor(grad_z))
    assert_close(f"F.conv2d forward ({method})", z, z_ref, case["dtype"])
    for name, ours, theirs in zip(
        ("input", "weight", "bias"), (xc, wc, bc), grads_ref, strict=True
    ):
        if ours is not None:
            assert_close(f"F.conv2d grad {name} ({method})", ours.grad, theirs, case["dtype"])


@given(conv_cases(max_size=3), st.sampled_from(["loop", "im2col"]))
@settings(max_examples=40)
def test_conv2d_gradients_match_finite_differences(case, method):
    x, w, b = make_arrays({**case, "dtype": np.float64, "n": 1, "c": min(case["c"], 2)})
    inputs = [
        cnnlab.tensor(a, requires_grad=True) for a in (x, w) + ((b,) if b is not None else ())
    ]

    def fn(*tensors):
        bias = tensors[2] if len(tensors) == 3 else None
        return F.conv2d(
            tensors[0],
            tensors[1],
            bias,
            case["stride"],
            case["padding"],
            case["dilation"],
            method=method,
        )

    assert gradcheck(fn, inputs)


def test_exercise_1_by_loops_and_by_matrix_product():
    """Exercise 1 and 2: one input map, three filters, stride 1 (answers worked by hand)."""
    x = np.array(
        [[0, 1, 0, 0, 0], [0, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 0, 0], [0, 1, 0, 0, 0]],
        dtype=np.float64,
    ).reshape(1, 1, 5, 5)
    w = np.array(
        [
            [[0, 0, 0], [1, 1, 1], [0, 0, 0]],
            [[0, 1, 0], [0, 1, 0], [0, 1, 0]],
            [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        ],
        dtype=np.float64,
    ).reshape(3, 1, 3, 3)
    expected = np.array(
        [
            [[1, 1, 0], [3, 3, 3], [1, 1, 0]],
            [[3, 1, 1], [3, 1, 1], [3, 1, 1]],
            [[2, 2, 1], [1, 2, 1], [2, 1, 1]],
        ],
        dtype=np.float64,
    )
    for method in ("loop", "im2col"):
        np.testing.assert_array_equal(conv.conv2d(x, w, method=method)[0], expected)


def test_figure_8_9_columns_and_rows():
    """Fig. 8.9: a 10x37x37 input, 20 filters 10x5x5, stride 2 -> X_col 250x289, output 20x17x17."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 10, 37, 37)), rng.standard_normal((20, 10, 5, 5))
    geom = conv.conv_geometry(x.shape, w.shape, stride=2)
    cols = conv.im2col(x, geom)
    assert cols.shape == (250, 289)
    np.testing.assert_array_equal(cols, conv.im2col_reference(x, geom))
    assert w.reshape(20, -1).shape == (20, 250)
    z = conv.conv2d_im2col(x, w, stride=2)
    assert z.shape == (1, 20, 17, 17)
    # column (i * 17 + j) is the receptive field of output (i, j), stretched out
    np.testing.assert_array_equal(cols[:, 3 * 17 + 5], x[0, :, 6:11, 10:15].reshape(-1))


@given(conv_cases())
@settings(max_examples=200)
def test_compiled_im2col_and_col2im_equal_the_numpy_reference(case):
    """The kernels read the unpadded input with bounds checks; the reference pads, then slices."""
    x, w, _ = make_arrays(case)
    geom = conv.conv_geometry(x.shape, w.shape, case["stride"], case["padding"], case["dilation"])
    cols = conv.im2col(x, geom)
    np.testing.assert_array_equal(
        cols, conv.im2col_reference(conv.pad_input(x, geom.padding), geom)
    )
    (top, _), (left, _) = geom.padding
    back = conv.col2im_reference(cols, geom)[:, :, top : top + geom.h, left : left + geom.w]
    assert_close("col2im, compiled vs reference", conv.col2im(cols, geom), back, case["dtype"])


def test_col2im_adds_back_what_im2col_copied():
    """col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 9, 8))
    geom = conv.conv_geometry(x.shape, (4, 3, 3, 2), stride=(2, 1), dilation=(1, 2))
    c = rng.standard_normal(conv.im2col(x, geom).shape)
    assert np.isclose((conv.im2col(x, geom) * c).sum(), (x * conv.col2im(c, geom)).sum())


def test_dilate_inserts_stride_minus_one_zeros():
    """Fig. 8.18(b): a 3x3 gradient at stride 2 becomes 5x5 with zero rows and columns between."""
    grad = np.arange(1, 10, dtype=np.float64).reshape(1, 1, 3, 3)
    dilated = conv.dilate(grad, (2, 2))[0, 0]
    assert dilated.shape == (5, 5)
    np.testing.assert_array_equal(dilated[::2, ::2], grad[0, 0])
    assert dilated[1::2].sum() == 0 and dilated[:, 1::2].sum() == 0


def test_rotate180_flips_both_axes():
    w = np.arange(6.0).reshape(1, 1, 2, 3)
    np.testing.assert_array_equal(conv.rotate180(w)[0, 0], [[5, 4, 3], [2, 1, 0]])
    np.testing.assert_array_equal(conv.rotate180(conv.rotate180(w)), w)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "options", "message"),
    [
        (
            (1, 4, 8, 8),
            (16, 3, 3, 3),
            {},
            "input has 4 channels but weight expects 3 (weight shape (16, 3, 3, 3))",
        ),
        ((1, 3, 2, 2), (1, 3, 3, 3), {}, "kernel size 3"),
        ((1, 3, 8, 8), (1, 3, 3, 3), {"stride": 0}, "stride must be >= 1, got 0"),
        (
            (1, 3, 8, 8),
            (1, 3, 3, 3),
            {"stride": 2, "padding": "same"},
            "padding='same' needs stride 1",
        ),
        ((3, 8, 8), (1, 3, 3, 3), {}, "input must be 4-D (N, C, H, W), got shape (3, 8, 8)"),
        ((1, 3, 8, 8), (1, 3, 3, 3), {"padding": -1}, "padding must be >= 0"),
        (
            (1, 3, 8, 8),
            (1, 3, 3, 3),
            {"padding": "full"},
            "padding must be an int, a pair, 'same' or 'valid'",
        ),
    ],
)
def test_bad_arguments_name_what_was_expected(x_shape, w_shape, options, message):
    with pytest.raises(ValueError) as error:
        conv.conv_geometry(x_shape, w_shape, **options)
    assert message in str(error.value)


def test_functional_conv2d_rejects_integer_and_mixed_dtypes():
    w = cnnlab.zeros(2, 1, 3, 3)
    with pytest.raises(TypeError, match="input must be a floating point tensor, got dtype int64"):
        F.conv2d(cnnlab.tensor(np.zeros((1, 1, 5, 5), dtype=np.int64)), w)
    with pytest.raises(TypeError, match="input is float64, weight is float32"):
        F.conv2d(cnnlab.zeros(1, 1, 5, 5, dtype=cnnlab.float64), w)
    with pytest.raises(ValueError, match="method must be 'loop' or 'im2col', got 'fft'"):
        F.conv2d(cnnlab.zeros(1, 1, 5, 5), w, method="fft")


def test_functional_conv2d_accepts_an_unbatched_image():
    x = np.random.default_rng(2).standard_normal((3, 6, 6)).astype(np.float32)
    w = np.random.default_rng(3).standard_normal((2, 3, 3, 3)).astype(np.float32)
    ours = F.conv2d(cnnlab.tensor(x), cnnlab.tensor(w))
    assert ours.shape == (2, 4, 4)
    assert_close(
        "F.conv2d unbatched", ours, TF.conv2d(torch.tensor(x), torch.tensor(w)), np.float32
    )
