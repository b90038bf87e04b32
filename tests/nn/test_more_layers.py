"""The less common layers programs still use (PReLU, SELU, CELU, LogSigmoid, Softsign,
Tanhshrink, Threshold, Softmin, InstanceNorm2d, LocalResponseNorm, PixelShuffle,
PixelUnshuffle, ChannelShuffle) against ``torch.nn``: forward and every gradient, finite
differences for the learned slope of PReLU."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
import cnnlab.nn.functional as F
from cnnlab.autograd.gradcheck import gradcheck
from layer_differential import compare, compare_layer
from reference import DTYPES

LAYERS = {
    "PReLU": (lambda nn: nn.PReLU(), (2, 3, 4)),
    "PReLU per channel": (lambda nn: nn.PReLU(3, 0.1), (2, 3, 2, 2)),
    "SELU": (lambda nn: nn.SELU(), (2, 5)),
    "CELU": (lambda nn: nn.CELU(0.7), (2, 5)),
    "LogSigmoid": (lambda nn: nn.LogSigmoid(), (2, 5)),
    "Softsign": (lambda nn: nn.Softsign(), (2, 5)),
    "Tanhshrink": (lambda nn: nn.Tanhshrink(), (2, 5)),
    "Threshold": (lambda nn: nn.Threshold(0.3, -2.0), (2, 5)),
    "Softmin": (lambda nn: nn.Softmin(dim=1), (2, 5)),
    "InstanceNorm2d": (lambda nn: nn.InstanceNorm2d(3), (2, 3, 3, 4)),
    "InstanceNorm2d affine": (
        lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
        (2, 3, 3, 4),
    ),
    "LocalResponseNorm": (lambda nn: nn.LocalResponseNorm(3, alpha=0.1, k=2.0), (2, 5, 3, 2)),
    "LocalResponseNorm 3-D": (lambda nn: nn.LocalResponseNorm(2), (2, 4, 5)),
    "PixelShuffle": (lambda nn: nn.PixelShuffle(2), (2, 8, 3, 2)),
    "PixelUnshuffle": (lambda nn: nn.PixelUnshuffle(2), (2, 2, 4, 6)),
    "ChannelShuffle": (lambda nn: nn.ChannelShuffle(3), (2, 6, 2, 2)),
}


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("training", [True, False])
def test_more_layers_match_torch(name, dtype, training):
    make, shape = LAYERS[name]
    ours, theirs = (
        make(cnnlab.nn).to(dtype),
        make(torch.nn).to(getattr(torch, np.dtype(dtype).name)),
    )
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    rng = np.random.default_rng(len(name))
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.tensor(rng.uniform(0.2, 1.5, p.shape)))
        for b in theirs.buffers():
            if b.dtype.is_floating_point:
                b.copy_(torch.tensor(rng.uniform(0.5, 1.5, b.shape)))
    ours.load_state_dict(theirs.state_dict())
    ours.train(training)
    theirs.train(training)
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    compare_layer(name, ours, theirs, x)
    for key, value in theirs.state_dict().items():  # running statistics updated as torch's
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-5)


@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=4),
    st.booleans(),
    st.sampled_from(DTYPES),
    st.integers(0, 2**16),
)
@settings(max_examples=60)
def test_prelu_matches_torch_for_any_shape(shape, per_channel, dtype, seed):
    rng = np.random.default_rng(seed)
    channels = shape[1] if len(shape) > 1 else 1  # torch counts one channel in a 1-D input
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    w = rng.uniform(-0.5, 0.5, channels if per_channel else 1).astype(dtype)
    compare("prelu", lambda F, lib, x, w: F.prelu(x, w), [x, w], dtype, seed)


def test_prelu_and_local_response_norm_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    x = cnnlab.tensor(rng.standard_normal((2, 3, 2, 2)), requires_grad=True)
    w = cnnlab.tensor(rng.uniform(0.1, 0.5, 3), requires_grad=True)
    assert gradcheck(F.prelu, [x, w])
    assert gradcheck(lambda t: F.local_response_norm(t, 2, alpha=0.5), [x])
    assert gradcheck(lambda t: F.instance_norm(t), [x])
    assert gradcheck(lambda t: F.pixel_shuffle(F.channel_shuffle(t, 3), 1), [x])
