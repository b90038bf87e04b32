"""``optim.SGD`` against ``torch.optim.SGD``: momentum, dampening, Nesterov, weight decay and
maximize over many steps, with per-group options, edits mid-run and states swapped between the
libraries; a worked example; a training loop; bad arguments."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from optimizer_reference import (
    check_drawn,
    parameter_pairs,
    scale_lr,
    set_weight_decay,
)
from reference import assert_close

OPTIONS = st.fixed_dictionaries(
    {
        "lr": st.sampled_from([0.1, 0.01, 0.5]),
        "momentum": st.sampled_from([0.0, 0.5, 0.9]),
        "dampening": st.sampled_from([0.0, 0.3]),
        "weight_decay": st.sampled_from([0.0, 1e-2, 0.3]),
        "nesterov": st.booleans(),
        "maximize": st.booleans(),
    }
).filter(lambda o: not o["nesterov"] or (o["momentum"] > 0 and o["dampening"] == 0))
GROUP_OPTIONS = st.fixed_dictionaries(
    {}, optional={"lr": st.sampled_from([0.2, 0.05]), "momentum": st.sampled_from([0.0, 0.7])}
)


def set_momentum(group):
    group["momentum"] = 0.3


@given(st.data())
@settings(max_examples=60)
def test_sgd_matches_torch(data):
    check_drawn(data, "SGD", OPTIONS, GROUP_OPTIONS, [scale_lr, set_weight_decay, set_momentum])


def test_worked_example_momentum_accumulates():
    """lr 0.1, momentum 0.9, gradient 1 each step: buffers 1, 1.9, 2.71; p = 1 - 0.1 * 5.61."""
    p = cnnlab.nn.Parameter(cnnlab.tensor([1.0], dtype=cnnlab.float64))
    optimizer = cnnlab.optim.SGD([p], lr=0.1, momentum=0.9)
    for _ in range(3):
        p.grad = cnnlab.ones(1, dtype=cnnlab.float64)
        optimizer.step()
    np.testing.assert_allclose(optimizer.state[p]["momentum_buffer"].numpy(), [2.71])
    np.testing.assert_allclose(p.detach().numpy(), [1 - 0.1 * 5.61])


def test_a_training_loop_on_a_model_matches_torch():
    """SGD with momentum on the chapter's kind of model: loss.backward(), step(), zero_grad()."""
    x = np.random.default_rng(5).standard_normal((8, 6))
    y = np.random.default_rng(6).integers(0, 3, 8)
    results = []
    torch.manual_seed(0)
    reference = torch.nn.Sequential(
        torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)
    ).double()
    for lib in (cnnlab, torch):
        model = lib.nn.Sequential(lib.nn.Linear(6, 5), lib.nn.Tanh(), lib.nn.Linear(5, 3)).double()
        model.load_state_dict(reference.state_dict())
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        criterion = lib.nn.CrossEntropyLoss()
        for _ in range(20):
            optimizer.zero_grad()
            loss = criterion(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            optimizer.step()
        results.append([p.detach().numpy().copy() for p in model.parameters()])
    for ours, theirs in zip(*results, strict=True):
        assert_close("SGD training loop", ours, theirs, np.float64)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(lr=-0.1), "lr must be >= 0, got -0.1"),
        (dict(lr=0.1, momentum=-0.5), "momentum must be >= 0, got -0.5"),
        (dict(lr=0.1, weight_decay=-1.0), "weight_decay must be >= 0, got -1.0"),
        (dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
        (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
    ],
)
def test_bad_arguments_raise(options, message):
    ours, theirs = parameter_pairs(0)
    with pytest.raises(ValueError):
        torch.optim.SGD(theirs, **options)
    with pytest.raises(ValueError, match=message):
        cnnlab.optim.SGD(ours, **options)
