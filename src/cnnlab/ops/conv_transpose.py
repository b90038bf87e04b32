"""Transposed convolution (``nn.ConvTranspose2d``): the input-gradient map of eq. (8.12) used
as a layer, so it grows images where eq. (8.2) shrinks them.

x (N, C_in, H, W), weight (C_in, C_out / G, kh, kw), output (N, C_out, Ho, Wo) with
``Ho = (H - 1) s - 2p + d (kh - 1) + output_padding + 1``. The forward pass is
``X_col = W_row^T @ x`` followed by col2im (Fig. 8.9 run backwards); the backward pass is an
ordinary convolution of the output gradient, through im2col.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from cnnlab.ops import conv
from cnnlab.ops.conv_groups import row_blocks as _blocks
from cnnlab.ops.shapes import pair


def transposed_output_size(
    n: int, f: int, stride: int, padding: int, dilation: int, output_padding: int
) -> int:
    """``(n - 1) s - 2p + d (f - 1) + output_padding + 1``."""
    return (n - 1) * stride - 2 * padding + dilation * (f - 1) + output_padding + 1


def transposed_geometry(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> conv.ConvGeometry:
    """The geometry of the convolution whose input gradient this is: its input is our output
    (N, C_out, Ho, Wo), its output our input (N, C_in, H, W)."""
    if len(x_shape) != 4 or len(w_shape) != 4:
        raise ValueError(
            f"conv_transpose2d: input and weight must be 4-D, got shapes {tuple(x_shape)} and "
            f"{tuple(w_shape)}"
        )
    n, c_in, h, w = x_shape
    if isinstance(groups, bool) or not isinstance(groups, int | np.integer) or groups < 1:
        raise ValueError(f"conv_transpose2d: groups must be a positive int, got {groups!r}")
    if w_shape[0] != c_in or c_in % groups:
        raise ValueError(
            f"conv_transpose2d: input has {c_in} channels but weight expects {w_shape[0]} "
            f"(weight shape {tuple(w_shape)}, groups={groups}: channels divisible by groups)"
        )
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    padding = pair(padding, "padding", minimum=0)
    output_padding = pair(output_padding, "output_padding", minimum=0)
    for op, s, d in zip(output_padding, stride, dilation, strict=True):
        if op >= s and op >= d:
            raise ValueError(
                f"conv_transpose2d: output_padding must be smaller than either stride or "
                f"dilation, got output_padding={output_padding}, stride={stride}, "
                f"dilation={dilation}"
            )
    c_out = w_shape[1] * groups
    ho, wo = (
        transposed_output_size(size, f, s, p, d, op)
        for size, f, s, p, d, op in zip(
            (h, w), w_shape[2:], stride, padding, dilation, output_padding, strict=True
        )
    )
    if ho < 1 or wo < 1:
        raise ValueError(
            f"conv_transpose2d: input {tuple(x_shape)} gives an empty output ({ho}, {wo})"
        )
    geom = conv.conv_geometry(
        (n, c_out, ho, wo), (c_in, c_out, *w_shape[2:]), stride, padding, dilation
    )
    # output_padding may leave room for one more window than the input has: not computed
    return dataclasses.replace(geom, ho=h, wo=w)


def _channel_rows(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (C, N * H * W)."""
    return x.transpose(1, 0, 2, 3).reshape(x.shape[1], -1)


def conv_transpose2d(
    x: np.ndarray, weight: np.ndarray, bias, geom: conv.ConvGeometry, groups: int
) -> np.ndarray:
    """``col2im(W_row,g^T @ x_g)`` for each group, plus the bias: (N, C_in, H, W) ->
    (N, C_out, Ho, Wo)."""
    w_rows = _blocks(weight.reshape(geom.k, -1), groups)  # (G, C_in / G, C_out / G * kh * kw)
    cols = np.matmul(w_rows.transpose(0, 2, 1), _blocks(_channel_rows(x), groups))
    out = conv.col2im(cols.reshape(-1, cols.shape[2]), geom)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out


def conv_transpose2d_backward(
    grad_out: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    geom: conv.ConvGeometry,
    groups: int,
    needs: tuple[bool, bool, bool] = (True, True, True),
):
    """Gradients (input, weight, bias): ``dx_g = W_row,g @ X_col,g`` (a convolution of the output
    gradient), ``dW_g = x_g @ X_col,g^T``, ``db = sum dL/dy``, with ``X_col = im2col(dL/dy)``."""
    grad_bias = grad_out.sum(axis=(0, 2, 3)) if needs[2] else None
    cols = _blocks(conv.im2col(grad_out, geom), groups)
    grad_input = grad_weight = None
    if needs[0]:
        w_rows = _blocks(weight.reshape(geom.k, -1), groups)
        rows = np.matmul(w_rows, cols).reshape(geom.k, geom.n, geom.ho, geom.wo)
        grad_input = rows.transpose(1, 0, 2, 3)
    if needs[1]:
        x_rows = _blocks(_channel_rows(x), groups)
        grad_weight = np.matmul(x_rows, cols.transpose(0, 2, 1)).reshape(weight.shape)
    return grad_input, grad_weight, grad_bias
