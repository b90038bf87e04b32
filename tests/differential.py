"""Differential checks of ops against PyTorch, shared by the test modules: inputs away from
the places an op is not smooth, forward and every gradient compared on both libraries, and
finite differences."""

from __future__ import annotations

import numpy as np
import torch

import cnnlab
from cnnlab.autograd.gradcheck import gradcheck
from reference import assert_close_conditioned


def dtype_name(t) -> str:
    """``float32``, ``int64``, ``bool``, ... for a cnnlab or a torch tensor."""
    if isinstance(t, torch.Tensor):
        return str(t.dtype).removeprefix("torch.")
    return np.dtype(t.dtype).name


def both(fn):
    """``fn(cnnlab)`` and ``fn(torch)``, or the exception types each raised."""
    results = []
    for lib in (cnnlab, torch):
        try:
            results.append(fn(lib))
        except Exception as error:
            results.append(type(error))
    return results


UNSATURATED = {np.dtype(np.float32): 2.0, np.dtype(np.float64): 5.0}


def values(rng, shape, dtype, kind):
    """Inputs away from the places an op is not smooth, so finite differences hold."""
    x = rng.standard_normal(shape)
    if kind == "positive":
        x = 0.5 + np.abs(x)
    elif kind == "unsaturated":  # see SATURATION in tests/nn/test_functional.py
        x = np.clip(x, -UNSATURATED[np.dtype(dtype)], UNSATURATED[np.dtype(dtype)])
    elif kind == "away_from_zero":
        x = np.sign(x + 1e-300) * (0.3 + np.abs(x))
    return x.astype(dtype)


def run(lib, fn, arrays, grad):
    """``fn(lib, *tensors)`` and the gradients of its inputs for the output gradient ``grad``."""
    tensors = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *tensors)
    out.backward(lib.tensor(grad.astype(dtype_name(out))))
    return out, [t.grad for t in tensors]


def check_against_torch(name, fn, arrays, dtype, seed=0):
    """Forward and the gradient of every input of ``fn(lib, *tensors)``, cnnlab vs torch (and,
    for float32, torch in float64 from the same values, for ill-conditioned cases)."""
    shape = tuple(fn(torch, *(torch.tensor(a) for a in arrays)).shape)
    grad = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    (out, grads), (ref, ref_grads) = (run(lib, fn, arrays, grad) for lib in (cnnlab, torch))
    exact, exact_grads = ref, ref_grads
    if np.dtype(dtype) == np.float32:
        exact, exact_grads = run(torch, fn, [a.astype(np.float64) for a in arrays], grad)
    assert dtype_name(out) == dtype_name(ref), name
    assert out.shape == tuple(ref.shape), name
    assert_close_conditioned(f"{name} forward", out, ref, exact, dtype)
    for i, (a, b, c) in enumerate(zip(grads, ref_grads, exact_grads, strict=True)):
        assert dtype_name(a) == dtype_name(b)
        assert_close_conditioned(f"{name} grad {i}", a, b, c, dtype)


def check_by_finite_differences(fn, arrays):
    inputs = [cnnlab.tensor(a.astype(np.float64), requires_grad=True) for a in arrays]
    assert gradcheck(lambda *ts: fn(cnnlab, *ts), inputs)
