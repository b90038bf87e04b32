"""Resizing images by nearest-neighbour or bilinear interpolation (``F.interpolate``,
``nn.Upsample``), forward and backward.

Both are separable: along each axis, output position ``i`` is a weighted sum of input positions,
a matrix ``A`` (n_out, n_in); ``y = A_h x A_w^T`` per channel and the backward is
``dx = A_h^T dy A_w``. The source positions follow PyTorch's kernels exactly, in the input's
precision:

* ``nearest``: ``src = min(floor(i * scale), n_in - 1)``, ``scale = n_in / n_out`` or
  ``1 / scale_factor`` (and the shortcuts ``i`` when sizes are equal, ``i // 2`` when doubled);
* ``nearest-exact``: ``src = min(floor((i + 0.5) * scale), n_in - 1)``;
* ``bilinear``: ``src = scale * (i + 0.5) - 0.5`` clamped at 0, or ``i (n_in - 1) / (n_out - 1)``
  with ``align_corners``; weights ``1 - frac`` and ``frac`` on ``floor(src)`` and the next one.
"""

from __future__ import annotations

import numpy as np

MODES = ("nearest", "nearest-exact", "bilinear")


def _scale(n_in: int, n_out: int, scale_factor: float | None, dtype) -> np.floating:
    """PyTorch's ``compute_scales_value``: ``1 / scale_factor`` when given, else n_in / n_out."""
    if scale_factor is not None and scale_factor > 0:
        return dtype.type(1.0 / scale_factor)
    return dtype.type(n_in) / dtype.type(n_out)


def source_positions(
    n_in: int, n_out: int, mode: str, align_corners: bool | None, scale_factor, dtype
) -> tuple[np.ndarray, np.ndarray]:
    """For each output position: the two input positions it reads and the weight of the second
    (nearest modes read one position twice with weight 0)."""
    dtype = np.dtype(dtype)
    out = np.arange(n_out)
    if mode == "nearest":
        if n_out == n_in:
            low = out
        elif n_out == 2 * n_in:
            low = out >> 1
        else:
            scale = _scale(n_in, n_out, scale_factor, np.dtype(np.float32))
            low = np.minimum(np.floor(out.astype(np.float32) * scale).astype(np.int64), n_in - 1)
        return low, low, np.zeros(n_out, dtype)
    if mode == "nearest-exact":
        scale = _scale(n_in, n_out, scale_factor, np.dtype(np.float32))
        shifted = (out.astype(np.float32) + np.float32(0.5)) * scale
        low = np.minimum(np.floor(shifted).astype(np.int64), n_in - 1)
        return low, low, np.zeros(n_out, dtype)
    if align_corners:
        scale = dtype.type(n_in - 1) / dtype.type(n_out - 1) if n_out > 1 else dtype.type(0)
        src = scale * out.astype(dtype)
    else:
        scale = _scale(n_in, n_out, scale_factor, dtype)
        src = np.maximum(scale * (out.astype(dtype) + dtype.type(0.5)) - dtype.type(0.5), 0)
    low = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    frac = np.clip(src - low.astype(dtype), 0, 1).astype(dtype)
    high = np.minimum(low + 1, n_in - 1)
    return low, high, frac


def interpolation_matrix(
    n_in: int, n_out: int, mode: str, align_corners: bool | None, scale_factor, dtype
) -> np.ndarray:
    """``A`` (n_out, n_in): row i holds the weights output i gives the input positions."""
    low, high, frac = source_positions(n_in, n_out, mode, align_corners, scale_factor, dtype)
    matrix = np.zeros((n_out, n_in), dtype=dtype)
    rows = np.arange(n_out)
    np.add.at(matrix, (rows, low), 1 - frac)
    np.add.at(matrix, (rows, high), frac)
    return matrix


def _matrices(in_hw, out_hw, mode, align_corners, scale_factors, dtype):
    return [
        interpolation_matrix(n_in, n_out, mode, align_corners, s, dtype)
        for n_in, n_out, s in zip(in_hw, out_hw, scale_factors, strict=True)
    ]


def interpolate(
    x: np.ndarray,
    size: tuple[int, int],
    mode: str = "nearest",
    align_corners: bool | None = None,
    scale_factors: tuple = (None, None),
) -> np.ndarray:
    """(N, C, H, W) -> (N, C, Ho, Wo) with ``size = (Ho, Wo)``; ``scale_factors`` are the
    user's factors that PyTorch's kernels use for the source positions (None: from the sizes)."""
    if mode not in MODES:
        raise NotImplementedError(f"interpolate: mode={mode!r} (supported: {MODES})")
    a_h, a_w = _matrices(x.shape[2:], size, mode, align_corners, scale_factors, x.dtype)
    if mode != "bilinear":  # one source per output: a gather
        return x[:, :, a_h.argmax(axis=1)][:, :, :, a_w.argmax(axis=1)]
    return np.matmul(np.matmul(a_h, x), a_w.T)


def interpolate_backward(
    grad: np.ndarray,
    input_shape: tuple[int, ...],
    mode: str = "nearest",
    align_corners: bool | None = None,
    scale_factors: tuple = (None, None),
) -> np.ndarray:
    """``dx = A_h^T dy A_w``: (N, C, Ho, Wo) -> (N, C, H, W)."""
    a_h, a_w = _matrices(
        input_shape[2:], grad.shape[2:], mode, align_corners, scale_factors, grad.dtype
    )
    return np.ascontiguousarray(np.matmul(np.matmul(a_h.T, grad), a_w))
