"""im2col and col2im (Fig. 8.9), compiled: equal to ``conv.im2col_reference`` and
``conv.col2im_reference``, read from and written to the unpadded input.

Zero padding is handled by computing, once per filter tap, the range of outputs that read
inside the input, instead of padding a copy. The loops index flat views with unsigned
positions (``at``), which spares numba's test for negative indices on every access: the
innermost loops then compile to vector instructions (five times faster at stride 1).
"""

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


@kernel("in4", *ints(10), "out2", *ints(2))
def _im2col(x, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, cols, start, stop):
    n_images, height, width = x.shape[1], x.shape[2], x.shape[3]
    source, target = x.ravel(), cols.ravel()
    for row in range(start, stop):  # row (c, u, v) of X_col
        c, u, v = row // (kh * kw), row // kw % kh, row % kw
        i0, i1 = inside(ho, sh, u * dh - ph, height)
        offset = v * dw - pw
        j0, j1 = inside(wo, sw, offset, width)
        for n in range(n_images):
            for i in range(ho):
                out = (row * n_images + n) * ho * wo + i * wo  # column (n, i, 0) of the row
                if i < i0 or i >= i1:
                    for j in range(wo):
                        target[at(out + j)] = 0
                    continue
                read = ((c * n_images + n) * height + i * sh - ph + u * dh) * width + offset
                for j in range(j0):
                    target[at(out + j)] = 0
                if sw == 1:
                    for j in range(j0, j1):
                        target[at(out + j)] = source[at(read + j)]
                else:
                    for j in range(j0, j1):
                        target[at(out + j)] = source[at(read + j * sw)]
                for j in range(j1, wo):
                    target[at(out + j)] = 0


def im2col(x, kernel_hw, stride, padding, dilation, out_hw) -> np.ndarray:
    """``X_col`` (C * kh * kw, N * Ho * Wo) straight from the unpadded input (N, C, H, W)."""
    n, c = x.shape[:2]
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = kernel_hw, stride, padding, dilation, out_hw
    cols = np.empty((c * kh * kw, n * ho * wo), dtype=x.dtype)
    geometry = (kh, kw, sh, sw, ph, pw, dh, dw, ho, wo)
    run_split(_im2col[x.dtype], len(cols), cols.size, as_channel_major(x), *geometry, cols)
    return cols


@kernel("in2", *ints(10), "out4", *ints(2))
def _col2im(cols, kh, kw, sh, sw, ph, pw, dh, dw, ho, wo, out, start, stop):
    n_images, height, width = out.shape[1], out.shape[2], out.shape[3]
    source, target = cols.ravel(), out.ravel()
    for c in range(start, stop):
        for u in range(kh):
            i0, i1 = inside(ho, sh, u * dh - ph, height)
            for v in range(kw):
                row = (c * kh + u) * kw + v
                offset = v * dw - pw
                j0, j1 = inside(wo, sw, offset, width)
                for n in range(n_images):
                    for i in range(i0, i1):
                        read = (row * n_images + n) * ho * wo + i * wo
                        write = ((c * n_images + n) * height + i * sh - ph + u * dh) * width
                        write += offset
                        if sw == 1:
                            for j in range(j0, j1):
                                target[at(write + j)] += source[at(read + j)]
                        else:
                            for j in range(j0, j1):
                                target[at(write + j * sw)] += source[at(read + j)]


def col2im(cols, shape, kernel_hw, stride, padding, dilation, out_hw) -> np.ndarray:
    """Add the columns back into an unpadded (N, C, H, W) gradient."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ho, wo) = kernel_hw, stride, padding, dilation, out_hw
    out = channel_major_empty(shape, cols.dtype, zero=True)
    geometry = (kh, kw, sh, sw, ph, pw, dh, dw, ho, wo)
    source = np.ascontiguousarray(cols)
    run_split(_col2im[cols.dtype], len(out), cols.size, source, *geometry, out)
    return as_nchw(out)
