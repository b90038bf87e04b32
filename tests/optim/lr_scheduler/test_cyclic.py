"""``CosineAnnealingLR``, ``CosineAnnealingWarmRestarts`` and ``CyclicLR`` against PyTorch's:
the same rates (and cycled momenta) at every step, fractional epochs, states moved across the
libraries, worked examples and bad arguments."""

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from optimizer_reference import (
    assert_same_schedule,
    assert_state_moves_both_ways,
    scheduled_optimizer,
)

SCHEDULES = {
    "CosineAnnealingLR": st.fixed_dictionaries(
        {"T_max": st.integers(1, 25), "eta_min": st.sampled_from([0.0, 1e-4, 0.05])}
    ),
    "CosineAnnealingWarmRestarts": st.fixed_dictionaries(
        {
            "T_0": st.integers(1, 10),
            "T_mult": st.integers(1, 3),
            "eta_min": st.sampled_from([0.0, 1e-3]),
        }
    ),
    "CyclicLR": st.fixed_dictionaries(
        {
            "base_lr": st.sampled_from([1e-3, 0.01]),
            "max_lr": st.sampled_from([0.1, 0.05]),
            "step_size_up": st.integers(1, 8),
            "step_size_down": st.none() | st.integers(1, 8),
            "mode": st.sampled_from(["triangular", "triangular2", "exp_range"]),
            "gamma": st.sampled_from([1.0, 0.9]),
            "cycle_momentum": st.booleans(),
            "base_momentum": st.sampled_from([0.8, 0.5]),
            "max_momentum": st.sampled_from([0.9, 0.95]),
        }
    ),
}


def maker(name, kwargs):
    return lambda lib, optimizer: getattr(lib.optim.lr_scheduler, name)(optimizer, **kwargs)


@pytest.mark.parametrize("name", list(SCHEDULES))
@given(data=st.data())
@settings(max_examples=20)
def test_rates_match_torch(name, data):
    kwargs = data.draw(SCHEDULES[name], label="kwargs")
    edit_at = None if name == "CyclicLR" else data.draw(st.none() | st.integers(0, 39))
    assert_same_schedule(
        name,
        maker(name, kwargs),
        kind=data.draw(st.sampled_from(["SGD", "Adam"]), label="optimizer"),
        groups=data.draw(st.integers(1, 2), label="groups"),
        edit_at=edit_at,
        steps=40,
    )


def test_cyclic_scale_fn_and_per_group_bounds_match_torch():
    def make(lib, optimizer):
        return lib.optim.lr_scheduler.CyclicLR(
            optimizer,
            base_lr=[0.01, 0.02],
            max_lr=[0.1, 0.3],
            step_size_up=3,
            scale_fn=lambda x: 1 / (1 + x),
            scale_mode="iterations",
        )

    assert_same_schedule("CyclicLR scale_fn", make, groups=2, steps=25)


@given(st.lists(st.floats(0, 40, allow_nan=False), min_size=1, max_size=8), st.integers(1, 3))
@settings(max_examples=30)
def test_warm_restarts_at_fractional_epochs_match_torch(epochs, T_mult):
    rates = []
    for lib in (cnnlab, torch):
        optimizer = scheduled_optimizer(lib, "SGD")
        schedule = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, 4, T_mult)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for epoch in epochs:
                schedule.step(epoch)
        rates.append((optimizer.param_groups[0]["lr"], schedule.T_i, schedule.last_epoch))
    np.testing.assert_allclose(rates[0], rates[1], rtol=1e-12)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("CosineAnnealingLR", dict(T_max=6, eta_min=0.001)),
        ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2)),
        ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="triangular2")),
    ],
)
def test_state_moves_both_ways(name, kwargs):
    assert_state_moves_both_ways(name, maker(name, kwargs))


def test_warm_restarts_worked_example():
    """T_0 = 2, T_mult = 2 from lr 0.1: 0.1, 0.05, then a restart and a period of 4."""
    optimizer = scheduled_optimizer(cnnlab, "SGD")
    schedule = cnnlab.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, 2, 2)
    rates = [schedule.get_last_lr()[0]]
    for _ in range(6):
        optimizer.step()
        schedule.step()
        rates.append(schedule.get_last_lr()[0])
    quarter = 0.05 * (1 + math.cos(math.pi / 4))
    np.testing.assert_allclose(rates, [0.1, 0.05, 0.1, quarter, 0.05, 0.1 - quarter, 0.1])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda L, o: L.CosineAnnealingLR(o, T_max=0), "T_max must be >= 1, got 0"),
        (lambda L, o: L.CosineAnnealingWarmRestarts(o, 0), "T_0 must be a positive int"),
        (lambda L, o: L.CosineAnnealingWarmRestarts(o, 2, 0), "T_mult must be an int >= 1"),
        (lambda L, o: L.CyclicLR(o, 0.1, 1.0, mode="up"), "mode 'up' is not one of"),
        (lambda L, o: L.CyclicLR(o, [0.1, 0.2], 1.0), "base_lr must have the same length"),
    ],
)
def test_bad_arguments_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make(cnnlab.optim.lr_scheduler, scheduled_optimizer(cnnlab, "SGD"))
