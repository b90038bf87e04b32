"""``optim.Adamax``, ``optim.NAdam`` and ``optim.RAdam`` against PyTorch's over many steps,
with per-group options, edits mid-run and states swapped between the libraries; bad
arguments."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from optimizer_reference import check_drawn, parameter_pairs, scale_lr, set_weight_decay

COMMON = {
    "lr": st.sampled_from([2e-3, 0.01, 0.1]),
    "betas": st.sampled_from([(0.9, 0.999), (0.8, 0.99), (0.5, 0.9)]),
    "eps": st.sampled_from([1e-8, 1e-3]),
    "weight_decay": st.sampled_from([0.0, 1e-2]),
    "maximize": st.booleans(),
}
OPTIONS = {
    "Adamax": st.fixed_dictionaries(COMMON),
    "NAdam": st.fixed_dictionaries(
        {
            **COMMON,
            "momentum_decay": st.sampled_from([4e-3, 0.1]),
            "decoupled_weight_decay": st.booleans(),
        }
    ),
    "RAdam": st.fixed_dictionaries({**COMMON, "decoupled_weight_decay": st.booleans()}),
}
GROUP_OPTIONS = st.fixed_dictionaries({}, optional={"lr": st.just(0.05)})


@pytest.mark.parametrize("name", list(OPTIONS))
@given(data=st.data())
@settings(max_examples=25)
def test_matches_torch(name, data):
    check_drawn(data, name, OPTIONS[name], GROUP_OPTIONS, [scale_lr, set_weight_decay])


@pytest.mark.parametrize("name", list(OPTIONS))
@pytest.mark.parametrize("options", [dict(lr=-1.0), dict(eps=-1.0), dict(betas=(1.0, 0.9))])
def test_bad_arguments_raise(name, options):
    ours, theirs = parameter_pairs(0)
    with pytest.raises(ValueError):
        getattr(torch.optim, name)(theirs, **options)
    with pytest.raises(ValueError, match=f"{name}: "):
        getattr(cnnlab.optim, name)(ours, **options)
