"""The checks that stop a diverging run name what stopped being finite, on either engine."""

from __future__ import annotations

import pytest
import torch

import cnnlab
from cnnlab.train.divergence import TrainingDiverged, check_gradients, check_loss, check_weights

WHERE = {"epoch": 2, "batch": 5, "batches": 9, "lr": 0.5}


@pytest.mark.parametrize("lib", [cnnlab, torch], ids=["numpy", "torch"])
def test_the_first_non_finite_gradient_is_named_with_its_value(lib):
    model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.Linear(2, 1))
    model(lib.ones(1, 3)).sum().backward()
    check_gradients(model, WHERE)  # all finite: nothing raised
    with lib.no_grad():
        model[1].weight.grad[0, 1] = float("-inf")
    with pytest.raises(TrainingDiverged) as caught:
        check_gradients(model, WHERE)
    assert str(caught.value) == (
        "training diverged at epoch 2, batch 5/9: the gradient of 1.weight is -inf; "
        "lower --lr (this run's is 0.5)"
    )


@pytest.mark.parametrize("lib", [cnnlab, torch], ids=["numpy", "torch"])
def test_weights_and_buffers_are_checked_but_integer_counters_are_not(lib):
    model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2))
    check_weights(model, WHERE)
    with lib.no_grad():
        model[1].running_var[1] = float("nan")
    with pytest.raises(TrainingDiverged, match=r"1\.running_var after the step is nan"):
        check_weights(model, WHERE)


def test_a_finite_loss_passes_and_an_infinite_one_is_named():
    check_loss(2.5, WHERE)
    with pytest.raises(TrainingDiverged, match="the loss is inf; lower --lr"):
        check_loss(float("inf"), WHERE)
