"""``OneCycleLR`` against PyTorch's: rates and momenta (or Adam's beta1) at every step, two and
three phases, per-group maxima, states moved across the libraries, a worked example and bad
arguments."""

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
    run_schedule,
    scheduled_optimizer,
)

ONE_CYCLE = st.fixed_dictionaries(
    {
        "max_lr": st.sampled_from([0.5, 0.01]),
        "total_steps": st.integers(2, 120),
        "pct_start": st.sampled_from([0.0, 0.25, 0.3, 0.5, 0.9, 1.0]),
        "anneal_strategy": st.sampled_from(["cos", "linear"]),
        "cycle_momentum": st.booleans(),
        "base_momentum": st.sampled_from([0.85, 0.5]),
        "max_momentum": st.sampled_from([0.95, 0.99]),
        "div_factor": st.sampled_from([25.0, 10.0]),
        "final_div_factor": st.sampled_from([1e4, 100.0]),
        "three_phase": st.booleans(),
    }
)


def maker(kwargs):
    return lambda lib, optimizer: lib.optim.lr_scheduler.OneCycleLR(optimizer, **kwargs)


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@given(ONE_CYCLE, st.integers(1, 2))
@settings(max_examples=40)
def test_one_cycle_gives_torchs_rates_and_momenta(kind, kwargs, groups):
    steps = kwargs["total_steps"] - 1  # the scheduler may not step past total_steps
    try:
        run_schedule(torch, maker(kwargs), kind, steps=steps, groups=groups)
    except ZeroDivisionError:  # a phase of no steps (e.g. pct_start * total_steps = 1): both fail
        with pytest.raises(ZeroDivisionError):
            run_schedule(cnnlab, maker(kwargs), kind, steps=steps, groups=groups)
        return
    assert_same_schedule("OneCycleLR", maker(kwargs), kind=kind, steps=steps, groups=groups)


def test_one_cycle_from_epochs_and_steps_per_epoch_and_per_group_max_lr():
    kwargs = dict(max_lr=[0.3, 0.6], epochs=3, steps_per_epoch=7)
    assert_same_schedule("OneCycleLR per group", maker(kwargs), steps=20, groups=2)


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_state_moves_both_ways(kind):
    assert_state_moves_both_ways("OneCycleLR", maker(dict(max_lr=0.4, total_steps=30)), kind)


def test_one_cycle_worked_example():
    """Linear 1cycle over 10 steps: from max_lr / 25 up to max_lr at step 4 (pct_start * 10 - 1),
    then down to (max_lr / 25) / 1e4 at step 9; momentum from 0.95 down to 0.85 and back."""
    optimizer = scheduled_optimizer(cnnlab, "SGD")
    schedule = cnnlab.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=1.0, total_steps=10, pct_start=0.5, anneal_strategy="linear"
    )
    rates, momenta = [optimizer.param_groups[0]["lr"]], [optimizer.param_groups[0]["momentum"]]
    for _ in range(9):
        optimizer.step()
        schedule.step()
        rates.append(optimizer.param_groups[0]["lr"])
        momenta.append(optimizer.param_groups[0]["momentum"])
    np.testing.assert_allclose(rates[:5], [0.04, 0.28, 0.52, 0.76, 1.0])
    np.testing.assert_allclose(rates[4:], np.linspace(1.0, 4e-6, 6))
    np.testing.assert_allclose(momenta[:5], [0.95, 0.925, 0.9, 0.875, 0.85])
    np.testing.assert_allclose(momenta[9], 0.95)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda L, o: L.OneCycleLR(o, max_lr=1.0), "give total_steps, or epochs and steps_per"),
        (lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=0), "total_steps=0"),
        (
            lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5),
            "pct_start=1.5",
        ),
        (
            lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="step"),
            "anneal_strategy must be 'cos' or 'linear', got 'step'",
        ),
        (
            lambda L, o: L.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=10),
            "max_lr has 2 values, param_groups has 1",
        ),
    ],
)
def test_bad_arguments_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make(cnnlab.optim.lr_scheduler, scheduled_optimizer(cnnlab, "SGD"))


def test_one_cycle_refuses_to_step_past_total_steps_as_torch():
    for lib in (cnnlab, torch):
        optimizer = scheduled_optimizer(lib, "SGD")
        schedule = lib.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(3):
                schedule.step()
            with pytest.raises(ValueError, match=r"(?i)total.steps"):
                schedule.step()
