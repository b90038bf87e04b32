"""``optim.Adagrad`` against ``torch.optim.Adagrad``: lr decay, initial accumulator, eps, weight
decay, maximize over many steps, with per-group options, edits mid-run and states swapped
between the libraries; state present from construction; bad arguments."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from optimizer_reference import check_drawn, parameter_pairs, scale_lr, set_weight_decay

OPTIONS = st.fixed_dictionaries(
    {
        "lr": st.sampled_from([0.01, 0.1, 1.0]),
        "lr_decay": st.sampled_from([0.0, 0.01, 0.5]),
        "initial_accumulator_value": st.sampled_from([0.0, 0.1]),
        "eps": st.sampled_from([1e-10, 1e-3]),
        "weight_decay": st.sampled_from([0.0, 1e-2]),
        "maximize": st.booleans(),
    }
)
GROUP_OPTIONS = st.fixed_dictionaries(
    {}, optional={"lr": st.just(0.05), "lr_decay": st.just(0.1), "eps": st.just(1e-4)}
)


@given(st.data())
@settings(max_examples=40)
def test_adagrad_matches_torch(data):
    check_drawn(data, "Adagrad", OPTIONS, GROUP_OPTIONS, [scale_lr, set_weight_decay])


def test_state_exists_from_construction_as_in_torch():
    ours, theirs = parameter_pairs(0)
    mine = cnnlab.optim.Adagrad(ours, initial_accumulator_value=0.25).state_dict()["state"]
    reference = torch.optim.Adagrad(theirs, initial_accumulator_value=0.25).state_dict()["state"]
    assert list(mine) == list(reference) == [0, 1, 2]
    for index, buffers in reference.items():
        assert list(mine[index]) == list(buffers) == ["step", "sum"]
        np.testing.assert_array_equal(mine[index]["sum"].numpy(), buffers["sum"].numpy())


def test_worked_example_with_lr_decay():
    """Second step with lr_decay 1: lr / 2; sums 1 then 2, so p = 1 - 1/1 - 0.5/sqrt(2)."""
    p = cnnlab.nn.Parameter(cnnlab.tensor([1.0], dtype=cnnlab.float64))
    optimizer = cnnlab.optim.Adagrad([p], lr=1.0, lr_decay=1.0, eps=0.0)
    for _ in range(2):
        p.grad = cnnlab.ones(1, dtype=cnnlab.float64)
        optimizer.step()
    np.testing.assert_allclose(p.detach().numpy(), [1 - 1 - 0.5 / np.sqrt(2)], rtol=1e-14)


@pytest.mark.parametrize(
    "name", ["lr", "lr_decay", "weight_decay", "eps", "initial_accumulator_value"]
)
def test_bad_arguments_raise(name):
    ours, theirs = parameter_pairs(0)
    with pytest.raises(ValueError):
        torch.optim.Adagrad(theirs, **{name: -1.0})
    with pytest.raises(ValueError, match=f"Adagrad: {name} must be >= 0, got -1.0"):
        cnnlab.optim.Adagrad(ours, **{name: -1.0})
