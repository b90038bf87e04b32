"""``optim.RMSprop`` against ``torch.optim.RMSprop``: alpha, eps, weight decay, momentum,
centered, maximize over many steps, with per-group options, edits mid-run and states swapped
between the libraries; a worked example; bad arguments."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from optimizer_reference import check_drawn, parameter_pairs, scale_lr, set_weight_decay

OPTIONS = st.fixed_dictionaries(
    {
        "lr": st.sampled_from([0.01, 1e-3, 0.1]),
        "alpha": st.sampled_from([0.99, 0.9, 0.5]),
        "eps": st.sampled_from([1e-8, 1e-3]),
        "weight_decay": st.sampled_from([0.0, 1e-2]),
        "momentum": st.sampled_from([0.0, 0.9]),
        "centered": st.booleans(),
        "maximize": st.booleans(),
    }
)
GROUP_OPTIONS = st.fixed_dictionaries({}, optional={"lr": st.just(0.05), "alpha": st.just(0.8)})


def set_alpha(group):
    group["alpha"] = 0.7


@given(st.data())
@settings(max_examples=50)
def test_rmsprop_matches_torch(data):
    check_drawn(data, "RMSprop", OPTIONS, GROUP_OPTIONS, [scale_lr, set_weight_decay, set_alpha])


def test_worked_example_centered_first_step():
    """alpha 0.5, g = 2: v = 2, m = 1, root = sqrt(2 - 1) = 1, so p moves by lr * g = 0.2."""
    p = cnnlab.nn.Parameter(cnnlab.tensor([1.0], dtype=cnnlab.float64))
    p.grad = cnnlab.tensor([2.0], dtype=cnnlab.float64)
    cnnlab.optim.RMSprop([p], lr=0.1, alpha=0.5, eps=0.0, centered=True).step()
    np.testing.assert_allclose(p.detach().numpy(), [0.8], rtol=1e-14)


@pytest.mark.parametrize("name", ["lr", "eps", "momentum", "weight_decay", "alpha"])
def test_bad_arguments_raise(name):
    ours, theirs = parameter_pairs(0)
    with pytest.raises(ValueError):
        torch.optim.RMSprop(theirs, **{name: -1.0})
    with pytest.raises(ValueError, match=f"RMSprop: {name} must be >= 0, got -1.0"):
        cnnlab.optim.RMSprop(ours, **{name: -1.0})
