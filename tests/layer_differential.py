"""The same call (``compare``) or layer (``twins``, ``compare_layer``) run on cnnlab and on
PyTorch with the same values, the output and every gradient compared."""

import copy

import numpy as np
import torch
import torch.nn.functional as TF

import cnnlab
import cnnlab.nn.functional as F
from reference import assert_close_conditioned


def compare(name, fn, arrays, dtype, seed, differentiable=None):
    """``fn(F, lib, *tensors)`` in both libraries: forward and gradients of the float inputs."""
    differentiable = differentiable or [True] * len(arrays)
    runs = [(F, cnnlab, arrays), (TF, torch, arrays)]
    if np.dtype(dtype) == np.float32:  # the same values in float64, for ill-conditioned cases
        runs.append((TF, torch, [a.astype(np.float64) for a in arrays]))
    results = []
    for functional, lib, values in runs:
        tensors = [
            lib.tensor(a, requires_grad=d) for a, d in zip(values, differentiable, strict=True)
        ]
        out = fn(functional, lib, *tensors)
        grad = np.random.default_rng([seed, 1]).standard_normal(tuple(out.shape)).astype(dtype)
        out.backward(lib.tensor(grad.astype(values[0].dtype)))
        results.append((out, [t.grad for t, d in zip(tensors, differentiable, strict=True) if d]))
    (out, grads), (ref, ref_grads) = results[:2]
    exact, exact_grads = results[-1]
    assert out.shape == tuple(ref.shape)
    assert str(out.dtype) == str(ref.dtype).removeprefix("torch.")
    assert_close_conditioned(f"F.{name} forward", out, ref, exact, dtype)
    for i, (ours, theirs, best) in enumerate(zip(grads, ref_grads, exact_grads, strict=True)):
        assert_close_conditioned(f"F.{name} grad {i}", ours, theirs, best, dtype)


def twins(name, *args, dtype=np.float64, **kwargs):
    """The same layer in both libraries, cnnlab's loaded from torch's state_dict."""
    theirs = getattr(torch.nn, name)(*args, **kwargs).to(getattr(torch, np.dtype(dtype).name))
    ours = getattr(cnnlab.nn, name)(*args, **kwargs).to(dtype)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def run_layer(lib, layer, x, seed=0, targets=None):
    """Forward ``layer`` on ``x``, backpropagate one random output gradient; return the output
    and the gradients of the input and of each parameter (by name)."""
    xt = lib.tensor(x, requires_grad=True)
    out = layer(xt, *(() if targets is None else (lib.tensor(targets),)))
    grad_rng = np.random.default_rng([seed, 1])  # a stream apart from the one that made x
    grad = grad_rng.standard_normal(tuple(out.shape)).astype(np.float32).astype(x.dtype)
    out.backward(lib.tensor(grad))
    return out, {"input": xt.grad, **{k: p.grad for k, p in layer.named_parameters()}}


def compare_layer(name, ours, theirs, x, seed=0, targets=None):
    """Output and all gradients, cnnlab vs torch; for float32 also torch in float64 from the
    same values (a copy of the layer), for ill-conditioned cases."""
    exact_layer = copy.deepcopy(theirs).double() if x.dtype == np.float32 else None
    out, grads = run_layer(cnnlab, ours, x, seed, targets)
    ref, ref_grads = run_layer(torch, theirs, x, seed, targets)
    exact, exact_grads = ref, ref_grads
    if exact_layer is not None:
        exact, exact_grads = run_layer(torch, exact_layer, x.astype(np.float64), seed, targets)
    assert out.shape == tuple(ref.shape)
    assert set(grads) == set(ref_grads)
    assert_close_conditioned(f"{name} forward", out, ref, exact, x.dtype)
    for key, theirs_grad in ref_grads.items():
        assert_close_conditioned(
            f"{name} grad {key}", grads[key], theirs_grad, exact_grads[key], x.dtype
        )
