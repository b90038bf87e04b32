"""``nn.utils``: gradient clipping and parameter vectors against ``torch.nn.utils``."""

import numpy as np
import pytest
import torch

import cnnlab
from reference import assert_close


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    rng = np.random.default_rng(int(max_norm))
    grads = [rng.standard_normal(s) for s in [(3, 4), (4,), (2, 2, 2)]]
    results = []
    for lib in (cnnlab, torch):
        params = [lib.tensor(np.zeros(g.shape), requires_grad=True) for g in grads]
        for p, g in zip(params, grads, strict=True):
            p.grad = lib.tensor(g)
        total = lib.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        results.append((total, [p.grad for p in params]))
    assert_close("clip_grad_norm_ total", results[0][0], results[1][0], np.float64)
    for ours, theirs in zip(results[0][1], results[1][1], strict=True):
        assert_close("clip_grad_norm_ grads", ours, theirs, np.float64)


def test_clip_grad_value_and_vectors_match_torch():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 3)) * 2, rng.standard_normal(4)]
    outs = []
    for lib in (cnnlab, torch):
        params = [lib.tensor(np.ones(g.shape), requires_grad=True) for g in grads]
        for p, g in zip(params, grads, strict=True):
            p.grad = lib.tensor(g)
        lib.nn.utils.clip_grad_value_(params, 0.5)
        vec = lib.nn.utils.parameters_to_vector(params)
        lib.nn.utils.vector_to_parameters(vec * 2, params)
        outs.append([p.grad.numpy() for p in params] + [vec.detach().numpy(), params[1].detach()])
    for ours, theirs in zip(*outs, strict=True):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))


def test_clip_grad_norm_of_a_nonfinite_norm_can_raise():
    p = cnnlab.tensor([1.0], requires_grad=True)
    p.grad = cnnlab.tensor([float("inf")])
    with pytest.raises(RuntimeError, match="non-finite"):
        cnnlab.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
