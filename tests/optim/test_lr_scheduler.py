"""Learning-rate schedules against ``torch.optim.lr_scheduler``: the same sequence of rates (and
of momentum or Adam's beta1 under OneCycleLR) over many steps, state round trips, bad arguments."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab

OPTIMIZERS = {
    "SGD": dict(lr=0.1, momentum=0.9),
    "Adam": dict(lr=0.01, betas=(0.9, 0.999)),
}


def optimizer_pair(kind, groups=1):
    params = [np.ones(2) * i for i in range(groups)]
    ours = [cnnlab.nn.Parameter(cnnlab.tensor(p)) for p in params]
    theirs = [torch.nn.Parameter(torch.tensor(p)) for p in params]
    options = OPTIMIZERS[kind]
    if groups == 1:
        return getattr(cnnlab.optim, kind)(ours, **options), getattr(torch.optim, kind)(
            theirs, **options
        )
    group_lrs = [options["lr"] * (i + 1) for i in range(groups)]
    return (
        getattr(cnnlab.optim, kind)(
            [{"params": [p], "lr": lr} for p, lr in zip(ours, group_lrs, strict=True)], **options
        ),
        getattr(torch.optim, kind)(
            [{"params": [p], "lr": lr} for p, lr in zip(theirs, group_lrs, strict=True)], **options
        ),
    )


def record(optimizer):
    """lr, momentum and beta1 of every group."""
    return [
        (g["lr"], g.get("momentum"), g["betas"][0] if "betas" in g else None)
        for g in optimizer.param_groups
    ]


def run_schedules(name, kwargs, kind, steps, groups=1, libraries=(cnnlab, torch)):
    """The (lr, momentum, beta1) of every group and ``get_last_lr()`` after each step, for
    each library."""
    sequences, last = [], []
    for lib, optimizer in zip((cnnlab, torch), optimizer_pair(kind, groups), strict=True):
        if lib not in libraries:
            continue
        schedule = getattr(lib.optim.lr_scheduler, name)(optimizer, **kwargs)
        sequences.append([record(optimizer)])
        last.append([schedule.get_last_lr()])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns when the scheduler steps first
            for _ in range(steps):
                optimizer.step()
                schedule.step()
                sequences[-1].append(record(optimizer))
                last[-1].append(schedule.get_last_lr())
    return sequences, last


def assert_same_sequences(sequences, last):
    ours, theirs = (
        np.array([[[np.nan if v is None else v for v in g] for g in step] for step in s])
        for s in sequences
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15, equal_nan=True)
    np.testing.assert_allclose(np.array(last[0]), np.array(last[1]), rtol=1e-12, atol=1e-15)


SCHEDULES = {
    "StepLR": st.fixed_dictionaries(
        {"step_size": st.integers(1, 12), "gamma": st.sampled_from([0.1, 0.5, 0.9])}
    ),
    "MultiStepLR": st.fixed_dictionaries(
        {
            "milestones": st.lists(st.integers(1, 60), max_size=5),
            "gamma": st.sampled_from([0.1, 0.5, 2.0]),
        }
    ),
    "ExponentialLR": st.fixed_dictionaries({"gamma": st.sampled_from([0.5, 0.9, 0.99, 1.01])}),
    "CosineAnnealingLR": st.fixed_dictionaries(
        {
            "T_max": st.integers(1, 25),
            "eta_min": st.sampled_from([0.0, 1e-4, 0.05]),
        }
    ),
}


@pytest.mark.parametrize("kind", list(OPTIMIZERS))
@pytest.mark.parametrize("name", list(SCHEDULES))
@given(data=st.data(), groups=st.integers(1, 2))
@settings(max_examples=40)
def test_epoch_schedules_give_torchs_rates(name, kind, data, groups):
    kwargs = data.draw(SCHEDULES[name])
    assert_same_sequences(*run_schedules(name, kwargs, kind, steps=80, groups=groups))


one_cycle = st.fixed_dictionaries(
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
    }
)


@pytest.mark.parametrize("kind", list(OPTIMIZERS))
@given(one_cycle, st.integers(1, 2))
@settings(max_examples=100)
def test_one_cycle_gives_torchs_rates_and_momenta(kind, kwargs, groups):
    steps = kwargs["total_steps"] - 1  # the scheduler may not step past total_steps
    try:
        run_schedules("OneCycleLR", kwargs, kind, steps=steps, groups=groups, libraries=(torch,))
    except ZeroDivisionError:  # a phase of no steps (e.g. pct_start * total_steps = 1): both fail
        with pytest.raises(ZeroDivisionError):
            run_schedules(
                "OneCycleLR", kwargs, kind, steps=steps, groups=groups, libraries=(cnnlab,)
            )
        return
    assert_same_sequences(*run_schedules("OneCycleLR", kwargs, kind, steps=steps, groups=groups))


def test_one_cycle_from_epochs_and_steps_per_epoch_and_per_group_max_lr():
    kwargs = dict(max_lr=[0.3, 0.6], epochs=3, steps_per_epoch=7)
    assert_same_sequences(*run_schedules("OneCycleLR", kwargs, "SGD", steps=20, groups=2))


def test_one_cycle_worked_example():
    """Linear 1cycle over 10 steps: from max_lr / 25 up to max_lr at step 4 (pct_start * 10 - 1),
    then down to (max_lr / 25) / 1e4 at step 9; momentum from 0.95 down to 0.85 and back."""
    optimizer, _ = optimizer_pair("SGD")
    schedule = cnnlab.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=1.0, total_steps=10, pct_start=0.5, anneal_strategy="linear"
    )
    rates, momenta = [optimizer.param_groups[0]["lr"]], [optimizer.param_groups[0]["momentum"]]
    for _ in range(9):
        schedule.step()
        rates.append(optimizer.param_groups[0]["lr"])
        momenta.append(optimizer.param_groups[0]["momentum"])
    np.testing.assert_allclose(rates[:5], [0.04, 0.28, 0.52, 0.76, 1.0])
    np.testing.assert_allclose(rates[9], 0.04 / 1e4)
    np.testing.assert_allclose(rates[4:], np.linspace(1.0, 4e-6, 6))
    np.testing.assert_allclose(momenta[:5], [0.95, 0.925, 0.9, 0.875, 0.85])
    np.testing.assert_allclose(momenta[9], 0.95)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("StepLR", dict(step_size=3, gamma=0.5)),
        ("MultiStepLR", dict(milestones=[2, 5])),
        ("ExponentialLR", dict(gamma=0.9)),
        ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
        ("OneCycleLR", dict(max_lr=0.4, total_steps=30)),
    ],
)
@pytest.mark.parametrize("kind", list(OPTIMIZERS))
def test_state_dicts_resume_the_schedule_where_it_stopped(name, kwargs, kind):
    expected = run_schedules(name, kwargs, kind, steps=25, libraries=(torch,))[0][0]
    optimizer, _ = optimizer_pair(kind)
    schedule = getattr(cnnlab.optim.lr_scheduler, name)(optimizer, **kwargs)
    for _ in range(10):
        optimizer.step()
        schedule.step()
    saved_optimizer, saved_schedule = optimizer.state_dict(), schedule.state_dict()
    assert "optimizer" not in saved_schedule and saved_schedule["last_epoch"] == 10
    fresh, _ = optimizer_pair(kind)
    resumed = getattr(cnnlab.optim.lr_scheduler, name)(fresh, **kwargs)
    fresh.load_state_dict(saved_optimizer)
    resumed.load_state_dict(saved_schedule)
    got = [record(fresh)]
    for _ in range(15):
        fresh.step()
        resumed.step()
        got.append(record(fresh))
    np.testing.assert_allclose(
        np.array(got, dtype=float), np.array(expected[10:], dtype=float), rtol=1e-12, equal_nan=True
    )


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda L, o: L.StepLR(o, step_size=0), ValueError, "step_size must be >= 1, got 0"),
        (lambda L, o: L.CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be >= 1, got 0"),
        (
            lambda L, o: L.OneCycleLR(o, max_lr=1.0),
            ValueError,
            "give total_steps, or epochs and steps_per_epoch",
        ),
        (lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=0), ValueError, "total_steps=0"),
        (
            lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5),
            ValueError,
            "pct_start=1.5",
        ),
        (
            lambda L, o: L.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="step"),
            ValueError,
            "anneal_strategy must be 'cos' or 'linear', got 'step'",
        ),
        (
            lambda L, o: L.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=10),
            ValueError,
            "max_lr has 2 values for 1 parameter groups",
        ),
        (
            lambda L, o: L.StepLR(object(), step_size=2),
            TypeError,
            "expected an Optimizer, got object",
        ),
    ],
)
def test_bad_arguments_raise(make, error, message):
    ours, _ = optimizer_pair("SGD")
    with pytest.raises(error, match=message.replace("(", r"\(")):
        make(cnnlab.optim.lr_scheduler, ours)


def test_one_cycle_refuses_to_step_past_total_steps_as_torch():
    for lib in (cnnlab, torch):
        optimizer = lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.1, momentum=0.9)
        schedule = lib.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(3):
                schedule.step()
            with pytest.raises(ValueError, match=r"(?i)total.steps"):
                schedule.step()
