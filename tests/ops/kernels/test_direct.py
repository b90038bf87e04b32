"""The direct stride-1 convolution (forward, weight and input gradients) against PyTorch, on one
thread and split among two, and the training route that picks it."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from cnnlab.nn import functional as F
from cnnlab.ops import conv, threads
from cnnlab.ops.kernels import direct
from reference import DTYPES, assert_close, assert_close_conditioned


@st.composite
def direct_cases(draw):
    """Stride-1 convolutions with at most DIRECT_MAX_FILTERS filters, any padding."""
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    top, bottom, left, right = (draw(st.integers(0, 2)) for _ in range(4))
    return dict(
        n=draw(st.integers(1, 5)),
        c=draw(st.integers(1, 3)),
        k=draw(st.integers(1, conv.DIRECT_MAX_FILTERS)),
        h=max(1, kh - top - bottom + draw(st.integers(0, 9))),
        w=max(1, kw - left - right + draw(st.integers(0, 9))),
        kernel=(kh, kw),
        padding=((top, bottom), (left, right)),
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**16)),
    )


def check_against_pytorch(case):
    rng = np.random.default_rng(case["seed"])
    dtype = case["dtype"]
    x = rng.standard_normal((case["n"], case["c"], case["h"], case["w"])).astype(dtype)
    w = rng.standard_normal((case["k"], case["c"], *case["kernel"])).astype(dtype)
    b = rng.standard_normal(case["k"]).astype(dtype)
    (top, bottom), (left, right) = case["padding"]
    xt = torch.tensor(x, requires_grad=True)
    wt, bt = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    zt = TF.conv2d(TF.pad(xt, (left, right, top, bottom)), wt, bt)
    grad_z = rng.standard_normal(zt.shape).astype(dtype)
    zt.backward(torch.tensor(grad_z))
    exact_w = torch.tensor(x, dtype=torch.float64)  # float64 gradients, for the sums
    exact_w = torch.nn.grad.conv2d_weight(
        TF.pad(exact_w, (left, right, top, bottom)),
        w.shape,
        torch.tensor(grad_z, dtype=torch.float64),
    )
    exact_b = torch.tensor(grad_z, dtype=torch.float64).sum(dim=(0, 2, 3))

    geom = conv.conv_geometry(x.shape, w.shape, 1, case["padding"])
    z, saved = conv.conv2d_train_forward(x, w, b, geom)
    assert isinstance(saved, conv.DirectInput)
    grad_x, grad_w, grad_b = conv.conv2d_train_backward(grad_z, saved, w, geom)
    for name, ours, theirs in [
        ("direct conv forward", z, zt),
        ("direct conv input grad", grad_x, xt.grad),
    ]:
        assert ours.dtype == dtype
        assert_close(name, ours, theirs.detach().numpy(), dtype)
    # Sums over the batch that may cancel: within 1e-5 of PyTorch unless PyTorch's float32 sum
    # is itself off its float64 one.
    for name, ours, theirs, exact in [
        ("direct conv weight grad", grad_w, wt.grad, exact_w),
        ("direct conv bias grad", grad_b, bt.grad, exact_b),
    ]:
        assert ours.dtype == dtype
        assert_close_conditioned(name, ours, theirs.numpy(), exact.numpy(), dtype)


@given(direct_cases())
@settings(max_examples=150, deadline=None)
def test_direct_convolution_and_its_gradients_match_pytorch(case):
    check_against_pytorch(case)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(64, 1, 28, 28, 2), (48, 3, 32, 32, 0)])
def test_split_among_two_threads_it_still_matches_pytorch(shape, dtype):
    n, c, h, w, p = shape
    previous = threads.get_num_threads()
    threads.set_num_threads(2)
    try:
        case = dict(n=n, c=c, k=6, h=h, w=w, kernel=(5, 5), padding=((p, p), (p, p)))
        check_against_pytorch(dict(case, dtype=dtype, seed=n))
    finally:
        threads.set_num_threads(previous)


def test_the_training_route_picks_direct_loops_only_for_few_filters_at_stride_1():
    x, w = np.ones((2, 3, 8, 8), np.float32), np.ones((6, 3, 3, 3), np.float32)
    assert isinstance(
        conv.conv2d_train_forward(x, w, None, conv.conv_geometry(x.shape, w.shape))[1],
        conv.DirectInput,
    )
    strided = conv.conv_geometry(x.shape, w.shape, stride=2)
    assert isinstance(conv.conv2d_train_forward(x, w, None, strided)[1], np.ndarray)
    many = np.ones((conv.DIRECT_MAX_FILTERS + 1, 3, 3, 3), np.float32)
    assert isinstance(
        conv.conv2d_train_forward(x, many, None, conv.conv_geometry(x.shape, many.shape))[1],
        np.ndarray,
    )


def test_a_layer_backpropagates_through_the_direct_loops_as_pytorch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 12, 12)).astype(np.float32)
    w = rng.standard_normal((6, 3, 5, 5)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    ours = [cnnlab.tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    (F.conv2d(*ours, padding=2) ** 2).sum().backward()
    (TF.conv2d(*theirs, padding=2) ** 2).sum().backward()
    for name, a, t in zip(("input", "weight", "bias"), ours, theirs, strict=True):
        assert_close(f"direct conv layer {name} grad", a.grad.numpy(), t.grad.numpy(), np.float32)


def test_the_grouping_leaves_no_trace_between_images():
    # GROUP_POSITIONS small: one image per group; large: all images in one group.
    rng = np.random.default_rng(5)
    x = rng.standard_normal((7, 2, 6, 9))
    w = rng.standard_normal((3, 2, 3, 4))
    geom = conv.conv_geometry(x.shape, w.shape, 1, 1)
    results = []
    for positions in (1, 10**6):
        previous, direct.GROUP_POSITIONS = direct.GROUP_POSITIONS, positions
        try:
            z, saved = conv.conv2d_train_forward(x, w, None, geom)
            results.append((z, *conv.conv2d_train_backward(np.cos(z), saved, w, geom)))
        finally:
            direct.GROUP_POSITIONS = previous
    expected = conv.conv2d_loop(x, w, padding=1)
    for one, all_ in zip(*results, strict=True):
        np.testing.assert_allclose(one, all_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(results[0][0], expected, rtol=1e-12, atol=1e-12)
