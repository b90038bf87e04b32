"""``nn.init`` against ``torch.nn.init``: fans and gains computed exactly as torch's, and each
distribution checked by a Kolmogorov-Smirnov test that passes for torch's own samples and has
the power to reject a wrong scale."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

import cnnlab
from cnnlab.nn import init

SHAPES = [(30, 7), (16, 3, 5, 5), (4, 600, 3), (8, 2, 1, 7, 2), (1, 1)]


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_are_torchs(shape):
    assert init._calculate_fan_in_and_fan_out(cnnlab.zeros(*shape)) == (
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
    )


def test_fans_of_a_vector_are_an_error_as_in_torch():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(cnnlab.zeros(3))


@pytest.mark.parametrize(
    ("nonlinearity", "param"),
    [
        ("linear", None),
        ("conv_transpose2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 0),
        ("selu", None),
    ],
)
def test_gains_are_torchs(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(
        nonlinearity, param
    )


def sample_law(name, shape, kwargs):
    """(law, distribution) for an init call: scipy's law of the values it should draw."""
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
    gain = kwargs.get("gain", 1.0)
    if name == "uniform_":
        a, b = kwargs.get("a", 0.0), kwargs.get("b", 1.0)
        return stats.uniform(a, b - a)
    if name == "normal_":
        return stats.norm(kwargs.get("mean", 0.0), kwargs.get("std", 1.0))
    if name == "xavier_uniform_":
        bound = gain * math.sqrt(6 / (fan_in + fan_out))
        return stats.uniform(-bound, 2 * bound)
    if name == "xavier_normal_":
        return stats.norm(0, gain * math.sqrt(2 / (fan_in + fan_out)))
    fan = fan_in if kwargs.get("mode", "fan_in") == "fan_in" else fan_out
    std = torch.nn.init.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"), kwargs.get("a", 0))
    std /= math.sqrt(fan)
    if name == "kaiming_uniform_":
        return stats.uniform(-math.sqrt(3) * std, 2 * math.sqrt(3) * std)
    if name == "kaiming_normal_":
        return stats.norm(0, std)
    mean, sd, a, b = (kwargs.get(k, d) for k, d in (("mean", 0), ("std", 1), ("a", -2), ("b", 2)))
    return stats.truncnorm((a - mean) / sd, (b - mean) / sd, loc=mean, scale=sd)


CALLS = [
    ("uniform_", (200, 100), {"a": -0.5, "b": 2.0}),
    ("normal_", (200, 100), {"mean": 1.0, "std": 0.3}),
    ("xavier_uniform_", (100, 80, 3, 3), {"gain": 2.0}),
    ("xavier_normal_", (100, 80, 3, 3), {}),
    ("kaiming_uniform_", (300, 64, 3, 3), {"a": math.sqrt(5)}),
    ("kaiming_uniform_", (300, 64, 3, 3), {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", (300, 64, 3, 3), {"nonlinearity": "relu"}),
    ("kaiming_normal_", (64, 300), {"a": 0.2, "mode": "fan_out"}),
    ("trunc_normal_", (200, 100), {}),
    ("trunc_normal_", (200, 100), {"mean": 0.5, "std": 2.0, "a": -1.0, "b": 1.5}),
]


@pytest.mark.parametrize(("name", "shape", "kwargs"), CALLS, ids=lambda v: str(v)[:30])
def test_init_draws_from_torchs_distribution(name, shape, kwargs):
    law = sample_law(name, shape, kwargs)
    cnnlab.manual_seed(0)
    ours = getattr(init, name)(cnnlab.zeros(*shape), **kwargs).numpy().ravel()[:20000]
    torch.manual_seed(0)
    theirs = getattr(torch.nn.init, name)(torch.zeros(*shape), **kwargs).numpy().ravel()[:20000]
    assert stats.kstest(theirs.astype(np.float64), law.cdf).pvalue > 1e-4  # the law is torch's
    assert stats.kstest(ours.astype(np.float64), law.cdf).pvalue > 1e-4
    # power: the same test rejects a scale off by 20%
    scaled = (ours.astype(np.float64) - law.mean()) * 1.2 + law.mean()
    assert stats.kstest(scaled, law.cdf).pvalue < 1e-6
    if name == "trunc_normal_":
        a, b = kwargs.get("a", -2.0), kwargs.get("b", 2.0)
        assert ours.min() >= a and ours.max() <= b


def test_constant_fills_and_generators():
    t = cnnlab.zeros(3, 4)
    assert init.ones_(t).numpy().tolist() == [[1.0] * 4] * 3
    assert init.zeros_(t).numpy().sum() == 0
    assert (init.constant_(t, 0.25).numpy() == 0.25).all()
    assert (init.eye_(t).numpy() == np.eye(3, 4)).all()
    q = init.orthogonal_(cnnlab.zeros(6, 4), gain=2.0).numpy()
    np.testing.assert_allclose(q.T @ q, 4 * np.eye(4), atol=1e-5)
    first = init.normal_(cnnlab.zeros(5), generator=np.random.default_rng(3)).numpy().copy()
    again = init.normal_(cnnlab.zeros(5), generator=np.random.default_rng(3)).numpy()
    np.testing.assert_array_equal(first, again)
    with pytest.raises(ValueError, match=r"mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_uniform_(cnnlab.zeros(2, 2), mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        init.kaiming_uniform_(cnnlab.zeros(0, 3))
