"""The activations beyond the chapter's, softmax without ``dim`` and ``dropout2d`` against
``torch.nn.functional``: forward and gradient on generated shapes and arguments, and finite
differences."""

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cnnlab
import cnnlab.nn.functional as F
from cnnlab.autograd.gradcheck import gradcheck
from layer_differential import compare
from reference import DTYPES


def activations(draw):
    """A call with generated arguments: (name, fn(F, lib, x))."""
    name = draw(
        st.sampled_from(
            [
                "leaky_relu",
                "relu6",
                "hardtanh",
                "elu",
                "gelu",
                "silu",
                "hardswish",
                "hardsigmoid",
                "softplus",
                "mish",
            ]
        )
    )
    if name == "leaky_relu":
        slope = draw(st.sampled_from([0.01, 0.2, 0.0, 1.5]))
        return f"{name}", lambda F, lib, x: F.leaky_relu(x, slope)
    if name == "hardtanh":
        low = draw(st.sampled_from([-1.0, -2.5, 0.0]))
        high = low + draw(st.sampled_from([0.5, 2.0, 6.0]))
        return name, lambda F, lib, x: F.hardtanh(x, low, high)
    if name == "elu":
        alpha = draw(st.sampled_from([1.0, 0.5, 2.0]))
        return name, lambda F, lib, x: F.elu(x, alpha)
    if name == "gelu":
        approximate = draw(st.sampled_from(["none", "tanh"]))
        return f"gelu {approximate}", lambda F, lib, x: F.gelu(x, approximate=approximate)
    if name == "softplus":
        beta = draw(st.sampled_from([1.0, 2.0, 0.5]))
        threshold = draw(st.sampled_from([20.0, 2.0]))
        return name, lambda F, lib, x: F.softplus(x, beta, threshold)
    return name, lambda F, lib, x: getattr(F, name)(x)


@given(
    st.data(),
    hnp.array_shapes(min_dims=1, max_dims=4, max_side=5),
    st.sampled_from(DTYPES),
    st.integers(0, 2**16),
)
@settings(max_examples=150)
def test_activations_match_torch(data, shape, dtype, seed):
    name, fn = activations(data.draw)
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype) * 4
    compare(name, fn, [x], dtype, seed)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: F.leaky_relu(x, 0.3),
        lambda x: F.elu(x, 0.7),
        lambda x: F.gelu(x),
        lambda x: F.gelu(x, approximate="tanh"),
        F.silu,
        F.hardswish,
        F.hardsigmoid,
        lambda x: F.softplus(x, 2.0, 3.0),
        F.mish,
        lambda x: F.hardtanh(x, -0.5, 1.0),
    ],
)
def test_activation_gradients_match_finite_differences(fn):
    # away from the kinks, where a central difference straddles two slopes
    values = np.linspace(-4.1, 4.3, 24)
    kinks = np.array([-3.0, -0.5, 0.0, 1.0, 1.5, 3.0])
    values = values[np.abs(values[:, None] - kinks).min(axis=1) > 1e-3]
    assert gradcheck(fn, [cnnlab.tensor(values.reshape(2, -1), requires_grad=True)])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 3, 4), (2, 3, 2, 2)])
def test_softmax_without_dim_warns_and_picks_torchs_dim(name, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = getattr(F, name)(cnnlab.tensor(x))
        theirs = getattr(TF, name)(torch.tensor(x))
    assert sum("Implicit dimension choice" in str(w.message) for w in caught) == 2
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape", [(8, 40, 5, 6), (40, 30, 7)])
def test_dropout2d_zeroes_whole_channels_and_scales_the_rest(shape):
    p = 0.3
    cnnlab.manual_seed(0)
    x = cnnlab.tensor(np.random.default_rng(1).uniform(1, 2, shape), requires_grad=True)
    y = F.dropout2d(x, p)
    values = y.detach().numpy()
    channel_kept = (values != 0).reshape(*shape[:2], -1)
    # every channel is all kept or all dropped, as torch's feature dropout
    assert (channel_kept.all(axis=2) | ~channel_kept.any(axis=2)).all()
    n = shape[0] * shape[1]
    kept = channel_kept.all(axis=2).sum()
    assert abs(kept - n * (1 - p)) < 5 * math.sqrt(n * p * (1 - p))
    mask = values != 0
    np.testing.assert_allclose(values[mask], x.detach().numpy()[mask] / (1 - p), rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), mask / (1 - p), rtol=1e-12)
    torch.manual_seed(0)
    torch_mask = TF.dropout2d(torch.ones(*shape[:2], 4, 4), p) != 0
    torch_kept = torch_mask.float().mean().item()
    # both fractions are binomial(n, 1 - p) / n: their difference within 5 standard deviations
    assert abs(kept / n - torch_kept) < 5 * math.sqrt(2 * p * (1 - p) / n)
    np.testing.assert_array_equal(
        F.dropout2d(x, p, training=False).detach().numpy(),
        x.numpy() if not x.requires_grad else x.detach().numpy(),
    )


def test_bad_activation_arguments():
    x = cnnlab.zeros(3)
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'fast'"):
        F.gelu(x, approximate="fast")
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(x, 2.0, 1.0)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.dropout2d(cnnlab.zeros(2, 2, 2, 2), -0.1)
    with pytest.raises(TypeError, match="leaky_relu: input must be a floating point tensor"):
        F.leaky_relu(cnnlab.tensor([1, 2]))


INPLACE = {
    "relu": lambda F, x: F.relu(x, inplace=True),
    "relu6": lambda F, x: F.relu6(x, inplace=True),
    "leaky_relu": lambda F, x: F.leaky_relu(x, 0.2, inplace=True),
    "hardtanh": lambda F, x: F.hardtanh(x, -0.5, 0.5, inplace=True),
    "elu": lambda F, x: F.elu(x, inplace=True),
    "silu": lambda F, x: F.silu(x, inplace=True),
    "hardswish": lambda F, x: F.hardswish(x, inplace=True),
    "selu": lambda F, x: F.selu(x, inplace=True),
    "celu": lambda F, x: F.celu(x, 0.5, inplace=True),
    "threshold": lambda F, x: F.threshold(x, 0.1, -1.0, inplace=True),
    "dropout eval": lambda F, x: F.dropout(x, 0.5, training=False, inplace=True),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_activations_change_their_input_and_backpropagate_as_torch(name):
    x = np.random.default_rng(0).standard_normal((3, 4)) * 2
    results = []
    for lib, functional in ((cnnlab, F), (torch, TF)):
        leaf = lib.tensor(x, requires_grad=True)
        hidden = leaf * 1.5
        out = INPLACE[name](functional, hidden)
        assert out is hidden  # the same tensor, changed
        (out * out).sum().backward()
        results.append((hidden.detach().numpy().copy(), leaf.grad.numpy()))
        if name != "dropout eval":  # in evaluation, dropout hands its input back untouched
            with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
                INPLACE[name](functional, lib.tensor(x, requires_grad=True))
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
