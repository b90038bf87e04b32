"""Direct convolution at stride 1 (eq. 8.2 and its gradients, eqs. 8.7 and 8.12), compiled: no
``X_col``. Equal to ``conv.conv2d_loop`` and ``conv.conv2d_backward_chapter`` (the tests hold
all three to PyTorch).

For a layer with few filters (LeNet's first convolution: 6 filters over 1 or 3 channels) the
matrix product ``W_row @ X_col`` has only K rows: reading ``X_col`` (kh * kw times the input)
costs more than the multiply-adds, and writing it as much again. Here the input is read in
place, each filter tap adding a shifted copy of it to the output.

The trick that keeps the loops long (and vectorized): on a zero-padded input (C, N, Hp, Wp) laid
out flat, output (n, i, j) sits at flat position ``q = n Hp Wp + i Wp + j`` and tap (u, v) reads
``q + u Wp + v``. One loop over q therefore computes a whole group of images at once, the
positions with ``i >= Ho`` or ``j >= Wo`` (between rows and images) being computed and dropped:

* forward: ``z_k[q] = b_k + sum_{c,u,v} W[k, c, u, v] x_c[q + u Wp + v]``;
* weights: ``dW[k, c, u, v] = sum_q g_k[q] x_c[q + u Wp + v]``, g zero between the outputs;
* input: the forward loop again, on ``g`` padded by the filter size minus one and the filters
  rotated by 180 degrees (eq. 8.12), the padding then cropped.

Images are grouped so that a group's accumulators (about ``GROUP_POSITIONS`` floats) stay in
the first-level cache; the threads share the groups. Five-tap rows (5 x 5 filters) are written
out: one pass per filter row instead of one per tap (over the accumulator in the forward loop,
with five running sums in the weight gradient's).
"""

from __future__ import annotations

import numpy as np

from cnnlab.ops.kernels.compiling import as_channel_major, as_nchw, at, ints, kernel
from cnnlab.ops.threads import run_split, run_split_sum

GROUP_POSITIONS = 1024


@kernel("in4", "in4", "in1", "int", "out4", *ints(2), fastmath={"contract"})
def _forward(x, w, bias, group, out, start, stop):
    """x: padded (C, N, Hp, Wp); w: (K, C, kh, kw); out: (K, N, Ho, Wo); groups [start, stop)."""
    n_channels, n_images, hp, wp = x.shape
    n_filters, kh, kw = w.shape[0], w.shape[2], w.shape[3]
    ho, wo = out.shape[2], out.shape[3]
    plane = hp * wp
    source, target = x.ravel(), out.ravel()
    acc = np.empty(group * plane, x.dtype)
    for g in range(start, stop):
        n0 = g * group
        n1 = min(n0 + group, n_images)
        span = (n1 - n0 - 1) * plane + (ho - 1) * wp + wo
        for k in range(n_filters):
            b = bias[k]
            for m in range(span):
                acc[m] = b
            for c in range(n_channels):
                for u in range(kh):
                    row = (c * n_images + n0) * plane + u * wp
                    if kw == 5:
                        w0, w1, w2 = w[k, c, u, 0], w[k, c, u, 1], w[k, c, u, 2]
                        w3, w4 = w[k, c, u, 3], w[k, c, u, 4]
                        for m in range(span):
                            acc[m] += (
                                w0 * source[at(row + m)]
                                + w1 * source[at(row + m + 1)]
                                + w2 * source[at(row + m + 2)]
                                + w3 * source[at(row + m + 3)]
                                + w4 * source[at(row + m + 4)]
                            )
                    else:
                        for v in range(kw):
                            tap = w[k, c, u, v]
                            for m in range(span):
                                acc[m] += tap * source[at(row + v + m)]
            for n in range(n0, n1):
                for i in range(ho):
                    write, read = ((k * n_images + n) * ho + i) * wo, (n - n0) * plane + i * wp
                    for j in range(wo):
                        target[at(write + j)] = acc[read + j]


@kernel("in4", "in4", "int", "sum_out4", *ints(2), fastmath={"contract", "reassoc"})
def _weight_grad(x, grad, group, grad_w, start, stop):
    """x: padded (C, N, Hp, Wp); grad: (K, N, Ho, Wo); ``grad_w`` (K, C, kh, kw, float64)
    receives the sums over the groups [start, stop)."""
    n_channels, n_images, hp, wp = x.shape
    n_filters, ho, wo = grad.shape[0], grad.shape[2], grad.shape[3]
    kh, kw = grad_w.shape[2], grad_w.shape[3]
    plane = hp * wp
    source, g_flat = x.ravel(), grad.ravel()
    wide = np.zeros(n_filters * group * plane, x.dtype)  # zero off the output positions
    zero = wide[0]
    for g in range(start, stop):
        n0 = g * group
        n1 = min(n0 + group, n_images)
        span = (n1 - n0 - 1) * plane + (ho - 1) * wp + wo
        for k in range(n_filters):
            for n in range(n0, n1):
                for i in range(ho):
                    read = ((k * n_images + n) * ho + i) * wo
                    write = k * group * plane + (n - n0) * plane + i * wp
                    for j in range(wo):
                        wide[write + j] = g_flat[at(read + j)]
        for k in range(n_filters):
            gk = k * group * plane
            for c in range(n_channels):
                for u in range(kh):
                    row = (c * n_images + n0) * plane + u * wp
                    if kw == 5:
                        s0, s1, s2, s3, s4 = zero, zero, zero, zero, zero
                        for m in range(span):
                            d = wide[at(gk + m)]
                            s0 += d * source[at(row + m)]
                            s1 += d * source[at(row + m + 1)]
                            s2 += d * source[at(row + m + 2)]
                            s3 += d * source[at(row + m + 3)]
                            s4 += d * source[at(row + m + 4)]
                        grad_w[k, c, u, 0] += s0
                        grad_w[k, c, u, 1] += s1
                        grad_w[k, c, u, 2] += s2
                        grad_w[k, c, u, 3] += s3
                        grad_w[k, c, u, 4] += s4
                        continue
                    for v in range(kw):
                        s = zero
                        for m in range(span):
                            s += wide[at(gk + m)] * source[at(row + v + m)]
                        grad_w[k, c, u, v] += s


def _group(plane: int) -> int:
    """Images per group: about GROUP_POSITIONS flat positions."""
    return max(1, GROUP_POSITIONS // plane)


def _groups(n_images: int, group: int) -> int:
    return -(-n_images // group)


def padded_channel_major(x: np.ndarray, padding) -> np.ndarray:
    """(N, C, H, W) -> the zero-padded C-contiguous (C, N, Hp, Wp) the kernels read."""
    (top, bottom), (left, right) = padding
    n, c, h, w = x.shape
    if padding == ((0, 0), (0, 0)):
        return as_channel_major(x)
    out = np.zeros((c, n, h + top + bottom, w + left + right), dtype=x.dtype)
    out[:, :, top : top + h, left : left + w] = x.transpose(1, 0, 2, 3)
    return out


def conv_forward(xp: np.ndarray, weight: np.ndarray, bias: np.ndarray, out_hw) -> np.ndarray:
    """``z`` (N, K, Ho, Wo), in channel-major memory, from the padded input (C, N, Hp, Wp)."""
    c, n, hp, wp = xp.shape
    k = weight.shape[0]
    out = np.empty((k, n, *out_hw), dtype=xp.dtype)
    group = _group(hp * wp)
    w = np.ascontiguousarray(weight, dtype=xp.dtype)
    b = np.ascontiguousarray(bias, dtype=xp.dtype)
    work = out.size * c * weight.shape[2] * weight.shape[3] // 8
    run_split(_forward[xp.dtype], _groups(n, group), work, xp, w, b, group, out)
    return as_nchw(out)


def conv_weight_grad(xp: np.ndarray, grad_z: np.ndarray, kernel_hw) -> np.ndarray:
    """``dL/dW`` (K, C, kh, kw) from the padded input (C, N, Hp, Wp) and ``dL/dz``."""
    c, n, hp, wp = xp.shape
    grad = as_channel_major(grad_z)
    k = grad.shape[0]
    group = _group(hp * wp)
    work = grad.size * c * kernel_hw[0] * kernel_hw[1] // 8
    total = run_split_sum(
        _weight_grad[xp.dtype], _groups(n, group), work, (k, c, *kernel_hw), xp, grad, group
    )
    return total.astype(xp.dtype)


def conv_input_grad(grad_z: np.ndarray, weight: np.ndarray, shape, padding) -> np.ndarray:
    """``dL/dx`` (N, C, H, W), in channel-major memory: eq. (8.12), the full convolution of
    ``dL/dz`` (padded by the filter size minus one) with the filters rotated by 180 degrees and
    their two channel axes swapped, cropped by ``padding`` ((top, bottom), (left, right))."""
    _, _, kh, kw = weight.shape
    full = ((kh - 1, kh - 1), (kw - 1, kw - 1))
    rotated = np.ascontiguousarray(weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    gp = padded_channel_major(grad_z, full)
    hp, wp = gp.shape[2] - kh + 1, gp.shape[3] - kw + 1
    padded = conv_forward(gp, rotated, np.zeros(rotated.shape[0], gp.dtype), (hp, wp))
    (top, _), (left, _) = padding
    memory = padded.transpose(1, 0, 2, 3)[:, :, top : top + shape[2], left : left + shape[3]]
    return as_nchw(np.ascontiguousarray(memory))
