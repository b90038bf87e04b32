"""Compiled loops (numba) for the hot paths: im2col/col2im and pooling.

Each kernel computes exactly what its NumPy reference in ``conv.py`` or ``pool.py`` computes;
the tests hold them equal. They read inputs of any strides and handle zero padding by bounds
checks instead of padded copies. Outputs that travel on to the next layer are allocated
channel-major, (C, N, H, W) in memory, and returned as (N, C, H, W) views: a convolution's
matrix product yields that layout, so keeping it saves a transpose at every layer.

Compiled code is cached on disk (``cache=True``): only the first run on a machine compiles.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types

# One compiled version per dtype, for arrays of any strides ("A" layout), inputs read-only (a
# broadcast gradient is a read-only view): fixed signatures keep numba from compiling again for
# every new combination of memory layouts it meets.
def _signatures(*parts: str) -> list:
    """Signatures for float32 and float64: ``"in4"``/``"in2"`` are read-only float arrays,
    ``"out4"``/``"out2"`` writable ones, ``"index"`` read-only int64 (4-D), ``"index_out"``
    writable int64, ``"int"`` an int64 scalar."""
    result = []
    for f in (types.float32, types.float64):
        table = {
            "in4": types.Array(f, 4, "A", readonly=True),
            "in2": types.Array(f, 2, "A", readonly=True),
            "out4": types.Array(f, 4, "A"),
            "out2": types.Array(f, 2, "A"),
            "index": types.Array(types.int64, 4, "A", readonly=True),
            "index_out": types.Array(types.int64, 4, "A"),
            "int": types.int64,
        }
        result.append(types.void(*(table[p] for p in parts)))
    return result


def _ints(n: int) -> list[str]:
    return ["int"] * n


def channel_major(shape: tuple[int, int, int, int], dtype, fill=None) -> np.ndarray:
    """An (N, C, H, W) array whose memory is laid out (C, N, H, W)."""
    n, c, h, w = shape
    if fill is None:
        memory = np.empty((c, n, h, w), dtype=dtype)
    elif fill == 0:
        memory = np.zeros((c, n, h, w), dtype=dtype)
    else:
        memory = np.full((c, n, h, w), fill, dtype=dtype)
    return memory.transpose(1, 0, 2, 3)


@njit(_signatures("in4", *_ints(10), "out2"), parallel=True, cache=True, nogil=True)
def _im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols):
    n_images, channels, height, width = x.shape
    taps = kh * kw
    for row in prange(channels * taps):
        c, tap = row // taps, row % taps
        u, v = tap // kw, tap % kw
        for n in range(n_images):
            base = n * ho * wo
            for i in range(ho):
                r = i * sh - ph + u * dh
                at = base + i * wo
                if r < 0 or r >= height:
                    for j in range(wo):
                        cols[row, at + j] = 0
                    continue
                for j in range(wo):
                    s = j * sw - pw + v * dw
                    cols[row, at + j] = x[n, c, r, s] if 0 <= s < width else 0


def im2col(x, kernel, stride, padding, dilation, out_hw) -> np.ndarray:
    """``X_col`` (C * kh * kw, N * Ho * Wo) straight from the unpadded input (N, C, H, W)."""
    n, c = x.shape[:2]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = kernel, stride, padding, dilation, out_hw
    cols = np.empty((c * kh * kw, n * ho * wo), dtype=x.dtype)
    _im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols)
    return cols


@njit(_signatures("in2", *_ints(10), "out4"), parallel=True, cache=True, nogil=True)
def _col2im(cols, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, out):
    n_images, channels, height, width = out.shape
    for c in prange(channels):
        for u in range(kh):
            for v in range(kw):
                row = (c * kh + u) * kw + v
                for n in range(n_images):
                    base = n * ho * wo
                    for i in range(ho):
                        r = i * sh - ph + u * dh
                        if r < 0 or r >= height:
                            continue
                        at = base + i * wo
                        for j in range(wo):
                            s = j * sw - pw + v * dw
                            if 0 <= s < width:
                                out[n, c, r, s] += cols[row, at + j]


def col2im(cols, shape, kernel, stride, padding, dilation, out_hw) -> np.ndarray:
    """Add the columns back into an unpadded (N, C, H, W) gradient (laid out channel-major)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = kernel, stride, padding, dilation, out_hw
    out = channel_major(shape, cols.dtype, fill=0)
    _col2im(cols, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, out)
    return out


@njit(_signatures("in4", *_ints(8), "out4", "index_out"), parallel=True, cache=True, nogil=True)
def _max_pool(x, kh, kw, sh, sw, ph, pw, dh, dw, out, index):
    n_images, channels, height, width = x.shape
    ho, wo = out.shape[2], out.shape[3]
    for plane in prange(n_images * channels):
        c, n = plane // n_images, plane % n_images
        for i in range(ho):
            r0 = i * sh - ph
            while r0 < 0:
                r0 += dh
            for j in range(wo):
                s0 = j * sw - pw
                while s0 < 0:
                    s0 += dw
                best = -np.inf
                where = r0 * width + s0
                for u in range(kh):
                    r = i * sh - ph + u * dh
                    if r < 0 or r >= height:
                        continue
                    for v in range(kw):
                        s = j * sw - pw + v * dw
                        if s < 0 or s >= width:
                            continue
                        value = x[n, c, r, s]
                        if value > best or np.isnan(value):
                            best = value
                            where = r * width + s
                out[n, c, i, j] = best
                index[n, c, i, j] = where


def max_pool(x, kernel, stride, padding, dilation, out_hw) -> tuple[np.ndarray, np.ndarray]:
    """Maxima and their flat positions, as ``pool.max_pool2d`` computes them."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    shape = (x.shape[0], x.shape[1], *out_hw)
    out, index = channel_major(shape, x.dtype), channel_major(shape, np.int64)
    _max_pool(x, kh, kw, sh, sw, ph, pw, dh, dw, out, index)
    return out, index


@njit(_signatures("in4", "index", "out4"), parallel=True, cache=True, nogil=True)
def _max_pool_backward(grad, index, out):
    n_images, channels, ho, wo = grad.shape
    width = out.shape[3]
    for plane in prange(n_images * channels):
        c, n = plane // n_images, plane % n_images
        for i in range(ho):
            for j in range(wo):
                where = index[n, c, i, j]
                out[n, c, where // width, where % width] += grad[n, c, i, j]


def max_pool_backward(grad, index, shape) -> np.ndarray:
    """Each output gradient added at its maximum's position, eq. (8.15)."""
    out = channel_major(shape, grad.dtype, fill=0)
    _max_pool_backward(grad, index, out)
    return out


@njit(_signatures("in4", *_ints(6), "in2", "out4"), parallel=True, cache=True, nogil=True)
def _avg_pool(x, kh, kw, sh, sw, ph, pw, divisors, out):
    n_images, channels, height, width = x.shape
    ho, wo = out.shape[2], out.shape[3]
    for plane in prange(n_images * channels):
        c, n = plane // n_images, plane % n_images
        for i in range(ho):
            for j in range(wo):
                total = 0.0
                for r in range(max(i * sh - ph, 0), min(i * sh - ph + kh, height)):
                    for s in range(max(j * sw - pw, 0), min(j * sw - pw + kw, width)):
                        total += x[n, c, r, s]
                out[n, c, i, j] = total / divisors[i, j]


def avg_pool(x, kernel, stride, padding, divisors) -> np.ndarray:
    """Window sums over the given divisors (Ho, Wo), as ``pool.avg_pool2d`` computes them."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    out = channel_major((x.shape[0], x.shape[1], *divisors.shape), x.dtype)
    _avg_pool(x, kh, kw, sh, sw, ph, pw, divisors.astype(x.dtype), out)
    return out


@njit(_signatures("in4", *_ints(6), "in2", "out4"), parallel=True, cache=True, nogil=True)
def _avg_pool_backward(grad, kh, kw, sh, sw, ph, pw, divisors, out):
    n_images, channels, height, width = out.shape
    ho, wo = grad.shape[2], grad.shape[3]
    for plane in prange(n_images * channels):
        c, n = plane // n_images, plane % n_images
        for i in range(ho):
            for j in range(wo):
                share = grad[n, c, i, j] / divisors[i, j]
                for r in range(max(i * sh - ph, 0), min(i * sh - ph + kh, height)):
                    for s in range(max(j * sw - pw, 0), min(j * sw - pw + kw, width)):
                        out[n, c, r, s] += share


def avg_pool_backward(grad, shape, kernel, stride, padding, divisors) -> np.ndarray:
    """Each output gradient spread evenly over its window, eq. (8.17)."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    out = channel_major(shape, grad.dtype, fill=0)
    _avg_pool_backward(grad, kh, kw, sh, sw, ph, pw, divisors.astype(grad.dtype), out)
    return out
