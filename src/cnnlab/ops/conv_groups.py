"""Grouped convolution (``groups`` of ``nn.Conv2d``), including depthwise convolution.

With ``G`` groups the C input channels and K filters split into G blocks: filter block g sees
only channel block g, so the weight is (K, C / G, kh, kw) and eq. (8.2) becomes

``z(k, i, j) = b(k) + sum_{c in group(k), u, v} x(c, i*s + u*d, j*s + v*d) W(k, c - c0(k), u, v)``.

Two fast forms, held equal to :func:`conv2d_grouped_loop` (eq. 8.2 per group) by the tests:

* :func:`conv2d_grouped_forward` -- Fig. 8.9 with a block-diagonal ``W_row``: one ``X_col`` for all
  channels (its rows are already grouped), then one matrix product per group;
* :func:`depthwise_conv2d` -- one channel per group (``groups = C``, MobileNet's depthwise
  layer): each output channel is a weighted sum of kh * kw shifted copies of its input channel,
  with no ``X_col`` at all.
"""

from __future__ import annotations

import numpy as np

from cnnlab.ops import conv


def grouped_geometry(
    x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride, padding, dilation, groups: int
) -> conv.ConvGeometry:
    """Check ``groups`` against the shapes and return the geometry of the whole convolution
    (input (N, C, H, W), weight (K, C / groups, kh, kw))."""
    if isinstance(groups, bool) or not isinstance(groups, int | np.integer) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    if len(x_shape) != 4 or len(w_shape) != 4:
        raise ValueError(
            f"conv2d: input and weight must be 4-D, got shapes {tuple(x_shape)} and "
            f"{tuple(w_shape)}"
        )
    c, k, per_group = x_shape[1], w_shape[0], w_shape[1]
    if c % groups or k % groups:
        raise ValueError(
            f"conv2d: input channels ({c}) and filters ({k}) must both be divisible by "
            f"groups={groups}"
        )
    if per_group * groups != c:
        raise ValueError(
            f"conv2d: input has {c} channels but weight expects {per_group * groups} "
            f"({per_group} per group x groups={groups}; weight shape {tuple(w_shape)})"
        )
    return conv.conv_geometry(x_shape, (k, c, *w_shape[2:]), stride, padding, dilation)


def conv2d_grouped_loop(
    x: np.ndarray, weight: np.ndarray, bias, stride=1, padding=0, dilation=1, groups: int = 1
) -> np.ndarray:
    """Eq. (8.2) group by group (the reference): x (N, C, H, W), weight (K, C / G, kh, kw),
    output (N, K, Ho, Wo)."""
    grouped_geometry(x.shape, weight.shape, stride, padding, dilation, groups)
    xs, ws = np.split(x, groups, axis=1), np.split(weight, groups, axis=0)
    bs = np.split(bias, groups) if bias is not None else [None] * groups
    return np.concatenate(
        [
            conv.conv2d_loop(xg, wg, bg, stride, padding, dilation)
            for xg, wg, bg in zip(xs, ws, bs, strict=True)
        ],
        axis=1,
    )


def row_blocks(rows: np.ndarray, groups: int) -> np.ndarray:
    """(G * p, q) -> (G, p, q): the row blocks of a block-diagonal product."""
    return rows.reshape(groups, rows.shape[0] // groups, rows.shape[1])


def conv2d_grouped_forward(
    x: np.ndarray, weight: np.ndarray, bias, geom: conv.ConvGeometry, groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """``z_g = W_row,g @ X_col,g + b_g`` for each group (Fig. 8.9); returns ``z`` (N, K, Ho, Wo)
    and ``X_col`` (C * kh * kw, N * Ho * Wo)."""
    cols = conv.im2col(x, geom)
    w_rows = row_blocks(weight.reshape(geom.k, -1), groups)
    z = np.matmul(w_rows, row_blocks(cols, groups)).reshape(geom.k, -1)
    if bias is not None:
        z += bias.reshape(-1, 1)
    return z.reshape(geom.k, geom.n, geom.ho, geom.wo).transpose(1, 0, 2, 3), cols


def conv2d_grouped_backward(
    grad_z: np.ndarray,
    cols: np.ndarray,
    weight: np.ndarray,
    geom: conv.ConvGeometry,
    groups: int,
    needs: tuple[bool, bool, bool] = (True, True, True),
):
    """Gradients (input, weight, bias) of :func:`conv2d_grouped_forward`, eqs. (8.5b), (8.7),
    (8.12) per group: ``dW_g = dZ_g X_col,g^T``, ``dX_col,g = W_row,g^T dZ_g``, then col2im."""
    grad_rows = grad_z.transpose(1, 0, 2, 3).reshape(geom.k, -1)
    grad_bias = grad_rows.sum(axis=1) if needs[2] else None
    grad_blocks = row_blocks(grad_rows, groups)
    grad_weight = grad_input = None
    if needs[1]:
        grad_weight = np.matmul(grad_blocks, row_blocks(cols, groups).transpose(0, 2, 1))
        grad_weight = grad_weight.reshape(weight.shape)
    if needs[0]:
        w_rows = row_blocks(weight.reshape(geom.k, -1), groups)
        grad_cols = np.matmul(w_rows.transpose(0, 2, 1), grad_blocks).reshape(cols.shape)
        grad_input = conv.col2im(grad_cols, geom)
    return grad_input, grad_weight, grad_bias


def _taps(geom: conv.ConvGeometry):
    """(u, v, rows, cols) for every filter tap: the padded input each tap reads."""
    for u in range(geom.kh):
        for v in range(geom.kw):
            yield (u, v, *conv._window(geom, u, v))


def depthwise_conv2d(
    x: np.ndarray, weight: np.ndarray, bias, geom: conv.ConvGeometry
) -> tuple[np.ndarray, np.ndarray]:
    """Depthwise convolution (one input channel per group, ``m = K / C`` filters each):
    ``z(c m + j) = sum_{u, v} W(c m + j, 0, u, v) shift_{u, v}(x(c))``. Returns ``z``
    (N, K, Ho, Wo) and the padded input, which the backward pass reads."""
    xp = conv.pad_input(x, geom.padding)
    m = geom.k // geom.c
    w = weight.reshape(geom.c, m, geom.kh, geom.kw)
    z = np.zeros((geom.n, geom.c, m, geom.ho, geom.wo), dtype=np.result_type(x, weight))
    for u, v, rows, cols in _taps(geom):
        z += xp[:, :, None, rows, cols] * w[None, :, :, u, v, None, None]
    z = z.reshape(geom.n, geom.k, geom.ho, geom.wo)
    if bias is not None:
        z += bias.reshape(1, -1, 1, 1)
    return z, xp


def depthwise_conv2d_backward(
    grad_z: np.ndarray,
    xp: np.ndarray,
    weight: np.ndarray,
    geom: conv.ConvGeometry,
    needs: tuple[bool, bool, bool] = (True, True, True),
):
    """Gradients (input, weight, bias) of :func:`depthwise_conv2d`: each tap's weight gradient
    is the sum of ``dL/dz * shift(x)`` (8.7), and each tap sends ``W dL/dz`` back to the
    inputs it read (8.12)."""
    m = geom.k // geom.c
    g = grad_z.reshape(geom.n, geom.c, m, geom.ho, geom.wo)
    w = weight.reshape(geom.c, m, geom.kh, geom.kw)
    grad_bias = grad_z.sum(axis=(0, 2, 3)) if needs[2] else None
    grad_w = np.zeros_like(w) if needs[1] else None
    grad_xp = np.zeros(xp.shape, dtype=grad_z.dtype) if needs[0] else None
    for u, v, rows, cols in _taps(geom):
        if needs[1]:
            grad_w[:, :, u, v] = np.einsum("ncmij,ncij->cm", g, xp[:, :, rows, cols])
        if needs[0]:
            grad_xp[:, :, rows, cols] += np.einsum("ncmij,cm->ncij", g, w[:, :, u, v])
    grad_input = None
    if needs[0]:
        (top, _), (left, _) = geom.padding
        grad_input = np.ascontiguousarray(grad_xp[:, :, top : top + geom.h, left : left + geom.w])
    return grad_input, None if grad_w is None else grad_w.reshape(weight.shape), grad_bias


def is_depthwise(geom: conv.ConvGeometry, groups: int) -> bool:
    """One input channel per group: the direct method beats im2col there."""
    return groups == geom.c and groups > 1
