"""``optim.Adam`` and ``optim.AdamW`` against PyTorch's: betas, eps, weight decay (coupled and
decoupled), AMSGrad, maximize over many steps, with per-group options, edits mid-run and states
swapped between the libraries; a worked example; bad arguments."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from optimizer_reference import check_drawn, parameter_pairs, scale_lr, set_weight_decay

COMMON = {
    "lr": st.sampled_from([1e-3, 0.01, 0.1]),
    "betas": st.sampled_from([(0.9, 0.999), (0.8, 0.99), (0.0, 0.5), (0.95, 0.9)]),
    "eps": st.sampled_from([1e-8, 1e-6, 0.1]),
    "weight_decay": st.sampled_from([0.0, 1e-2, 0.5]),
    "amsgrad": st.booleans(),
    "maximize": st.booleans(),
}
ADAM_OPTIONS = st.fixed_dictionaries({**COMMON, "decoupled_weight_decay": st.booleans()})
GROUP_OPTIONS = st.fixed_dictionaries(
    {},
    optional={"lr": st.sampled_from([0.05, 2e-3]), "betas": st.sampled_from([(0.5, 0.9)])},
)


def set_betas(group):
    group["betas"] = (0.7, 0.95)


@given(st.data())
@settings(max_examples=50)
def test_adam_matches_torch(data):
    check_drawn(data, "Adam", ADAM_OPTIONS, GROUP_OPTIONS, [scale_lr, set_weight_decay, set_betas])


@given(st.data())
@settings(max_examples=30)
def test_adamw_matches_torch(data):
    options = st.fixed_dictionaries(COMMON)
    check_drawn(data, "AdamW", options, GROUP_OPTIONS, [scale_lr, set_weight_decay, set_betas])


def test_first_adam_step_moves_each_parameter_by_lr_against_the_gradient_sign():
    """Worked example: after one step m / sqrt(v) = g / |g| (bias corrected), so p moves by lr."""
    p = cnnlab.nn.Parameter(cnnlab.tensor([1.0, -2.0, 3.0], dtype=cnnlab.float64))
    p.grad = cnnlab.tensor([0.5, -40.0, 1e-3], dtype=cnnlab.float64)
    cnnlab.optim.Adam([p], lr=0.1, eps=0.0).step()
    np.testing.assert_allclose(p.detach().numpy(), [0.9, -1.9, 2.9], rtol=1e-12)


def test_adamw_decay_shrinks_the_parameter_before_the_step():
    """Zero gradient: AdamW only multiplies p by (1 - lr * weight_decay); Adam's coupled decay
    instead turns the decay into a gradient, so p moves by lr (up to eps)."""
    for name, expected in (("AdamW", 2.0 * (1 - 0.1 * 0.5)), ("Adam", 2.0 - 0.1)):
        p = cnnlab.nn.Parameter(cnnlab.tensor([2.0], dtype=cnnlab.float64))
        p.grad = cnnlab.zeros(1, dtype=cnnlab.float64)
        getattr(cnnlab.optim, name)([p], lr=0.1, weight_decay=0.5).step()
        np.testing.assert_allclose(p.detach().numpy(), [expected], rtol=1e-9)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(lr=-1e-3), "lr must be >= 0"),
        (dict(eps=-1.0), "eps must be >= 0"),
        (dict(weight_decay=-0.1), "weight_decay must be >= 0"),
        (dict(betas=(1.0, 0.999)), r"betas must be two numbers in \[0, 1\)"),
        (dict(betas=(0.9, -0.1)), r"betas must be two numbers in \[0, 1\)"),
    ],
)
def test_bad_arguments_raise(name, options, message):
    ours, theirs = parameter_pairs(0)
    with pytest.raises(ValueError):
        getattr(torch.optim, name)(theirs, **options)
    with pytest.raises(ValueError, match=f"{name}: {message}"):
        getattr(cnnlab.optim, name)(ours, **options)
