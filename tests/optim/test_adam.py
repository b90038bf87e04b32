"""``optim.Adam`` against ``torch.optim.Adam``: betas, eps, weight decay, AMSGrad, maximize;
many steps, state_dict round trips, bad arguments."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from reference import assert_close

SHAPES = [(3, 4), (5,), (2, 1, 3)]


def parameter_pairs(seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    return (
        [cnnlab.nn.Parameter(cnnlab.tensor(v)) for v in values],
        [torch.nn.Parameter(torch.tensor(v)) for v in values],
    )


def gradient_sequence(seed, steps, dtype=np.float64, holes=False):
    rng = np.random.default_rng([seed, 11])
    # gradients of very different sizes, so the second moment matters
    return [
        [
            None
            if holes and rng.random() < 0.2
            else (rng.standard_normal(s) * 10.0 ** rng.integers(-3, 2)).astype(dtype)
            for s in SHAPES
        ]
        for _ in range(steps)
    ]


def feed(ours, theirs, optimizers, gradients):
    for grads in gradients:
        for p, q, g in zip(ours, theirs, grads, strict=True):
            p.grad = None if g is None else cnnlab.tensor(g)
            q.grad = None if g is None else torch.tensor(g)
        for optimizer in optimizers:
            optimizer.step()


def assert_same_parameters(name, ours, theirs, dtype=np.float64):
    for p, q in zip(ours, theirs, strict=True):
        assert_close(name, p, q, dtype)


adam_options = st.fixed_dictionaries(
    {
        "lr": st.sampled_from([1e-3, 0.01, 0.1]),
        "betas": st.sampled_from([(0.9, 0.999), (0.8, 0.99), (0.0, 0.5), (0.95, 0.9)]),
        "eps": st.sampled_from([1e-8, 1e-6, 0.1]),
        "weight_decay": st.sampled_from([0.0, 1e-2, 0.5]),
        "amsgrad": st.booleans(),
        "maximize": st.booleans(),
    }
)


@given(adam_options, st.integers(0, 2**16), st.booleans())
@settings(max_examples=100)
def test_adam_matches_torch_after_many_steps(options, seed, holes):
    ours, theirs = parameter_pairs(seed)
    optimizers = [cnnlab.optim.Adam(ours, **options), torch.optim.Adam(theirs, **options)]
    feed(ours, theirs, optimizers, gradient_sequence(seed, 40, holes=holes))
    assert_same_parameters("Adam after 40 steps", ours, theirs)


@given(adam_options, st.integers(0, 2**16))
@settings(max_examples=30)
def test_adam_in_float32_matches_torch(options, seed):
    ours, theirs = parameter_pairs(seed, np.float32)
    optimizers = [cnnlab.optim.Adam(ours, **options), torch.optim.Adam(theirs, **options)]
    feed(ours, theirs, optimizers, gradient_sequence(seed, 20, np.float32))
    assert_same_parameters("Adam after 20 steps", ours, theirs, np.float32)


def test_first_adam_step_moves_each_parameter_by_lr_against_the_gradient_sign():
    """Worked example: after one step m / sqrt(v) = g / |g| (bias corrected), so p moves by lr."""
    p = cnnlab.nn.Parameter(cnnlab.tensor([1.0, -2.0, 3.0], dtype=cnnlab.float64))
    p.grad = cnnlab.tensor([0.5, -40.0, 1e-3], dtype=cnnlab.float64)
    cnnlab.optim.Adam([p], lr=0.1, eps=0.0).step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, -1.9, 2.9], rtol=1e-12)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_state_dict_round_trip_continues_identically(amsgrad):
    ours, theirs = parameter_pairs(2)
    options = dict(lr=0.05, betas=(0.8, 0.95), weight_decay=0.01, amsgrad=amsgrad)
    first, reference = cnnlab.optim.Adam(ours, **options), torch.optim.Adam(theirs, **options)
    gradients = gradient_sequence(2, 30)
    feed(ours, theirs, [first, reference], gradients[:12])
    saved = first.state_dict()
    expected_keys = {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if amsgrad else set())
    assert set(saved["state"][0]) == expected_keys == set(reference.state_dict()["state"][0])
    assert float(saved["state"][0]["step"]) == 12
    resumed = cnnlab.optim.Adam(ours)
    resumed.load_state_dict(saved)
    assert (
        resumed.param_groups[0]["betas"] == (0.8, 0.95)
        and resumed.param_groups[0]["amsgrad"] == amsgrad
    )
    feed(ours, theirs, [resumed, reference], gradients[12:])
    assert_same_parameters("Adam resumed from a state_dict", ours, theirs)


def test_state_loaded_from_torch_continues_identically():
    """A torch Adam's state_dict (tensors, 'step' as a tensor) loads into cnnlab's Adam."""
    ours, theirs = parameter_pairs(5)
    reference = torch.optim.Adam(theirs, lr=0.02)
    gradients = gradient_sequence(5, 20)
    feed([p for p in ours], theirs, [reference], gradients[:10])
    for p, q in zip(ours, theirs, strict=True):
        p.data = cnnlab.tensor(q.detach().numpy().copy())
    resumed = cnnlab.optim.Adam(ours, lr=0.02)
    resumed.load_state_dict(reference.state_dict())
    feed(ours, theirs, [resumed, reference], gradients[10:])
    assert_same_parameters("Adam resumed from torch's state", ours, theirs)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(lr=-1e-3), "lr, eps and weight_decay must be >= 0"),
        (dict(eps=-1.0), "lr, eps and weight_decay must be >= 0"),
        (dict(weight_decay=-0.1), "lr, eps and weight_decay must be >= 0"),
        (dict(betas=(1.0, 0.999)), r"betas must be in \[0, 1\)"),
        (dict(betas=(0.9, -0.1)), r"betas must be in \[0, 1\)"),
    ],
)
def test_bad_arguments_raise(options, message):
    ours, theirs = parameter_pairs(0)
    with pytest.raises(ValueError):
        torch.optim.Adam(theirs, **options)
    with pytest.raises(ValueError, match=message):
        cnnlab.optim.Adam(ours, **options)
