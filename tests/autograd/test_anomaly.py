"""Anomaly mode against ``torch.autograd.detect_anomaly``: the same op raises, with PyTorch's
message, and its creation traceback points at the same line."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab

# Each case builds on a tensor x of two values; lib is cnnlab or torch.
CASES = {
    "log(0)": lambda lib, x: x.log(),  # -inf forward, inf gradient: no anomaly by default
    "log(0)*0": lambda lib, x: x.log() * 0,
    "sqrt(-1)": lambda lib, x: (x - 1).sqrt(),
    "0/0": lambda lib, x: x / x,
    "x/0*0": lambda lib, x: (x / lib.zeros(2, dtype=x.dtype)) * 0,
    "where(x>0, log x, 0)": lambda lib, x: lib.where(x > 0, x.log(), lib.zeros_like(x)),
    "exp(1000)*0": lambda lib, x: (x + 1000).exp() * 0,
    "finite": lambda lib, x: (x * x).sum(),
}


def anomaly(lib, case, values, **options):
    """``(op, index, line of creation)`` of the anomaly ``case`` raises, or None."""
    x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with lib.autograd.detect_anomaly(**options):
                CASES[case](lib, x).sum().backward()
        except RuntimeError as error:
            found = re.match(
                r"Function '(\w+?)0?' returned nan values in its (\d+)th output\.", str(error)
            )
            assert found, str(error)
            text = str(error) if lib is cnnlab else str(caught[-1].message)
            lines = re.findall(rf'File "{re.escape(__file__)}", line (\d+)', text)
            return found[1], int(found[2]), int(lines[-1])
    return None


@pytest.mark.parametrize("case", list(CASES))
def test_the_same_op_raises_as_in_torch(case):
    values = [0.0, 1.0]
    ours, theirs = anomaly(cnnlab, case, values), anomaly(torch, case, values)
    assert ours == theirs
    assert (ours is None) == (case in ("log(0)", "finite"))


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(list(CASES)),
    st.lists(
        st.sampled_from([0.0, -1.0, 1.0, 2.5, -0.0, 1e308, float("inf")]), min_size=2, max_size=2
    ),
)
def test_generated_inputs_raise_where_torch_raises(case, values):
    assert anomaly(cnnlab, case, values) == anomaly(torch, case, values)


def test_outside_anomaly_mode_nothing_is_checked_and_the_modes_come_back():
    x = cnnlab.tensor([0.0], requires_grad=True)
    (x.log() * 0).sum().backward()
    assert np.isnan(x.grad.numpy()).all()
    assert not cnnlab.is_anomaly_enabled() and cnnlab.is_anomaly_check_nan_enabled()
    with cnnlab.autograd.set_detect_anomaly(True), torch.autograd.set_detect_anomaly(True):
        assert cnnlab.is_anomaly_enabled() and torch.is_anomaly_enabled()
    assert not cnnlab.autograd.is_anomaly_enabled()
    cnnlab.autograd.set_detect_anomaly(True)  # as a function: stays on
    try:
        assert cnnlab.is_anomaly_enabled()
    finally:
        cnnlab.autograd.set_detect_anomaly(False)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        decorated = cnnlab.autograd.detect_anomaly()(cnnlab.is_anomaly_enabled)
    assert decorated() and not cnnlab.is_anomaly_enabled()


def test_check_forward_and_check_inf_name_the_first_op_and_its_line():
    x = cnnlab.tensor([0.0, 1.0], requires_grad=True)
    with (
        pytest.warns(UserWarning),
        cnnlab.autograd.detect_anomaly(check_forward=True, check_inf=True),
        pytest.raises(cnnlab.autograd.AnomalyError) as caught,
    ):
        y = x * 2
        y.log()  # the first non-finite value: -inf
    assert caught.value.headline == "Function 'Log' returned -inf values in its forward output."
    assert caught.value.trace[-2].line == "y.log()  # the first non-finite value: -inf"
    with (
        pytest.warns(UserWarning),
        cnnlab.autograd.detect_anomaly(check_inf=True),
        pytest.raises(RuntimeError, match="'LogBackward' returned inf values in its 0th output"),
    ):
        x.log().sum().backward()
