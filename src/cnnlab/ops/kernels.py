"""Compiled loops (numba) for the hot paths: im2col/col2im and pooling.

Each kernel computes exactly what its NumPy reference in ``conv.py`` or ``pool.py`` computes;
the tests hold them equal. Zero padding is handled by computing, once per row, the range of
taps that fall inside the input, instead of padding a copy.

Layout: the kernels work on C-contiguous arrays in channel-major order, (C, N, H, W) in memory,
and hand their results back as (N, C, H, W) views of such arrays. A convolution's matrix product
``W_row @ X_col`` is (K, N * Ho * Wo), channel-major already, so keeping that order from layer to
layer saves a transpose at every layer; an input in another layout is copied once on entry.
Fixed signatures (contiguous arrays, float32 and float64) give numba one compiled version per
dtype, cached on disk (``cache=True``): only the first run on a machine compiles.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types

from cnnlab.ops.threads import run_split


def _signatures(*parts: str) -> list:
    """Signatures for float32 and float64: ``in``/``out`` are read-only/writable float arrays of
    the given rank (``in4``, ``out2``...), ``index``/``index_out`` int64 4-D arrays, ``int`` an
    int64 scalar. Every array is C-contiguous."""
    result = []
    for f in (types.float32, types.float64):
        table = {"int": types.int64}
        for rank in (2, 4):
            table[f"in{rank}"] = types.Array(f, rank, "C", readonly=True)
            table[f"out{rank}"] = types.Array(f, rank, "C")
        table["index"] = types.Array(types.int64, 4, "C", readonly=True)
        table["index_out"] = types.Array(types.int64, 4, "C")
        result.append(types.void(*(table[p] for p in parts)))
    return result


def _ints(n: int) -> list[str]:
    return ["int"] * n


def as_channel_major(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> the C-contiguous (C, N, H, W) array: a view when the memory already is."""
    return np.ascontiguousarray(x.transpose(1, 0, 2, 3))


def _channel_major_empty(shape, dtype, zero: bool = False) -> np.ndarray:
    """A C-contiguous (C, N, H, W) array for an (N, C, H, W) result."""
    n, c, h, w = shape
    return (np.zeros if zero else np.empty)((c, n, h, w), dtype=dtype)


def _as_nchw(memory: np.ndarray) -> np.ndarray:
    return memory.transpose(1, 0, 2, 3)


@njit(cache=True, nogil=True)
def _inside(n_out: int, step: int, offset: int, size: int) -> tuple[int, int]:
    """The range [first, stop) of k in [0, n_out) with ``k * step + offset`` in [0, size)."""
    first = 0
    while first < n_out and first * step + offset < 0:
        first += 1
    stop = n_out
    while stop > first and (stop - 1) * step + offset >= size:
        stop -= 1
    return first, stop


@njit(_signatures("in4", *_ints(10), "out2", *_ints(2)), cache=True, nogil=True)
def _im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols, start, stop):
    n_images, height, width = x.shape[1], x.shape[2], x.shape[3]
    for row in range(start, stop):  # row (c, u, v) of X_col
        c, u, v = row // (kh * kw), row // kw % kh, row % kw
        i0, i1 = _inside(ho, sh, u * dh - ph, height)
        offset = v * dw - pw
        j0, j1 = _inside(wo, sw, offset, width)
        if i0 > 0 or i1 < ho or j0 > 0 or j1 < wo:
            cols[row, :] = 0
        for n in range(n_images):
            for i in range(i0, i1):
                r = i * sh - ph + u * dh
                at = (n * ho + i) * wo
                for j in range(j0, j1):
                    cols[row, at + j] = x[c, n, r, j * sw + offset]


def im2col(x, kernel, stride, padding, dilation, out_hw) -> np.ndarray:
    """``X_col`` (C * kh * kw, N * Ho * Wo) straight from the unpadded input (N, C, H, W)."""
    n, c = x.shape[:2]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = kernel, stride, padding, dilation, out_hw
    cols = np.empty((c * kh * kw, n * ho * wo), dtype=x.dtype)
    run_split(
        _im2col,
        len(cols),
        cols.size,
        as_channel_major(x),
        kh,
        kw,
        sh,
        sw,
        ph,
        pw,
        dh,
        dw,
        ho,
        wo,
        cols,
    )
    return cols


@njit(_signatures("in2", *_ints(10), "out4", *_ints(2)), cache=True, nogil=True)
def _col2im(cols, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, out, start, stop):
    n_images, height, width = out.shape[1], out.shape[2], out.shape[3]
    for c in range(start, stop):
        for u in range(kh):
            i0, i1 = _inside(ho, sh, u * dh - ph, height)
            for v in range(kw):
                row = (c * kh + u) * kw + v
                offset = v * dw - pw
                j0, j1 = _inside(wo, sw, offset, width)
                for n in range(n_images):
                    for i in range(i0, i1):
                        r = i * sh - ph + u * dh
                        at = (n * ho + i) * wo
                        for j in range(j0, j1):
                            out[c, n, r, j * sw + offset] += cols[row, at + j]


def col2im(cols, shape, kernel, stride, padding, dilation, out_hw) -> np.ndarray:
    """Add the columns back into an unpadded (N, C, H, W) gradient."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = kernel, stride, padding, dilation, out_hw
    out = _channel_major_empty(shape, cols.dtype, zero=True)
    run_split(
        _col2im,
        len(out),
        cols.size,
        np.ascontiguousarray(cols),
        kh,
        kw,
        sh,
        sw,
        ph,
        pw,
        dh,
        dw,
        ho,
        wo,
        out,
    )
    return _as_nchw(out)


@njit(_signatures("in4", *_ints(8), "out4", "index_out", *_ints(2)), cache=True, nogil=True)
def _max_pool(x, kh, kw, sh, sw, ph, pw, dh, dw, out, index, start, stop):
    n_images, height, width = x.shape[1], x.shape[2], x.shape[3]
    ho, wo = out.shape[2], out.shape[3]
    for plane in range(start, stop):  # plane (c, n)
        c, n = plane // n_images, plane % n_images
        for i in range(ho):
            top = i * sh - ph
            u0, u1 = _inside(kh, dh, top, height)
            for j in range(wo):
                left = j * sw - pw
                v0, v1 = _inside(kw, dw, left, width)
                best = -np.inf
                where = (top + u0 * dh) * width + left + v0 * dw
                for u in range(u0, u1):
                    r = top + u * dh
                    for v in range(v0, v1):
                        value = x[c, n, r, left + v * dw]
                        if value > best:
                            best = value
                            where = r * width + left + v * dw
                out[c, n, i, j] = best
                index[c, n, i, j] = where


@njit(_signatures("in4", *_ints(4), "out4", "index_out", *_ints(2)), cache=True, nogil=True)
def _max_pool_inside(x, kh, kw, sh, sw, out, index, start, stop):
    """:func:`_max_pool` for windows that all lie inside the input (no padding, no dilation,
    the usual case): no bounds to find, and twice as fast."""
    n_images, width = x.shape[1], x.shape[3]
    ho, wo = out.shape[2], out.shape[3]
    for plane in range(start, stop):
        c, n = plane // n_images, plane % n_images
        for i in range(ho):
            top = i * sh
            for j in range(wo):
                left = j * sw
                best = x[c, n, top, left]
                where = top * width + left
                for u in range(kh):
                    for v in range(kw):
                        value = x[c, n, top + u, left + v]
                        if value > best:
                            best = value
                            where = (top + u) * width + left + v
                out[c, n, i, j] = best
                index[c, n, i, j] = where


def max_pool(x, kernel, stride, padding, dilation, out_hw) -> tuple[np.ndarray, np.ndarray]:
    """Maxima and their flat positions, as ``pool.max_pool2d_reference`` computes them, for
    inputs without NaN (the caller sends those to the reference, where NaN wins as in PyTorch:
    a NaN test in the inner loop would slow every input down 2.5 times)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = kernel, stride, padding, dilation, out_hw
    shape = (x.shape[0], x.shape[1], ho, wo)
    out = _channel_major_empty(shape, x.dtype)
    index = _channel_major_empty(shape, np.int64)
    planes, source = shape[0] * shape[1], as_channel_major(x)
    inside = (ph, pw, dh, dw) == (0, 0, 1, 1) and (
        (ho - 1) * sh + kh <= x.shape[2] and (wo - 1) * sw + kw <= x.shape[3]
    )
    if inside:
        run_split(_max_pool_inside, planes, x.size, source, kh, kw, sh, sw, out, index)
    else:
        run_split(_max_pool, planes, x.size, source, kh, kw, sh, sw, ph, pw, dh, dw, out, index)
    return _as_nchw(out), _as_nchw(index)


@njit(_signatures("in4", "index", "out4", *_ints(2)), cache=True, nogil=True)
def _max_pool_backward(grad, index, out, start, stop):
    n_images, ho, wo = grad.shape[1], grad.shape[2], grad.shape[3]
    width = out.shape[3]
    for plane in range(start, stop):
        c, n = plane // n_images, plane % n_images
        for i in range(ho):
            for j in range(wo):
                where = index[c, n, i, j]
                out[c, n, where // width, where % width] += grad[c, n, i, j]


def max_pool_backward(grad, index, shape) -> np.ndarray:
    """Each output gradient added at its maximum's position, eq. (8.15)."""
    out = _channel_major_empty(shape, grad.dtype, zero=True)
    run_split(
        _max_pool_backward,
        shape[0] * shape[1],
        grad.size,
        as_channel_major(grad),
        as_channel_major(index),
        out,
    )
    return _as_nchw(out)


@njit(_signatures("in4", *_ints(6), "in2", "out4", *_ints(2)), cache=True, nogil=True)
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
    out = _channel_major_empty((x.shape[0], x.shape[1], *divisors.shape), x.dtype)
    run_split(
        _avg_pool,
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
    return _as_nchw(out)


@njit(_signatures("in4", *_ints(6), "in2", "out4", *_ints(2)), cache=True, nogil=True)
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
    out = _channel_major_empty(shape, grad.dtype, zero=True)
    run_split(
        _avg_pool_backward,
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
    return _as_nchw(out)


@njit(_signatures("in2", "in2", "in2", "out2", "out2", "out2", *_ints(2)), cache=True, nogil=True)
def _batch_norm_train(x, affine, eps_var, y, x_hat, stats, start, stop):
    """Rows are channels: mean and biased variance (two passes, float64 sums), then
    ``x_hat = (x - mean) / sqrt(var + eps)`` and ``y = gamma x_hat + beta``.
    ``affine`` is (C, 2): gamma, beta; ``eps_var`` (1, 1) holds eps; ``stats`` (C, 3) receives
    mean, var, 1/sqrt(var + eps)."""
    count = x.shape[1]
    eps = eps_var[0, 0]
    for c in range(start, stop):
        total = 0.0
        for m in range(count):
            total += x[c, m]
        mean = total / count
        squares = 0.0
        for m in range(count):
            d = x[c, m] - mean
            squares += d * d
        var = squares / count
        inv_std = 1.0 / np.sqrt(var + eps)
        stats[c, 0], stats[c, 1], stats[c, 2] = mean, var, inv_std
        gamma, beta = affine[c, 0], affine[c, 1]
        for m in range(count):
            h = (x[c, m] - mean) * inv_std
            x_hat[c, m] = h
            y[c, m] = h * gamma + beta


@njit(_signatures("in2", "in2", "in2", "in2", "out2", "out2", *_ints(2)), cache=True, nogil=True)
def _batch_norm_backward(grad_y, x_hat, affine, inv_std, grad_x, sums, start, stop):
    """Rows are channels: ``sums`` (C, 2) receives sum(dy) and sum(dy x_hat) (beta's and gamma's
    gradients); ``dx = gamma inv_std (dy - mean(dy) - x_hat mean(dy x_hat))``."""
    count = grad_y.shape[1]
    for c in range(start, stop):
        total, dot = 0.0, 0.0
        for m in range(count):
            total += grad_y[c, m]
            dot += grad_y[c, m] * x_hat[c, m]
        sums[c, 0], sums[c, 1] = total, dot
        scale = affine[c, 0] * inv_std[c, 0]
        mean_grad, mean_dot = total / count, dot / count
        for m in range(count):
            grad_x[c, m] = scale * (grad_y[c, m] - mean_grad - x_hat[c, m] * mean_dot)


def channel_rows(x: np.ndarray) -> np.ndarray:
    """(N, C, ...) -> the C-contiguous (C, N * ...) matrix, a view when memory allows."""
    return np.ascontiguousarray(np.moveaxis(x, 1, 0)).reshape(x.shape[1], -1)


def from_channel_rows(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`channel_rows`: an (N, C, ...) view of a (C, N * ...) matrix."""
    return np.moveaxis(rows.reshape(shape[1], shape[0], *shape[2:]), 0, 1)


def batch_norm_train(x, weight, bias, eps):
    """Training-mode batch norm of (N, C, ...): y, x_hat, mean, var, inv_std."""
    rows = channel_rows(x)
    c = rows.shape[0]
    affine = np.empty((c, 2), dtype=x.dtype)
    affine[:, 0] = 1 if weight is None else weight
    affine[:, 1] = 0 if bias is None else bias
    y, x_hat = np.empty_like(rows), np.empty_like(rows)
    stats = np.empty((c, 3), dtype=x.dtype)
    run_split(
        _batch_norm_train,
        c,
        rows.size,
        rows,
        affine,
        np.full((1, 1), eps, x.dtype),
        y,
        x_hat,
        stats,
    )
    return (
        from_channel_rows(y, x.shape),
        from_channel_rows(x_hat, x.shape),
        stats[:, 0],
        stats[:, 1],
        stats[:, 2],
    )


def batch_norm_train_backward(grad_y, x_hat, weight, inv_std):
    """Training-mode gradients of batch norm: dx, d_gamma, d_beta."""
    rows, hat_rows = channel_rows(grad_y), channel_rows(x_hat)
    c = rows.shape[0]
    affine = np.ones((c, 2), dtype=grad_y.dtype)
    if weight is not None:
        affine[:, 0] = weight
    grad_x, sums = np.empty_like(rows), np.empty((c, 2), dtype=grad_y.dtype)
    run_split(
        _batch_norm_backward,
        c,
        rows.size,
        rows,
        hat_rows,
        affine,
        np.ascontiguousarray(inv_std.reshape(c, 1), dtype=grad_y.dtype),
        grad_x,
        sums,
    )
    return from_channel_rows(grad_x, grad_y.shape), sums[:, 1].copy(), sums[:, 0].copy()
