"""The ops as a student calls them: integer matrices (the exercises'), study-friendly signatures
and errors that name the argument, all against PyTorch in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab import ops
from reference import assert_close

EXERCISE_X = np.array(
    [[0, 1, 0, 0, 0], [0, 1, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 0, 0], [0, 1, 0, 0, 0]]
)
EXERCISE_W = np.array(
    [[[0, 0, 0], [1, 1, 1], [0, 0, 0]], [[0, 1, 0], [0, 1, 0], [0, 1, 0]], np.eye(3, dtype=int)]
)


def as_torch(array: np.ndarray) -> torch.Tensor:
    return torch.tensor(np.asarray(array, dtype=np.float64))


def test_exercise_1_with_integer_matrices_by_both_methods():
    x, w = EXERCISE_X[None, None], EXERCISE_W[:, None]
    expected = TF.conv2d(as_torch(x), as_torch(w)).numpy()
    for method in ("loop", "im2col"):
        z = ops.conv2d(x, w, method=method)
        assert z.dtype == np.float64
        np.testing.assert_array_equal(z, expected)
    np.testing.assert_array_equal(
        ops.conv2d(x, w)[0, 0], [[1, 1, 0], [3, 3, 3], [1, 1, 0]]
    )  # Y0 by hand: each output sums the middle row of its window


def test_pooling_of_integer_input_as_in_exercise_4():
    x = np.stack([EXERCISE_X, EXERCISE_X.T * 3 + 1])[None]  # [1, 2, 5, 5] integers
    maximum, _ = ops.max_pool2d(x, 2)
    average = ops.avg_pool2d(x, 2)
    assert maximum.dtype == average.dtype == np.float64
    np.testing.assert_array_equal(maximum, TF.max_pool2d(as_torch(x), 2).numpy())
    np.testing.assert_array_equal(average, TF.avg_pool2d(as_torch(x), 2).numpy())
    np.testing.assert_array_equal(average[0, 0], [[0.5, 0.0], [0.75, 0.5]])


@st.composite
def integer_cases(draw):
    kernel = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 3))
    padding = draw(st.integers(0, kernel // 2))
    size = draw(st.integers(kernel, kernel + 5))
    dtype = draw(st.sampled_from([np.int64, np.int32, np.uint8, np.int8, np.bool_]))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), size, size)
    return dict(kernel=kernel, stride=stride, padding=padding, dtype=dtype, shape=shape)


def integers(rng: np.random.Generator, shape: tuple[int, ...], dtype) -> np.ndarray:
    if dtype is np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    low = 0 if np.dtype(dtype).kind == "u" else -9
    return rng.integers(low, 10, shape).astype(dtype)


@given(integer_cases(), st.integers(0, 2**16))
@settings(max_examples=60)
def test_integer_input_is_computed_in_float64_as_pytorch_computes_it(case, seed):
    rng = np.random.default_rng(seed)
    x = integers(rng, case["shape"], case["dtype"])
    w = integers(rng, (2, case["shape"][1], case["kernel"], case["kernel"]), case["dtype"])
    b = integers(rng, (2,), case["dtype"])
    k, s, p = case["kernel"], case["stride"], case["padding"]
    xt, wt, bt = as_torch(x), as_torch(w), as_torch(b)
    results = {
        "conv2d loop": (ops.conv2d(x, w, b, s, p, method="loop"), TF.conv2d(xt, wt, bt, s, p)),
        "conv2d im2col": (ops.conv2d(x, w, b, stride=s, padding=p), TF.conv2d(xt, wt, bt, s, p)),
        "max_pool2d": (ops.max_pool2d(x, k, s, p)[0], TF.max_pool2d(xt, k, s, p)),
        "avg_pool2d": (ops.avg_pool2d(x, k, s, p), TF.avg_pool2d(xt, k, s, p)),
        "relu": (ops.relu(x), torch.relu(xt)),
        "sigmoid": (ops.sigmoid(x), torch.sigmoid(xt)),
        "softmax": (ops.softmax(x), torch.softmax(xt, dim=-1)),
        "log_softmax": (ops.log_softmax(x, axis=1), torch.log_softmax(xt, dim=1)),
        "mse_loss": (ops.mse_loss(x, x * 0), TF.mse_loss(xt, xt * 0)),
    }
    for name, (ours, theirs) in results.items():
        assert np.asarray(ours).dtype == np.float64, name
        assert_close(f"{name} of integers", ours, theirs, np.float64)


def test_the_chapter_backward_of_integer_arrays_matches_autograd():
    rng = np.random.default_rng(3)
    x, w = rng.integers(-3, 4, (1, 2, 6, 6)), rng.integers(-3, 4, (2, 2, 3, 3))
    grad_z = rng.integers(-3, 4, (1, 2, 2, 2))
    xt, wt = as_torch(x).requires_grad_(), as_torch(w).requires_grad_()
    TF.conv2d(xt, wt, stride=2).backward(as_torch(grad_z))
    dx, dw, db = ops.conv2d_backward_chapter(x, w, grad_z, stride=2)
    assert_close("conv2d_backward_chapter dx of integers", dx, xt.grad, np.float64)
    assert_close("conv2d_backward_chapter dw of integers", dw, wt.grad, np.float64)
    np.testing.assert_array_equal(db, grad_z.sum(axis=(0, 2, 3)))


def test_batch_norm_of_integers_matches_pytorch():
    x = np.random.default_rng(4).integers(0, 9, (4, 3, 2, 2))
    y, _ = ops.batch_norm(x, None, None, None, None, True, 0.1, 1e-5)
    expected = TF.batch_norm(as_torch(x), None, None, training=True, eps=1e-5)
    assert_close("batch_norm of integers", y, expected, np.float64)


@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "dilation"),
    [(5, 2, 0, 1), (3, 1, 1, 1), ((2, 3), (1, 2), (1, 0), (2, 1))],
)
def test_im2col_by_kernel_size_matches_unfold_and_the_geometry_form(
    kernel, stride, padding, dilation
):
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 11))
    cols = ops.im2col(x, kernel, stride=stride, padding=padding, dilation=dilation)
    unfolded = TF.unfold(torch.tensor(x), kernel, dilation, padding, stride)  # (N, C*kh*kw, L)
    expected = unfolded.permute(1, 0, 2).reshape(unfolded.shape[1], -1)
    assert_close("im2col by kernel_size", cols, expected, np.float64)
    kh, kw = kernel if isinstance(kernel, tuple) else (kernel, kernel)
    geom = ops.conv_geometry(x.shape, (1, 3, kh, kw), stride, padding, dilation)
    np.testing.assert_array_equal(ops.im2col(x, geom), cols)


def test_im2col_of_fig_8_9_is_250_by_289():
    x = np.arange(10 * 37 * 37).reshape(1, 10, 37, 37)
    cols = ops.im2col(x, 5, stride=2)
    assert cols.shape == (250, 289) and cols.dtype == np.float64
    np.testing.assert_array_equal(cols[:, 0], x[0, :, :5, :5].reshape(-1))


@pytest.mark.parametrize("stride", [1, 2, 3, (2, 3)])
def test_dilate_takes_an_int_and_matches_a_strided_transposed_convolution(stride):
    grad_z = np.random.default_rng(1).standard_normal((2, 3, 3, 4))
    channels = torch.ones(3, 1, 1, 1, dtype=torch.float64)
    expected = TF.conv_transpose2d(torch.tensor(grad_z), channels, stride=stride, groups=3)
    assert_close("dilate", ops.dilate(grad_z, stride), expected, np.float64)
    np.testing.assert_array_equal(
        ops.dilate(grad_z[0, 0], stride), ops.dilate(grad_z, stride)[0, 0]
    )


def test_dilate_of_fig_8_14():
    np.testing.assert_array_equal(
        ops.dilate(np.array([[1, 2], [3, 4]]), 2), [[1, 0, 2], [0, 0, 0], [3, 0, 4]]
    )


def test_softmax_defaults_to_the_last_axis():
    scores = np.random.default_rng(2).standard_normal((4, 10))
    assert_close(
        "softmax default axis",
        ops.softmax(scores),
        torch.softmax(torch.tensor(scores), -1),
        np.float64,
    )
    np.testing.assert_array_equal(ops.softmax(scores), ops.softmax(scores, axis=1))
    np.testing.assert_array_equal(ops.log_softmax(scores), ops.log_softmax(scores, -1))


def test_keyword_names_are_the_chapters():
    x, w = EXERCISE_X[None, None], EXERCISE_W[:, None]
    z = ops.conv2d(x=x, weight=w, bias=None, stride=1, padding=0, dilation=1)
    np.testing.assert_array_equal(z, ops.conv2d(x, w))
    pooled, _ = ops.max_pool2d(x=x, kernel_size=2, stride=2, padding=0)
    assert pooled.shape == (1, 1, 2, 2)
    assert ops.output_size(n=37, f=5, s=2, p=0) == 17  # eq. (8.1)'s letters


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: ops.conv2d(np.zeros((1, 1, 3, 3)), [["a"]]),
            TypeError,
            "conv2d: weight must hold real numbers, got an array of <U1",
        ),
        (
            lambda: ops.conv2d(np.zeros((3, 3)), np.zeros((1, 1, 2, 2))),
            ValueError,
            r"conv2d: input must be 4-D \(N, C, H, W\), got shape \(3, 3\)",
        ),
        (
            lambda: ops.conv2d(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 2, 2)), [1j]),
            TypeError,
            "conv2d: bias must hold real numbers, got an array of complex128",
        ),
        (
            lambda: ops.max_pool2d(np.array([["x"]]), 2),
            TypeError,
            "max_pool2d: x must hold real numbers",
        ),
        (
            lambda: ops.avg_pool2d(np.zeros((1, 1, 4, 4)), 0),
            ValueError,
            "kernel_size must be >= 1, got 0",
        ),
        (
            lambda: ops.im2col(np.zeros((3, 5, 5)), 3),
            ValueError,
            r"im2col: x must be 4-D \(N, C, H, W\), got shape \(3, 5, 5\)",
        ),
        (
            lambda: ops.im2col(np.zeros((1, 1, 5, 5)), 3, stride=0),
            ValueError,
            "stride must be >= 1, got 0",
        ),
        (
            lambda: ops.dilate(np.zeros(3), 2),
            ValueError,
            r"dilate: grad_z must have 2 or more dimensions, got shape \(3,\)",
        ),
        (
            lambda: ops.dilate(np.zeros((2, 2)), 1.5),
            TypeError,
            "stride must be an int or a pair of ints, got 1.5",
        ),
        (
            lambda: ops.softmax(np.zeros((2, 3)), axis=2),
            ValueError,
            r"softmax: axis 2 is out of range for an input of 2 dimension\(s\) \(expected -2 ",
        ),
        (
            lambda: ops.softmax(np.zeros(3), axis=0.5),
            TypeError,
            "softmax: axis must be an int, got 0.5",
        ),
    ],
)
def test_errors_name_the_op_and_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()
