"""``build(..., seed=s)``: the initial weights are drawn once, by the NumPy engine, whichever
engine the model is built on."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import cnnlab
from cnnlab.models import MODELS, build
from reference import relative_error


@pytest.mark.parametrize("name", list(MODELS))
def test_the_same_seed_gives_the_same_weights_on_both_engines(name):
    ours = build(name, "numpy", seed=7)
    theirs = build(name, "torch", seed=7)
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    for key, value in ours_state.items():
        expected = value.numpy()
        actual = theirs_state[key].detach().numpy()
        assert actual.dtype == expected.dtype, key
        np.testing.assert_array_equal(actual, expected, err_msg=key)
    x = np.random.default_rng(0).standard_normal((2, *MODELS[name].input_shape), np.float32)
    ours.eval(), theirs.eval()
    with cnnlab.no_grad(), torch.no_grad():
        outputs = ours(cnnlab.from_numpy(x)), theirs(torch.from_numpy(x))
    assert relative_error(*outputs) <= 1e-5


def test_the_seed_decides_the_weights_and_leaves_cnnlab_s_generator_as_seeded():
    first = build("lenet5", "numpy", seed=1).state_dict()["conv1.weight"].numpy()
    again = build("lenet5", "numpy", seed=1).state_dict()["conv1.weight"].numpy()
    other = build("lenet5", "numpy", seed=2).state_dict()["conv1.weight"].numpy()
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    cnnlab.manual_seed(5)
    expected = cnnlab.rand(3).numpy()
    cnnlab.manual_seed(5)
    build("lenet5", "torch", seed=1)  # draws on cnnlab's generator, then puts it back
    np.testing.assert_array_equal(cnnlab.rand(3).numpy(), expected)


def test_without_a_seed_each_engine_draws_its_own():
    torch.manual_seed(0)
    cnnlab.manual_seed(0)
    ours = build("lenet5", "numpy").state_dict()["conv1.weight"].numpy()
    theirs = build("lenet5", "torch").state_dict()["conv1.weight"].detach().numpy()
    assert not np.array_equal(ours, theirs)
