"""``optim.Adadelta`` against ``torch.optim.Adadelta`` (the optimizer of pytorch/examples'
MNIST program): rho, eps, weight decay, maximize over many steps, with per-group options, edits
mid-run and states swapped between the libraries; a worked example; bad arguments."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from optimizer_reference import check_drawn, parameter_pairs, scale_lr, set_weight_decay

OPTIONS = st.fixed_dictionaries(
    {
        "lr": st.sampled_from([1.0, 0.1, 2.0]),
        "rho": st.sampled_from([0.9, 0.5, 0.0, 1.0]),
        "eps": st.sampled_from([1e-6, 1e-3]),
        "weight_decay": st.sampled_from([0.0, 1e-2]),
        "maximize": st.booleans(),
    }
)
GROUP_OPTIONS = st.fixed_dictionaries({}, optional={"lr": st.just(0.5), "rho": st.just(0.95)})


def set_rho(group):
    group["rho"] = 0.8


@given(st.data())
@settings(max_examples=40)
def test_adadelta_matches_torch(data):
    check_drawn(data, "Adadelta", OPTIONS, GROUP_OPTIONS, [scale_lr, set_weight_decay, set_rho])


def test_first_step_worked_example():
    """rho 0.9, eps 1e-6, g = 2: v = 0.4, delta = sqrt(1e-6) / sqrt(0.4 + 1e-6) * 2."""
    p = cnnlab.nn.Parameter(cnnlab.tensor([1.0], dtype=cnnlab.float64))
    p.grad = cnnlab.tensor([2.0], dtype=cnnlab.float64)
    optimizer = cnnlab.optim.Adadelta([p])
    optimizer.step()
    delta = np.sqrt(1e-6) / np.sqrt(0.4 + 1e-6) * 2
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - delta], rtol=1e-14)
    np.testing.assert_allclose(optimizer.state[p]["acc_delta"].numpy(), [0.1 * delta**2])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(lr=-1.0), "lr must be >= 0"),
        (dict(rho=1.5), r"rho must be in \[0, 1\], got 1.5"),
        (dict(eps=-1e-6), "eps must be >= 0"),
        (dict(weight_decay=-1.0), "weight_decay must be >= 0"),
    ],
)
def test_bad_arguments_raise(options, message):
    ours, theirs = parameter_pairs(0)
    with pytest.raises(ValueError):
        torch.optim.Adadelta(theirs, **options)
    with pytest.raises(ValueError, match=f"Adadelta: {message}"):
        cnnlab.optim.Adadelta(ours, **options)
