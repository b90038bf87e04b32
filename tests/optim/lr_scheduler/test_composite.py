"""``SequentialLR`` and ``ChainedScheduler`` against PyTorch's: warm-up then decay, schedules
compounding, states (with their members') moved across the libraries, bad arguments."""

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


def warm_up_then_cosine(milestone, warm_up):
    def make(lib, optimizer):
        schedules = lib.optim.lr_scheduler
        return schedules.SequentialLR(
            optimizer,
            [
                schedules.LinearLR(optimizer, start_factor=0.1, total_iters=warm_up),
                schedules.CosineAnnealingLR(optimizer, T_max=15),
            ],
            milestones=[milestone],
        )

    return make


def three_phases(first, second):
    def make(lib, optimizer):
        schedules = lib.optim.lr_scheduler
        return schedules.SequentialLR(
            optimizer,
            [
                schedules.ConstantLR(optimizer, factor=0.5, total_iters=4),
                schedules.ExponentialLR(optimizer, gamma=0.9),
                schedules.StepLR(optimizer, step_size=3, gamma=0.5),
            ],
            milestones=[first, first + second],
        )

    return make


def chained(gamma, factor):
    def make(lib, optimizer):
        schedules = lib.optim.lr_scheduler
        return schedules.ChainedScheduler(
            [
                schedules.ConstantLR(optimizer, factor=factor, total_iters=5),
                schedules.ExponentialLR(optimizer, gamma=gamma),
            ]
        )

    return make


@given(st.integers(1, 12), st.integers(1, 8), st.integers(1, 2), st.sampled_from(["SGD", "Adam"]))
@settings(max_examples=25)
def test_sequential_warm_up_then_cosine_matches_torch(milestone, warm_up, groups, kind):
    make = warm_up_then_cosine(milestone, warm_up)
    assert_same_schedule("SequentialLR", make, kind=kind, groups=groups, steps=30)


@given(st.integers(1, 10), st.integers(1, 10))
@settings(max_examples=20)
def test_sequential_of_three_matches_torch(first, second):
    assert_same_schedule("SequentialLR of three", three_phases(first, second), steps=30)


@given(st.sampled_from([0.9, 0.5]), st.sampled_from([0.1, 0.5]), st.integers(1, 2))
@settings(max_examples=10)
def test_chained_matches_torch(gamma, factor, groups):
    assert_same_schedule("ChainedScheduler", chained(gamma, factor), groups=groups, steps=20)


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("SequentialLR", warm_up_then_cosine(5, 5)),
        ("SequentialLR of three", three_phases(3, 4)),
        ("ChainedScheduler", chained(0.9, 0.5)),
    ],
)
def test_state_moves_both_ways(name, make):
    assert_state_moves_both_ways(name, make)


def test_bad_arguments_raise():
    schedules = cnnlab.optim.lr_scheduler
    optimizer, other = scheduled_optimizer(cnnlab, "SGD"), scheduled_optimizer(cnnlab, "SGD")
    step = schedules.StepLR(optimizer, 2)
    with pytest.raises(ValueError, match="one milestone fewer than schedulers"):
        schedules.SequentialLR(optimizer, [step], milestones=[3])
    with pytest.raises(ValueError, match="at least one scheduler"):
        schedules.ChainedScheduler([], optimizer)
    with pytest.raises(ValueError, match="belong to the same optimizer"):
        schedules.SequentialLR(other, [step, schedules.StepLR(other, 2)], milestones=[3])
    plateau = schedules.ReduceLROnPlateau(optimizer)
    with pytest.raises(ValueError, match="does not support ReduceLROnPlateau"):
        schedules.ChainedScheduler([step, plateau])
    for lib in (cnnlab, torch):
        with pytest.raises(ValueError):
            lib.optim.lr_scheduler.ChainedScheduler([])
