"""The ``LRScheduler`` base against PyTorch's: the warnings about stepping order and
``get_lr()``, resuming with ``last_epoch``, and refusing what is not an optimizer."""

import warnings

import pytest
import torch

import cnnlab
from optimizer_reference import scheduled_optimizer


def messages(lib, order):
    """The warnings raised by stepping ``order`` ('opt' / 'sched') on ``lib``."""
    optimizer = scheduled_optimizer(lib, "SGD")
    schedule = lib.optim.lr_scheduler.StepLR(optimizer, 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for what in order:
            optimizer.step() if what == "opt" else schedule.step()
    return [str(w.message) for w in caught]


@pytest.mark.parametrize(
    "order", [["opt", "sched"], ["sched", "opt"], ["sched", "sched"], ["opt", "sched", "sched"]]
)
def test_stepping_order_warns_as_torch(order):
    ours, theirs = messages(cnnlab, order), messages(torch, order)
    assert len(ours) == len(theirs)
    assert all("before `optimizer.step()`" in m for m in ours + theirs)


def test_get_lr_outside_step_warns_and_get_last_lr_does_not():
    optimizer = scheduled_optimizer(cnnlab, "SGD")
    schedule = cnnlab.optim.lr_scheduler.ExponentialLR(optimizer, 0.5)
    with pytest.warns(UserWarning, match="use `get_last_lr\\(\\)`"):
        schedule.get_lr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert schedule.get_last_lr() == [0.1]


def test_resuming_with_last_epoch_needs_initial_lr():
    optimizer = scheduled_optimizer(cnnlab, "SGD")
    with pytest.raises(KeyError, match="initial_lr"):
        cnnlab.optim.lr_scheduler.StepLR(optimizer, 2, last_epoch=4)
    for lib in (cnnlab, torch):
        optimizer = scheduled_optimizer(lib, "SGD")
        optimizer.param_groups[0]["initial_lr"] = 1.0
        schedule = lib.optim.lr_scheduler.StepLR(optimizer, 2, gamma=0.5, last_epoch=4)
        assert schedule.last_epoch == 5 and schedule.base_lrs == [1.0]


def test_not_an_optimizer_is_refused():
    with pytest.raises(TypeError, match="StepLR: expected an Optimizer, got object"):
        cnnlab.optim.lr_scheduler.StepLR(object(), step_size=2)
    with pytest.raises(TypeError, match="ReduceLROnPlateau: expected an Optimizer, got list"):
        cnnlab.optim.lr_scheduler.ReduceLROnPlateau([])
