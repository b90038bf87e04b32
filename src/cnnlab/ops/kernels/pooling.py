"""Max and average pooling (eqs. 8.13-8.17), compiled: equal to the NumPy references in
``pool.py``, on channel-major arrays (see ``compiling.py``)."""

from __future__ import annotations

import numpy as np

from cnnlab.ops.kernels.compiling import (
    as_channel_major,
    as_nchw,
    at,
    channel_major_empty,
    inside,
    ints,
    kernel,
)
from cnnlab.ops.threads import run_split


@kernel("in4", *ints(8), "out4", "index_out", *ints(2))
def _max_pool(x, kh, kw, sh, sw, ph, pw, dh, dw, out, index, start, stop):
    height, width = x.shape[2], x.shape[3]
    ho, wo = out.shape[2], out.shape[3]
    source, maxima, positions = x.ravel(), out.ravel(), index.ravel()
    for plane in range(start, stop):  # plane (c, n)
        for i in range(ho):
            top = i * sh - ph
            u0, u1 = inside(kh, dh, top, height)
            for j in range(wo):
                left = j * sw - pw
                v0, v1 = inside(kw, dw, left, width)
                best = -np.inf
                where = (top + u0 * dh) * width + left + v0 * dw
                for u in range(u0, u1):
                    r = top + u * dh
                    for v in range(v0, v1):
                        value = source[at(plane * height * width + r * width + left + v * dw)]
                        if value > best:
                            best = value
                            where = r * width + left + v * dw
                maxima[at((plane * ho + i) * wo + j)] = best
                positions[at((plane * ho + i) * wo + j)] = where


@kernel("in4", *ints(4), "out4", "index_out", *ints(2))
def _max_pool_inside(x, kh, kw, sh, sw, out, index, start, stop):
    """:func:`_max_pool` for windows that all lie inside the input (no padding, no dilation,
    the usual case): no bounds to find."""
    height, width = x.shape[2], x.shape[3]
    ho, wo = out.shape[2], out.shape[3]
    source, maxima, positions = x.ravel(), out.ravel(), index.ravel()
    for plane in range(start, stop):
        for i in range(ho):
            for j in range(wo):
                where = i * sh * width + j * sw
                best = source[at(plane * height * width + where)]
                for u in range(kh):
                    row = (i * sh + u) * width + j * sw
                    for v in range(kw):
                        value = source[at(plane * height * width + row + v)]
                        if value > best:
                            best = value
                            where = row + v
                maxima[at((plane * ho + i) * wo + j)] = best
                positions[at((plane * ho + i) * wo + j)] = where


@kernel("in4", "out4", "index_out", *ints(2))
def _max_pool_2x2(x, out, index, start, stop):
    """:func:`_max_pool_inside` for 2 x 2 windows at stride 2, the taps written out: four
    times as fast."""
    height, width = x.shape[2], x.shape[3]
    ho, wo = out.shape[2], out.shape[3]
    source, maxima, positions = x.ravel(), out.ravel(), index.ravel()
    for plane in range(start, stop):
        base = plane * height * width
        for i in range(ho):
            top, bottom = 2 * i * width, (2 * i + 1) * width
            for j in range(wo):
                a = source[at(base + top + 2 * j)]
                b = source[at(base + top + 2 * j + 1)]
                c = source[at(base + bottom + 2 * j)]
                d = source[at(base + bottom + 2 * j + 1)]
                best, where = a, top + 2 * j
                if b > best:
                    best, where = b, top + 2 * j + 1
                if c > best:
                    best, where = c, bottom + 2 * j
                if d > best:
                    best, where = d, bottom + 2 * j + 1
                maxima[at((plane * ho + i) * wo + j)] = best
                positions[at((plane * ho + i) * wo + j)] = where


def max_pool(x, kernel, stride, padding, dilation, out_hw) -> tuple[np.ndarray, np.ndarray]:
    """Maxima and their flat positions, as ``pool.max_pool2d_reference`` computes them, for
    inputs without NaN (the caller sends those to the reference, where NaN wins as in PyTorch:
    a NaN test in the inner loop would slow every input down 2.5 times)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = kernel, stride, padding, dilation, out_hw
    shape = (x.shape[0], x.shape[1], ho, wo)
    out = channel_major_empty(shape, x.dtype)
    index = channel_major_empty(shape, np.int64)
    planes, source = shape[0] * shape[1], as_channel_major(x)
    within = (ph, pw, dh, dw) == (0, 0, 1, 1) and (
        (ho - 1) * sh + kh <= x.shape[2] and (wo - 1) * sw + kw <= x.shape[3]
    )
    if within and (kh, kw, sh, sw) == (2, 2, 2, 2):
        run_split(_max_pool_2x2[x.dtype], planes, x.size, source, out, index)
    elif within:
        run_split(_max_pool_inside[x.dtype], planes, x.size, source, kh, kw, sh, sw, out, index)
    else:
        geometry = (kh, kw, sh, sw, ph, pw, dh, dw)
        run_split(_max_pool[x.dtype], planes, x.size, source, *geometry, out, index)
    return as_nchw(out), as_nchw(index)


@kernel("in4", "index", "out4", *ints(2))
def _max_pool_backward(grad, index, out, start, stop):
    size = grad.shape[2] * grad.shape[3]
    plane_size = out.shape[2] * out.shape[3]
    source, positions, target = grad.ravel(), index.ravel(), out.ravel()
    for plane in range(start, stop):
        for k in range(plane * size, (plane + 1) * size):
            target[at(plane * plane_size + positions[at(k)])] += source[at(k)]


def max_pool_backward(grad, index, shape) -> np.ndarray:
    """Each output gradient added at its maximum's position, eq. (8.15)."""
    out = channel_major_empty(shape, grad.dtype, zero=True)
    run_split(
        _max_pool_backward[grad.dtype],
        shape[0] * shape[1],
        grad.size,
        as_channel_major(grad),
        as_channel_major(index),
        out,
    )
    return as_nchw(out)


@kernel("in4", *ints(6), "in2", "out4", *ints(2))
def _avg_pool(x, kh, kw, sh, sw, ph, pw, divisors, out, start, stop):
    n_images, height, width = x.shape[1], x.shape[2], x.shape[3]
    ho, wo = out.shape[2], out.shape[3]
    for plane in range(start, stop):
        c, n = plane // n_images, plane % n_images
        for i in range(ho):
            r0, r1 = max(i * sh - ph, 0), min(i * sh - ph + kh, height)
            for j in range(wo):
                s0, s1 = max(j * sw - pw, 0), min(j * sw - pw + kw, width)
                total = 0.0
                for r in range(r0, r1):
                    for s in range(s0, s1):
                        total += x[c, n, r, s]
                out[c, n, i, j] = total / divisors[i, j]


def avg_pool(x, kernel, stride, padding, divisors) -> np.ndarray:
    """Window sums over the given divisors (Ho, Wo), as ``pool.avg_pool2d_reference`` does."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    out = channel_major_empty((x.shape[0], x.shape[1], *divisors.shape), x.dtype)
    run_split(
        _avg_pool[x.dtype],
        x.shape[0] * x.shape[1],
        x.size,
        as_channel_major(x),
        kh,
        kw,
        sh,
        sw,
        ph,
        pw,
        divisors.astype(x.dtype),
        out,
    )
    return as_nchw(out)


@kernel("in4", *ints(6), "in2", "out4", *ints(2))
def _avg_pool_backward(grad, kh, kw, sh, sw, ph, pw, divisors, out, start, stop):
    n_images, height, width = out.shape[1], out.shape[2], out.shape[3]
    ho, wo = grad.shape[2], grad.shape[3]
    for plane in range(start, stop):
        c, n = plane // n_images, plane % n_images
        for i in range(ho):
            r0, r1 = max(i * sh - ph, 0), min(i * sh - ph + kh, height)
            for j in range(wo):
                s0, s1 = max(j * sw - pw, 0), min(j * sw - pw + kw, width)
                share = grad[c, n, i, j] / divisors[i, j]
                for r in range(r0, r1):
                    for s in range(s0, s1):
                        out[c, n, r, s] += share


def avg_pool_backward(grad, shape, kernel, stride, padding, divisors) -> np.ndarray:
    """Each output gradient spread evenly over its window, eq. (8.17)."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    out = channel_major_empty(shape, grad.dtype, zero=True)
    run_split(
        _avg_pool_backward[grad.dtype],
        shape[0] * shape[1],
        out.size,
        as_channel_major(grad),
        kh,
        kw,
        sh,
        sw,
        ph,
        pw,
        divisors.astype(grad.dtype),
        out,
    )
    return as_nchw(out)
