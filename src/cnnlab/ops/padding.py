"""Padding of the last dimensions by a constant, by reflection, by replication or circularly
(``F.pad``), and its backward.

``pad = (left_last, right_last, left_second_last, right_second_last, ...)`` as in PyTorch; a
negative amount crops (constant mode). Every mode is an index map per axis: output position
``i`` reads input position ``index[i]`` (``-1``: the constant), so the backward adds each output
gradient back at ``index[i]``.
"""

from __future__ import annotations

import numpy as np

MODES = ("constant", "reflect", "replicate", "circular")
_NUMPY_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """The input position each output position reads along one axis of length ``n``."""
    if mode == "constant":
        positions = np.arange(-before, n + after)
        return np.where((positions >= 0) & (positions < n), positions, -1)
    if min(before, after) < 0:
        raise NotImplementedError(f"pad: negative padding with mode={mode!r}")
    if mode == "reflect" and max(before, after) >= n:
        raise ValueError(
            f"pad: reflect padding ({before}, {after}) must be smaller than the dimension it "
            f"pads ({n})"
        )
    if mode == "circular" and max(before, after) > n:
        raise ValueError(
            f"pad: circular padding ({before}, {after}) must be at most the dimension it pads ({n})"
        )
    return np.pad(np.arange(n), (before, after), mode=_NUMPY_MODE[mode])


def _axis_plans(shape: tuple[int, ...], pad: tuple[int, ...], mode: str):
    """``(axis, index)`` for each padded axis, the last axis first."""
    plans = []
    for k in range(len(pad) // 2):
        axis = len(shape) - 1 - k
        plans.append((axis, pad_index(shape[axis], pad[2 * k], pad[2 * k + 1], mode)))
    return plans


def check_pad(shape: tuple[int, ...], pad: tuple[int, ...], mode: str) -> None:
    """Validate ``pad`` against the input shape as PyTorch does."""
    if mode not in MODES:
        raise NotImplementedError(f"pad: mode must be one of {MODES}, got {mode!r}")
    if len(pad) % 2 or len(pad) // 2 > len(shape):
        raise ValueError(
            f"pad: padding length must be even and at most twice the number of dimensions "
            f"({len(shape)}), got {len(pad)}"
        )
    dims = len(pad) // 2
    if mode != "constant" and len(shape) not in (dims + 1, dims + 2):
        raise NotImplementedError(
            f"pad: mode={mode!r} pads the last {dims} dimension(s) of a {dims + 1}-D or "
            f"{dims + 2}-D input (as PyTorch), got a {len(shape)}-D input"
        )
    for k in range(len(pad) // 2):
        size = shape[len(shape) - 1 - k] + pad[2 * k] + pad[2 * k + 1]
        if size < 0 or (size == 0 and mode != "constant"):
            raise ValueError(f"pad: padding {pad} leaves an empty or negative size for {shape}")


def pad(x: np.ndarray, pad: tuple[int, ...], mode: str = "constant", value: float = 0.0):
    """``x`` padded on its last ``len(pad) // 2`` dimensions: (*, n_k) -> (*, n_k + before +
    after)."""
    check_pad(x.shape, pad, mode)
    out = x
    for axis, index in _axis_plans(x.shape, pad, mode):
        out = np.take(out, np.maximum(index, 0), axis=axis)
        if (index < 0).any():
            shape = [1] * out.ndim
            shape[axis] = -1
            out = np.where((index < 0).reshape(shape), np.asarray(value, x.dtype), out)
    return out if out is not x else x.copy()


def pad_backward(grad: np.ndarray, input_shape: tuple[int, ...], pad: tuple[int, ...], mode: str):
    """Each output gradient added back at the input position it was read from."""
    plans = _axis_plans(input_shape, pad, mode)
    for axis, index in reversed(plans):
        moved = np.moveaxis(grad, axis, 0)
        out = np.zeros((input_shape[axis], *moved.shape[1:]), dtype=grad.dtype)
        inside = index >= 0
        if mode == "constant":  # each input position is read once
            out[index[inside]] = moved[inside]
        else:
            np.add.at(out, index[inside], moved[inside])
        grad = np.moveaxis(out, 0, axis)
    return np.ascontiguousarray(grad)
