"""Finite-difference checks of the gradients that ``backward`` computes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from cnnlab.autograd.grad_mode import no_grad
from cnnlab.autograd.tensor import Tensor


class GradcheckError(RuntimeError):
    """An analytic gradient disagrees with its central-difference estimate."""


def _projected(fn: Callable, inputs: Sequence[Tensor], probe: np.ndarray) -> float:
    with no_grad():
        return float((fn(*inputs)._data * probe).sum())


def numerical_gradients(
    fn: Callable, inputs: Sequence[Tensor], probe: np.ndarray, eps: float = 1e-6
) -> list[np.ndarray]:
    """Central differences ``(L(x + eps) - L(x - eps)) / 2 eps`` of ``L = sum(fn(x) * probe)``
    for every element of every input that requires grad."""
    grads = []
    for t in inputs:
        grad = np.zeros_like(t._data)
        if t.requires_grad:
            flat, out = t._data.reshape(-1), grad.reshape(-1)
            for i in range(flat.size):
                saved = flat[i]
                flat[i] = saved + eps
                up = _projected(fn, inputs, probe)
                flat[i] = saved - eps
                down = _projected(fn, inputs, probe)
                flat[i] = saved
                out[i] = (up - down) / (2 * eps)
        grads.append(grad)
    return grads


def gradcheck(
    fn: Callable,
    inputs: Sequence[Tensor],
    eps: float = 1e-6,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    seed: int = 0,
) -> bool:
    """Check ``backward`` through ``fn`` against finite differences (use float64 inputs).

    The output is projected on a random direction, so one backward pass checks every input
    element. Raises :class:`GradcheckError` naming the input and the worst element.
    """
    for t in inputs:
        if t.requires_grad and t.dtype != np.float64:
            raise TypeError(
                f"gradcheck: inputs should be float64 for finite differences, got {t.dtype}"
            )
        t.grad = None
    out = fn(*inputs)
    probe = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
    out.backward(Tensor._wrap(probe))
    numeric = numerical_gradients(fn, inputs, probe, eps)
    for index, (t, expected) in enumerate(zip(inputs, numeric, strict=True)):
        if not t.requires_grad:
            continue
        actual = np.zeros_like(expected) if t.grad is None else t.grad._data
        error = np.abs(actual - expected)
        bound = atol + rtol * np.abs(expected)
        if (error > bound).any():
            worst = np.unravel_index(np.argmax(error - bound), error.shape)
            raise GradcheckError(
                f"gradcheck: input {index} (shape {t._data.shape}): analytic {actual[worst]:.10g} "
                f"but numerical {expected[worst]:.10g} at index {tuple(map(int, worst))}"
            )
    return True
