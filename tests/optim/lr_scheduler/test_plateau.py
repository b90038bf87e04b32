"""``ReduceLROnPlateau`` against PyTorch's: every mode and threshold mode, patience, cooldown,
``min_lr`` (one or per group) and ``eps``, on generated metric sequences with plateaus; states
moved across the libraries; a worked example; bad arguments."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from optimizer_reference import (
    assert_same_schedule,
    assert_state_moves_both_ways,
    scheduled_optimizer,
)

OPTIONS = st.fixed_dictionaries(
    {
        "mode": st.sampled_from(["min", "max"]),
        "factor": st.sampled_from([0.1, 0.5, 0.9]),
        "patience": st.integers(0, 4),
        "threshold": st.sampled_from([1e-4, 0.05, 0.0]),
        "threshold_mode": st.sampled_from(["rel", "abs"]),
        "cooldown": st.integers(0, 3),
        "min_lr": st.sampled_from([0.0, 1e-3, [1e-3, 0.05]]),
        "eps": st.sampled_from([1e-8, 1e-3]),
    }
)
# few distinct values, so that plateaus and exact ties happen
METRICS = st.lists(
    st.sampled_from([1.0, 0.99, 0.9, 0.5, 0.4999, 2.0, -1.0]), min_size=40, max_size=40
)


def maker(kwargs):
    return lambda lib, optimizer: lib.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **kwargs)


@given(OPTIONS, METRICS, st.sampled_from(["SGD", "Adam"]))
@settings(max_examples=80)
def test_rates_match_torch(kwargs, metrics, kind):
    groups = 2 if isinstance(kwargs["min_lr"], list) else 1
    assert_same_schedule(
        "ReduceLROnPlateau", maker(kwargs), kind=kind, groups=groups, metrics=metrics, steps=40
    )


def test_metrics_may_be_zero_dimensional_tensors():
    metrics = [cnnlab.tensor(v) for v in (1.0, 1.0, 1.0, 1.0)]
    optimizer = scheduled_optimizer(cnnlab, "SGD")
    schedule = cnnlab.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=1)
    for value in metrics:
        schedule.step(value)
    assert schedule.get_last_lr() == [pytest.approx(0.01)]


def test_state_moves_both_ways():
    metrics = [1.0, 0.9, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8, 0.8, 0.8] * 2
    assert_state_moves_both_ways(
        "ReduceLROnPlateau", maker(dict(patience=1, cooldown=1)), metrics=metrics
    )


def test_worked_example_patience_and_cooldown():
    """patience 2, cooldown 1, factor 0.5, a constant metric: the third epoch without
    improvement (the 4th step) halves the rate; the cooldown epoch after it does not count, so
    the next cut comes three epochs after that (the 8th step)."""
    optimizer = scheduled_optimizer(cnnlab, "SGD")
    schedule = cnnlab.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, factor=0.5, patience=2, cooldown=1
    )
    rates = []
    for _ in range(8):
        schedule.step(1.0)
        rates.append(schedule.get_last_lr()[0])
    assert rates == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(factor=1.0), "factor must be < 1.0, got 1.0"),
        (dict(mode="median"), "mode must be 'min' or 'max', got 'median'"),
        (dict(threshold_mode="pct"), "threshold_mode must be 'rel' or 'abs', got 'pct'"),
        (dict(min_lr=[0.1, 0.2]), "expected 1 min_lrs, got 2"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cnnlab.optim.lr_scheduler.ReduceLROnPlateau(scheduled_optimizer(cnnlab, "SGD"), **kwargs)
