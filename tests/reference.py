"""Comparing the NumPy engine with PyTorch: tolerances, conversions, and a record of errors.

The error of a result is ``max |actual - expected| / max |expected|`` over the whole tensor
(the norm-wise relative error); it must stay within 1e-10 in float64 and 1e-5 in float32.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch

import cnnlab

TOLERANCE = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-5}
DTYPES = (np.float64, np.float32)
LARGEST_ERRORS: dict[str, float] = defaultdict(float)


def relative_error(actual, expected) -> float:
    actual, expected = to_numpy(actual), to_numpy(expected)
    if actual.shape != expected.shape:
        raise AssertionError(f"shape {actual.shape} != expected {expected.shape}")
    if expected.size == 0:
        return 0.0
    scale = np.abs(expected).max()
    difference = np.abs(actual.astype(np.float64) - expected.astype(np.float64)).max()
    return float(difference / scale) if scale > 0 else float(difference)


def assert_close(name: str, actual, expected, dtype) -> None:
    """Assert the relative error is within the tolerance of ``dtype``; record it under ``name``."""
    error = relative_error(actual, expected)
    key = f"{name} ({np.dtype(dtype).name})"
    LARGEST_ERRORS[key] = max(LARGEST_ERRORS[key], error)
    tolerance = TOLERANCE[np.dtype(dtype)]
    assert error <= tolerance, f"{name}: relative error {error:.3g} > {tolerance:g}"


def assert_close_conditioned(name: str, actual, expected, exact, dtype) -> None:
    """``assert_close``, unless PyTorch's own float32 result is off its float64 one (``exact``,
    from the same inputs) by more than 1e-6: such a problem is ill-conditioned (a softmax near
    one-hot, say), and two sound float32 engines may differ by far more than 1e-5. There cnnlab
    must be no farther from ``exact`` than 1e-5 or ten times PyTorch's own error."""
    if np.dtype(dtype) == np.float32:
        torch_error = relative_error(expected, exact)
        if torch_error > 1e-6:
            error = relative_error(actual, exact)
            key = f"{name} (float32, ill-conditioned: vs float64)"
            LARGEST_ERRORS[key] = max(LARGEST_ERRORS[key], error)
            bound = max(TOLERANCE[np.dtype(dtype)], 10 * torch_error)
            assert error <= bound, (
                f"{name}: relative error {error:.3g} from float64 > {bound:.3g} (PyTorch's float32 "
                f"result is off by {torch_error:.3g})"
            )
            return
    assert_close(name, actual, expected, dtype)


def to_numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    if isinstance(value, cnnlab.Tensor):
        return value.detach().numpy()
    return np.asarray(value)


def pair_of_leaves(array: np.ndarray, requires_grad: bool = True):
    """The same values as a cnnlab tensor and a torch tensor, both leaves."""
    ours = cnnlab.tensor(array.copy(), requires_grad=requires_grad)
    theirs = torch.tensor(array.copy(), requires_grad=requires_grad)
    return ours, theirs
