"""Functional forms that change an image's size: adaptive pooling, padding and interpolation
(re-exported by ``cnnlab.nn.functional``)."""

from __future__ import annotations

import math
import warnings

import numpy as np

from cnnlab.autograd import resize_ops
from cnnlab.autograd.tensor import Tensor
from cnnlab.nn.checks import batched, check_tensor
from cnnlab.ops import adaptive, padding


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """The mean of each of ``output_size`` bins (int, pair, ``None`` keeps that size), as
    PyTorch bins: ``[floor(i H / Ho), ceil((i + 1) H / Ho))``. Input (N, C, H, W) or (C, H, W)."""
    check_tensor("adaptive_avg_pool2d", "input", input)
    x, unbatched = batched("adaptive_avg_pool2d", input)
    out = resize_ops.AdaptiveAvgPool2d.apply(x, output_size=output_size)
    return out.squeeze(0) if unbatched else out


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """The maximum of each adaptive bin (see :func:`adaptive_avg_pool2d`); with
    ``return_indices`` also its flat position ``row * W + col``."""
    check_tensor("adaptive_max_pool2d", "input", input)
    x, unbatched = batched("adaptive_max_pool2d", input)
    out = resize_ops.AdaptiveMaxPool2d.apply(x, output_size=output_size)
    if not return_indices:
        return out.squeeze(0) if unbatched else out
    if out.grad_fn is not None:
        indices = Tensor._wrap(out.grad_fn.indices)
    else:
        indices = Tensor._wrap(adaptive.adaptive_max_pool2d(x._data, output_size)[1])
    return (out.squeeze(0), indices.squeeze(0)) if unbatched else (out, indices)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last ``len(pad) // 2`` dimensions, ``pad = (left, right, top, bottom, ...)``
    (last dimension first); ``mode`` is ``constant`` (with ``value``), ``reflect``,
    ``replicate`` or ``circular``."""
    check_tensor("pad", "input", input, floating=mode != "constant")
    amounts = tuple(int(p) for p in pad)
    if value is not None and mode != "constant":
        raise ValueError(
            f"pad: padding value is only meaningful with mode='constant', got {mode!r}"
        )
    padding.check_pad(tuple(input.shape), amounts, mode)
    return resize_ops.Pad.apply(input, pad=amounts, mode=mode, value=value or 0.0)


def _output_size(name: str, input: Tensor, size, scale_factor) -> tuple:
    """``(Ho, Wo)`` and the scale factors the kernels use (None where the size decides)."""
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{name}: exactly one of size or scale_factor must be given")
    if size is not None:
        sizes = (size, size) if isinstance(size, int | np.integer) else tuple(size)
        if len(sizes) != 2 or not all(isinstance(s, int | np.integer) and s > 0 for s in sizes):
            raise ValueError(f"{name}: size must be a positive int or a pair, got {size!r}")
        return tuple(int(s) for s in sizes), (None, None)
    factors = (
        (scale_factor, scale_factor)
        if isinstance(scale_factor, int | float)
        else tuple(scale_factor)
    )
    if len(factors) != 2 or not all(f > 0 for f in factors):
        raise ValueError(
            f"{name}: scale_factor must be a positive number or a pair, got {scale_factor!r}"
        )
    sizes = tuple(
        math.floor(float(n) * float(f)) for n, f in zip(input.shape[-2:], factors, strict=True)
    )
    if min(sizes) < 1:
        raise ValueError(
            f"{name}: scale_factor={scale_factor!r} gives an empty output "
            f"{tuple(input.shape[-2:])} -> {sizes}"
        )
    return sizes, tuple(float(f) for f in factors)


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    """Resize (N, C, H, W) to ``size`` or by ``scale_factor``: ``mode`` ``nearest``,
    ``nearest-exact``, ``bilinear`` (with ``align_corners``) or ``area``; PyTorch's
    source positions, so the result is PyTorch's."""
    check_tensor("interpolate", "input", input)
    if input.ndim != 4:
        raise NotImplementedError(
            f"interpolate: only 4-D (N, C, H, W) input, got shape {tuple(input.shape)}"
        )
    if antialias:
        raise NotImplementedError("interpolate: antialias=True")
    if align_corners is not None and mode != "bilinear":
        raise ValueError(
            "interpolate: align_corners option can only be set with the interpolating modes: "
            "linear | bilinear | bicubic | trilinear"
        )
    out_size, factors = _output_size("interpolate", input, size, scale_factor)
    if recompute_scale_factor:
        if size is not None:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        factors = (None, None)
    if mode == "area":
        return adaptive_avg_pool2d(input, out_size)
    if mode not in ("nearest", "nearest-exact", "bilinear"):
        raise NotImplementedError(f"interpolate: mode={mode!r}")
    return resize_ops.Interpolate.apply(
        input,
        size=out_size,
        mode=mode,
        align_corners=bool(align_corners),
        scale_factors=factors,
    )


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None) -> Tensor:
    """Deprecated name of :func:`interpolate`."""
    warnings.warn(
        "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
        stacklevel=2,
    )
    return interpolate(input, size, scale_factor, mode, align_corners)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(N, C r^2, H, W) -> (N, C, H r, W r): each group of r^2 channels tiles an r x r block."""
    r = upscale_factor
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise ValueError(
            f"pixel_shuffle: input channels ({c}) must be divisible by upscale_factor^2 ({r * r})"
        )
    x = input.reshape(-1, c // (r * r), r, r, h, w).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(N, C, H r, W r) -> (N, C r^2, H, W): the inverse of :func:`pixel_shuffle`."""
    r = downscale_factor
    *batch, c, h, w = input.shape
    if h % r or w % r:
        raise ValueError(
            f"pixel_unshuffle: height ({h}) and width ({w}) must be divisible by "
            f"downscale_factor ({r})"
        )
    x = input.reshape(-1, c, h // r, r, w // r, r).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(*batch, c * r * r, h // r, w // r)


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """ShuffleNet's channel shuffle: (N, g * k, *) read as (N, g, k, *) and transposed to
    (N, k, g, *), so the next grouped convolution mixes the groups."""
    n, c = input.shape[:2]
    if c % groups:
        raise ValueError(
            f"channel_shuffle: number of channels ({c}) must be divisible by groups ({groups})"
        )
    rest = tuple(input.shape[2:])
    return input.reshape(n, groups, c // groups, *rest).transpose(1, 2).reshape(n, c, *rest)
