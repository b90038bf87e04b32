"""The engine computes inf and nan as PyTorch does, without NumPy's RuntimeWarning."""

from __future__ import annotations

import warnings

import numpy as np
import torch

import cnnlab
from cnnlab.ops import threads


def run_both(compute):
    """``compute(lib)`` on cnnlab (every warning an error) and on torch, as NumPy arrays."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = compute(cnnlab)
    return np.asarray(ours), np.asarray(compute(torch))


def values(lib):
    return lib.tensor([0.0, -1.0, 3e38, 2.0], requires_grad=True)


def test_forward_and_backward_of_non_finite_values_are_silent_and_as_torch():
    def compute(lib):
        x = values(lib)
        y = x.log() + x.sqrt() + x * x + x / (x - x) + lib.exp(x * 100)
        y.sum().backward()
        return np.stack([y.detach().numpy(), x.grad.numpy()])

    ours, theirs = run_both(compute)
    np.testing.assert_array_equal(ours, theirs)
    assert not np.isfinite(ours).all()


def test_a_module_and_an_optimizer_step_overflowing_are_silent():
    def compute(lib):
        layer = lib.nn.Linear(4, 3)
        with lib.no_grad():
            layer.weight.fill_(3e38)
            layer.bias.fill_(0.0)
        optimizer = lib.optim.SGD(layer.parameters(), lr=1e30)
        layer(lib.ones(2, 4)).sum().backward()
        optimizer.step()
        return layer.weight.detach().numpy()

    ours, theirs = run_both(compute)
    np.testing.assert_array_equal(ours, theirs)


def test_a_product_shared_among_threads_overflows_silently(monkeypatch):
    monkeypatch.setattr(threads, "MIN_SPLIT_PRODUCT", 1)
    threads.set_num_threads(2)
    a = np.full((8, 300), 1e30, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = cnnlab.from_numpy(a) @ cnnlab.from_numpy(a.T.copy())
    assert np.isposinf(ours.numpy()).all()
