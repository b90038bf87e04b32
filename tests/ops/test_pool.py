"""Max and average pooling (eqs. 8.13-8.17) against PyTorch, and the chapter's exercise 4."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import cnnlab
from cnnlab.autograd.gradcheck import gradcheck
from cnnlab.nn import functional as F
from cnnlab.ops import pool
from reference import DTYPES, assert_close


@st.composite
def pool_cases(draw, dilation: bool = True):
    kernel = draw(st.tuples(st.integers(1, 4), st.integers(1, 4)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    dil = draw(st.tuples(st.integers(1, 2), st.integers(1, 2))) if dilation else (1, 1)
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    size = tuple(
        max(1, d * (k - 1) + 1 - 2 * p + draw(st.integers(0, 7)))
        for k, d, p in zip(kernel, dil, padding, strict=True)
    )
    return dict(
        shape=(draw(st.integers(1, 3)), draw(st.integers(1, 3)), *size),
        kernel=kernel,
        stride=stride,
        padding=padding,
        dilation=dil,
        ceil_mode=draw(st.booleans()),
        # small integers make ties common: the gradient must go where PyTorch sends it
        ties=draw(st.booleans()),
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**16)),
    )


def only_padding(case) -> bool:
    """Windows that hold nothing but padding: PyTorch writes out of bounds there, cnnlab refuses."""
    stride = case["stride"] or case["kernel"]
    for size, k, s, p, d in zip(
        case["shape"][2:], case["kernel"], stride, case["padding"], case["dilation"], strict=True
    ):
        out = pool.output_size(size, k, s, p, d, ceil_mode=case["ceil_mode"])
        for i in range(out):
            if not any(0 <= i * s - p + u * d < size for u in range(k)):
                return True
    return False


def make_input(case):
    rng = np.random.default_rng(case["seed"])
    if case["ties"]:
        return rng.integers(-2, 3, case["shape"]).astype(case["dtype"])
    return rng.standard_normal(case["shape"]).astype(case["dtype"])


def grad_like(case, shape):
    return np.random.default_rng(case["seed"] + 1).standard_normal(shape).astype(case["dtype"])


@given(pool_cases())
@settings(max_examples=400)
def test_max_pool_values_indices_and_gradient_match_pytorch(case):
    assume(not only_padding(case))
    x = make_input(case)
    xt = torch.tensor(x, requires_grad=True)
    options = dict(
        kernel_size=case["kernel"],
        stride=case["stride"],
        padding=case["padding"],
        dilation=case["dilation"],
        ceil_mode=case["ceil_mode"],
    )
    zt, it = TF.max_pool2d(xt, return_indices=True, **options)
    grad = grad_like(case, zt.shape)
    zt.backward(torch.tensor(grad))
    xc = cnnlab.tensor(x, requires_grad=True)
    z, indices = F.max_pool2d(xc, return_indices=True, **options)
    z.backward(cnnlab.tensor(grad))
    assert_close("max_pool2d forward (8.13)", z, zt, case["dtype"])
    np.testing.assert_array_equal(indices.numpy(), it.numpy())
    assert_close("max_pool2d grad input (8.15)", xc.grad, xt.grad, case["dtype"])


@given(pool_cases(dilation=False), st.booleans(), st.sampled_from([None, 1, 3, -2]))
@settings(max_examples=400)
def test_avg_pool_values_and_gradient_match_pytorch(case, count_include_pad, divisor):
    x = make_input(case)
    options = dict(
        kernel_size=case["kernel"],
        stride=case["stride"],
        padding=case["padding"],
        ceil_mode=case["ceil_mode"],
        count_include_pad=count_include_pad,
        divisor_override=divisor,
    )
    xt = torch.tensor(x, requires_grad=True)
    zt = TF.avg_pool2d(xt, **options)
    grad = grad_like(case, zt.shape)
    zt.backward(torch.tensor(grad))
    xc = cnnlab.tensor(x, requires_grad=True)
    z = F.avg_pool2d(xc, **options)
    z.backward(cnnlab.tensor(grad))
    assert_close("avg_pool2d forward (8.16)", z, zt, case["dtype"])
    assert_close("avg_pool2d grad input (8.17)", xc.grad, xt.grad, case["dtype"])


@given(pool_cases(), st.sampled_from(["max", "avg"]))
@settings(max_examples=40)
def test_pool_gradients_match_finite_differences(case, kind):
    assume(not only_padding(case))
    x = np.random.default_rng(case["seed"]).standard_normal(case["shape"])  # no ties: smooth
    options = dict(
        kernel_size=case["kernel"],
        stride=case["stride"],
        padding=case["padding"],
        ceil_mode=case["ceil_mode"],
    )
    if kind == "max":

        def fn(t):
            return F.max_pool2d(t, dilation=case["dilation"], **options)
    else:

        def fn(t):
            return F.avg_pool2d(t, **options)

    assert gradcheck(fn, [cnnlab.tensor(x, requires_grad=True)])


EXERCISE_4 = np.array(
    [
        [
            [1, 3, 2, 1, 0, 9],
            [2, 9, 1, 1, 1, 2],
            [1, 3, 2, 3, 5, 5],
            [5, 6, 1, 2, 2, 7],
            [9, 7, 4, 1, 8, 8],
            [1, 3, 7, 2, 1, 7],
        ],
        [
            [4, 7, 2, 8, 3, 0],
            [2, 0, 1, 4, 1, 0],
            [8, 3, 8, 3, 7, 1],
            [4, 0, 1, 5, 2, 3],
            [8, 6, 4, 1, 5, 7],
            [1, 4, 0, 0, 0, 9],
        ],
    ],
    dtype=np.float64,
)


def test_exercise_4_max_and_average_pooling():
    """Exercise 4: x of shape [2, 6, 6], 2x2 windows, stride 2 -> [2, 3, 3] (worked by hand)."""
    out, _ = pool.max_pool2d(EXERCISE_4[None], 2)
    np.testing.assert_array_equal(
        out[0], [[[9, 2, 9], [6, 3, 7], [9, 7, 8]], [[7, 8, 3], [8, 8, 7], [8, 4, 9]]]
    )
    avg = pool.avg_pool2d(EXERCISE_4[None], 2)
    np.testing.assert_allclose(
        avg[0],
        [
            [[3.75, 1.25, 3.0], [3.75, 2.0, 4.75], [5.0, 3.5, 6.0]],
            [[3.25, 3.75, 1.0], [3.75, 4.25, 3.25], [4.75, 1.25, 5.25]],
        ],
    )


def test_max_pool_backward_routes_gradient_to_the_maximum():
    """Eq. (8.15) on exercise 4: each window's gradient lands on its maximum, the rest get 0."""
    x = cnnlab.tensor(EXERCISE_4[None], requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    grad = x.grad.numpy()[0, 0]
    assert grad.sum() == 9
    assert grad[1, 1] == 1 and grad[0, 0] == 0  # 9 is the maximum of the first window


def test_avg_pool_backward_spreads_evenly():
    """Eq. (8.17): each input of a 3x3 window, stride 3, receives 1/9 of the output gradient."""
    x = cnnlab.tensor(np.zeros((1, 1, 6, 6)), requires_grad=True)
    F.avg_pool2d(x, 3).backward(cnnlab.tensor(np.array([[[[9.0, 18.0], [27.0, 36.0]]]])))
    np.testing.assert_allclose(x.grad.numpy()[0, 0, :3, :3], 1.0)
    np.testing.assert_allclose(x.grad.numpy()[0, 0, 3:, 3:], 4.0)


@pytest.mark.parametrize(
    ("shape", "options", "message"),
    [
        ((1, 1, 4, 4), {"kernel_size": 2, "padding": 2}, "padding should be at most half"),
        ((1, 1, 4, 4), {"kernel_size": 0}, "kernel_size must be >= 1, got 0"),
        ((1, 1, 4, 4), {"kernel_size": 2, "stride": 0}, "stride must be >= 1, got 0"),
        ((1, 1, 1, 1), {"kernel_size": 2}, "kernel size 2"),
        ((4, 4), {"kernel_size": 2}, "input must be 4-D (N, C, H, W), got shape (4, 4)"),
        ((1, 1, 1, 3), {"kernel_size": 2, "padding": 1, "dilation": 2}, "hold only padding"),
    ],
)
def test_bad_pooling_arguments_are_named(shape, options, message):
    with pytest.raises(ValueError) as error:
        pool.max_pool2d(np.zeros(shape), **options)
    assert message in str(error.value)


@given(pool_cases())
@settings(max_examples=200)
def test_compiled_pooling_equals_the_numpy_reference(case):
    """The fast paths (kernels/) compute what the tap-by-tap NumPy references compute."""
    assume(not only_padding(case))
    x = make_input(case)
    options = dict(
        kernel_size=case["kernel"],
        stride=case["stride"],
        padding=case["padding"],
        ceil_mode=case["ceil_mode"],
    )
    out, index = pool.max_pool2d(x, dilation=case["dilation"], **options)
    ref_out, ref_index = pool.max_pool2d_reference(x, dilation=case["dilation"], **options)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(index, ref_index)
    grad = grad_like(case, out.shape)
    assert_close(
        "max_pool2d backward, compiled vs reference",
        pool.max_pool2d_backward(grad, index, x.shape),
        pool.max_pool2d_backward_reference(grad, ref_index, x.shape),
        case["dtype"],
    )
    if case["dilation"] == (1, 1) and max(case["padding"]) <= min(case["kernel"]) // 2:
        assert_close(
            "avg_pool2d, compiled vs reference",
            pool.avg_pool2d(x, **options),
            pool.avg_pool2d_reference(x, **options),
            case["dtype"],
        )
        avg_grad = grad_like(case, pool.avg_pool2d(x, **options).shape)
        assert_close(
            "avg_pool2d backward, compiled vs reference",
            pool.avg_pool2d_backward(avg_grad, x.shape, **options),
            pool.avg_pool2d_backward_reference(avg_grad, x.shape, **options),
            case["dtype"],
        )
