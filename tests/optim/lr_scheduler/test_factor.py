"""``LambdaLR``, ``MultiplicativeLR``, ``StepLR``, ``MultiStepLR``, ``ConstantLR``,
``LinearLR``, ``ExponentialLR`` and ``PolynomialLR`` against PyTorch's: the same rates at every
step (also after an lr edited by hand, with two groups), the closed forms of ``step(epoch)``,
states moved across the libraries, worked examples and bad arguments."""

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

LAMBDAS = {
    "0.95^e": lambda e: 0.95**e,
    "1/(1+e)": lambda e: 1 / (1 + e),
    "warm-up": lambda e: min(1.0, (e + 1) / 5),
}
FACTORS = {"0.9": lambda e: 0.9, "1-e/100": lambda e: 1 - e / 100}

SCHEDULES = {
    "LambdaLR": st.fixed_dictionaries({"lr_lambda": st.sampled_from(list(LAMBDAS.values()))}),
    "MultiplicativeLR": st.fixed_dictionaries(
        {"lr_lambda": st.sampled_from(list(FACTORS.values()))}
    ),
    "StepLR": st.fixed_dictionaries(
        {"step_size": st.integers(1, 12), "gamma": st.sampled_from([0.1, 0.5, 0.9])}
    ),
    "MultiStepLR": st.fixed_dictionaries(
        {
            "milestones": st.lists(st.integers(1, 40), max_size=5),
            "gamma": st.sampled_from([0.1, 0.5, 2.0]),
        }
    ),
    "ConstantLR": st.fixed_dictionaries(
        {"factor": st.sampled_from([1 / 3, 0.1, 0.5, 1.0]), "total_iters": st.integers(0, 12)}
    ),
    "LinearLR": st.fixed_dictionaries(
        {
            "start_factor": st.sampled_from([1 / 3, 0.1, 1.0]),
            "end_factor": st.sampled_from([1.0, 0.5, 0.0]),
            "total_iters": st.integers(1, 15),
        }
    ),
    "ExponentialLR": st.fixed_dictionaries({"gamma": st.sampled_from([0.5, 0.9, 0.99, 1.01])}),
    "PolynomialLR": st.fixed_dictionaries(
        {"total_iters": st.integers(1, 15), "power": st.sampled_from([1.0, 0.5, 2.0])}
    ),
}


def maker(name, kwargs):
    return lambda lib, optimizer: getattr(lib.optim.lr_scheduler, name)(optimizer, **kwargs)


@pytest.mark.parametrize("name", list(SCHEDULES))
@given(data=st.data())
@settings(max_examples=15)
def test_rates_match_torch(name, data):
    kwargs = data.draw(SCHEDULES[name], label="kwargs")
    assert_same_schedule(
        name,
        maker(name, kwargs),
        kind=data.draw(st.sampled_from(["SGD", "Adam"]), label="optimizer"),
        groups=data.draw(st.integers(1, 2), label="groups"),
        edit_at=data.draw(st.none() | st.integers(0, 29), label="edit_at"),
        steps=30,
    )


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR"])
@given(data=st.data())
@settings(max_examples=10)
def test_step_with_an_epoch_uses_torchs_closed_form(name, data):
    kwargs = data.draw(SCHEDULES[name])
    epochs = data.draw(st.lists(st.integers(0, 30), min_size=1, max_size=6))
    rates = []
    for lib in (cnnlab, torch):
        optimizer = scheduled_optimizer(lib, "SGD")
        schedule = getattr(lib.optim.lr_scheduler, name)(optimizer, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for epoch in epochs:
                schedule.step(epoch)
        rates.append([g["lr"] for g in optimizer.param_groups])
    np.testing.assert_allclose(rates[0], rates[1], rtol=1e-12)


class Halving:
    """A callable object: its attributes travel in the state_dict (a plain function's don't)."""

    def __init__(self, rate=0.5):
        self.rate = rate

    def __call__(self, epoch):
        return self.rate ** (epoch // 3)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("StepLR", dict(step_size=3, gamma=0.5)),
        ("MultiStepLR", dict(milestones=[2, 5, 5])),
        ("ConstantLR", dict(factor=0.5, total_iters=9)),
        ("LinearLR", dict(start_factor=0.2, total_iters=11)),
        ("ExponentialLR", dict(gamma=0.9)),
        ("PolynomialLR", dict(total_iters=15, power=2.0)),
        ("LambdaLR", dict(lr_lambda=LAMBDAS["1/(1+e)"])),
        ("MultiplicativeLR", dict(lr_lambda=FACTORS["0.9"])),
    ],
)
def test_state_moves_both_ways(name, kwargs):
    assert_state_moves_both_ways(name, maker(name, kwargs))


def test_callable_objects_keep_their_state():
    for lib in (cnnlab, torch):
        schedule = lib.optim.lr_scheduler.LambdaLR(scheduled_optimizer(lib, "SGD"), Halving(0.8))
        saved = schedule.state_dict()
        assert saved["lr_lambdas"] == [{"rate": 0.8}]
        other = lib.optim.lr_scheduler.LambdaLR(scheduled_optimizer(lib, "SGD"), Halving())
        other.load_state_dict(saved)
        assert other.lr_lambdas[0].rate == 0.8 and "lr_lambdas" in saved


def test_linear_warm_up_worked_example():
    """start_factor 0.25 over 3 epochs from lr 0.1: 0.025, 0.05, 0.075, 0.1, 0.1."""
    optimizer = scheduled_optimizer(cnnlab, "SGD")
    schedule = cnnlab.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.25, total_iters=3)
    rates = [schedule.get_last_lr()[0]]
    for _ in range(4):
        optimizer.step()
        schedule.step()
        rates.append(schedule.get_last_lr()[0])
    np.testing.assert_allclose(rates, [0.025, 0.05, 0.075, 0.1, 0.1], rtol=1e-12)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda L, o: L.StepLR(o, step_size=0), "StepLR: step_size must be >= 1, got 0"),
        (lambda L, o: L.ConstantLR(o, factor=1.5), r"factor must be in \[0, 1\], got 1.5"),
        (lambda L, o: L.LinearLR(o, start_factor=0), r"start_factor must be in \(0, 1\]"),
        (lambda L, o: L.LinearLR(o, end_factor=2), r"end_factor must be in \[0, 1\], got 2"),
        (lambda L, o: L.LambdaLR(o, [lambda e: 1, lambda e: 1]), "expected 1 lr_lambdas, got 2"),
    ],
)
def test_bad_arguments_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make(cnnlab.optim.lr_scheduler, scheduled_optimizer(cnnlab, "SGD"))
    with pytest.raises(TypeError, match="lr_lambda should be a function, got int"):
        cnnlab.optim.lr_scheduler.MultiplicativeLR(scheduled_optimizer(cnnlab, "SGD"), 3)
