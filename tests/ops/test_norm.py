"""Batch normalization per channel (eq. 8.18) against PyTorch: statistics, running averages,
gradients of input, gamma and beta."""

import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnlab.ops import norm
from reference import DTYPES, assert_close


@st.composite
def bn_cases(draw):
    rank = draw(st.sampled_from([2, 3, 4]))
    shape = [draw(st.integers(2, 5)), draw(st.integers(1, 4))]
    shape += [draw(st.integers(1, 5)) for _ in range(rank - 2)]
    return dict(
        shape=tuple(shape),
        training=draw(st.booleans()),
        affine=draw(st.booleans()),
        momentum=draw(st.sampled_from([0.1, 0.5, 1.0, 0.0])),
        eps=draw(st.sampled_from([1e-5, 1e-3])),
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**16)),
    )


@given(bn_cases())
@settings(max_examples=300)
def test_batch_norm_forward_backward_and_running_stats_match_pytorch(case):
    # With two values per channel the normalized output is +-1 whatever the input, so the input
    # gradient is pure rounding noise in any implementation: nothing to compare.
    assume(np.prod(case["shape"]) // case["shape"][1] > 2)
    rng = np.random.default_rng(case["seed"])
    dtype, c = case["dtype"], case["shape"][1]
    x = (3 * rng.standard_normal(case["shape"]) + 1).astype(dtype)
    mean, var = rng.standard_normal(c).astype(dtype), rng.uniform(0.5, 2, c).astype(dtype)
    gamma = rng.standard_normal(c).astype(dtype) if case["affine"] else None
    beta = rng.standard_normal(c).astype(dtype) if case["affine"] else None
    grad = rng.standard_normal(case["shape"]).astype(dtype)

    xt = torch.tensor(x, requires_grad=True)
    mt, vt = torch.tensor(mean), torch.tensor(var)
    gt = None if gamma is None else torch.tensor(gamma, requires_grad=True)
    bt = None if beta is None else torch.tensor(beta, requires_grad=True)
    yt = TF.batch_norm(xt, mt, vt, gt, bt, case["training"], case["momentum"], case["eps"])
    yt.backward(torch.tensor(grad))

    running_mean, running_var = mean.copy(), var.copy()
    y, saved = norm.batch_norm(
        x, running_mean, running_var, gamma, beta, case["training"], case["momentum"], case["eps"]
    )
    dx, dgamma, dbeta = norm.batch_norm_backward(grad, saved, gamma, case["training"])
    assert_close("batch_norm forward (8.18)", y, yt, dtype)
    assert_close("batch_norm running_mean", running_mean, mt, dtype)
    assert_close("batch_norm running_var (unbiased)", running_var, vt, dtype)
    assert_close("batch_norm grad input", dx, xt.grad, dtype)
    if case["affine"]:
        assert_close("batch_norm grad gamma", dgamma, gt.grad, dtype)
        assert_close("batch_norm grad beta", dbeta, bt.grad, dtype)


def test_each_channel_is_normalized_on_its_own():
    """Eq. (8.18a-c): every channel of the output has mean 0 and variance 1 over (N, H, W)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 4, 5, 5)) * np.array([1, 10, 0.1, 3]).reshape(1, 4, 1, 1) + 7
    y, _ = norm.batch_norm(x, None, None, None, None, True, 0.1, 0.0)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-9)


def test_training_needs_more_than_one_value_per_channel():
    try:
        norm.batch_norm(np.zeros((1, 3)), None, None, None, None, True, 0.1, 1e-5)
    except ValueError as error:
        assert "more than 1 value per channel" in str(error)
        assert "(1, 3)" in str(error)
    else:
        raise AssertionError("a batch of one was accepted in training")


@given(bn_cases())
@settings(max_examples=150)
def test_compiled_training_path_equals_the_numpy_reference(case):
    assume(np.prod(case["shape"]) // case["shape"][1] > 2)
    rng = np.random.default_rng(case["seed"])
    dtype, c = case["dtype"], case["shape"][1]
    x = (2 * rng.standard_normal(case["shape"]) - 1).astype(dtype)
    gamma = rng.standard_normal(c).astype(dtype) if case["affine"] else None
    beta = rng.standard_normal(c).astype(dtype) if case["affine"] else None
    grad = rng.standard_normal(case["shape"]).astype(dtype)
    stats = [np.zeros(c, dtype), np.ones(c, dtype)]
    ref_stats = [np.zeros(c, dtype), np.ones(c, dtype)]
    y, saved = norm.batch_norm(x, *stats, gamma, beta, True, case["momentum"], case["eps"])
    ref_y, ref_saved = norm.batch_norm_reference(
        x, *ref_stats, gamma, beta, True, case["momentum"], case["eps"]
    )
    assert_close("batch_norm, compiled vs reference", y, ref_y, dtype)
    for ours, theirs in zip(stats, ref_stats, strict=True):
        assert_close("batch_norm running stats, compiled vs reference", ours, theirs, dtype)
    grads = norm.batch_norm_backward(grad, saved, gamma, True)
    ref_grads = norm.batch_norm_backward_reference(grad, ref_saved, gamma, True)
    for ours, theirs in zip(grads, ref_grads, strict=True):
        assert_close("batch_norm backward, compiled vs reference", ours, theirs, dtype)
