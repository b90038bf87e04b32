"""2-D convolution (eq. 8.2, Fig. 8.9) and its backpropagation (eqs. 8.3-8.12).

Shapes follow PyTorch: input ``x`` is (N, C, H, W), ``weight`` is (K, C, kh, kw), ``bias`` is
(K,), the output ``z`` is (N, K, Ho, Wo) with ``Ho = floor((H + 2p - d(kh - 1) - 1) / s + 1)``.

Three ways to the same numbers, held equal by the tests:

* :func:`conv2d_loop` -- eq. (8.2) as written, one output element at a time (the reference);
* :func:`conv2d_im2col` -- Fig. 8.9: receptive fields stretched into the columns of ``X_col``,
  filters into the rows of ``W_row``, one matrix product;
* backward: :func:`conv2d_backward_chapter` -- eqs. (8.5b), (8.7), (8.12) as written, with
  dilated output gradients and 180-degree rotated filters; :func:`conv2d_backward_im2col` -- the
  same gradients from the ``X_col`` matrix of the forward pass (the default).

Training (:func:`conv2d_train_forward`, :func:`conv2d_train_backward`) takes the im2col route,
except for a layer with few filters at stride 1 (LeNet's first convolution), which runs the
direct loops of ``kernels/direct.py``: there ``X_col`` would cost more memory traffic than the
multiply-adds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.ops import threads
from cnnlab.ops.arrays import optional_real_array, real_array
from cnnlab.ops.shapes import Padding, conv_padding, memoized, output_size, pair


@dataclass(frozen=True)
class ConvGeometry:
    """Every size of one convolution, checked once: input (N, C, H, W), weight (K, C, kh, kw)."""

    n: int
    c: int
    h: int
    w: int
    k: int
    kh: int
    kw: int
    stride: tuple[int, int]
    padding: Padding
    dilation: tuple[int, int]
    ho: int
    wo: int

    @property
    def padded_shape(self) -> tuple[int, int, int, int]:
        (top, bottom), (left, right) = self.padding
        return self.n, self.c, self.h + top + bottom, self.w + left + right


@memoized
def conv_geometry(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: int | tuple = 1,
    padding: int | tuple | str = 0,
    dilation: int | tuple = 1,
) -> ConvGeometry:
    """Validate the arguments of a convolution and compute its output size, eq. (8.1)."""
    if len(x_shape) != 4:
        raise ValueError(f"conv2d: input must be 4-D (N, C, H, W), got shape {tuple(x_shape)}")
    if len(w_shape) != 4:
        raise ValueError(f"conv2d: weight must be 4-D (K, C, kh, kw), got shape {tuple(w_shape)}")
    n, c, h, w = x_shape
    k, wc, kh, kw = w_shape
    if wc != c:
        raise ValueError(
            f"conv2d: input has {c} channels but weight expects {wc} "
            f"(weight shape {tuple(w_shape)})"
        )
    if min(k, kh, kw) < 1:
        raise ValueError(f"conv2d: weight has an empty dimension, shape {tuple(w_shape)}")
    stride = pair(stride, "stride")
    dilation = pair(dilation, "dilation")
    pads = conv_padding(padding, (kh, kw), dilation, stride)
    ho = _conv_output_size("height", h, kh, stride[0], pads[0], dilation[0])
    wo = _conv_output_size("width", w, kw, stride[1], pads[1], dilation[1])
    return ConvGeometry(n, c, h, w, k, kh, kw, stride, pads, dilation, ho, wo)


def _conv_output_size(axis: str, n: int, f: int, s: int, p: tuple[int, int], d: int) -> int:
    try:
        return output_size(n, f, s, p, d)
    except ValueError as error:
        raise ValueError(f"conv2d: along the {axis}, {error}") from None


def pad_input(x: np.ndarray, padding: Padding) -> np.ndarray:
    """Zero-pad (N, C, H, W) by ``((top, bottom), (left, right))`` (Fig. 8.6)."""
    if padding == ((0, 0), (0, 0)):
        return x
    return np.pad(x, ((0, 0), (0, 0), *padding))


def _window(geom: ConvGeometry, u: int, v: int) -> tuple[slice, slice]:
    """Rows and columns of the padded input that filter tap (u, v) meets, one per output."""
    (sh, sw), (dh, dw) = geom.stride, geom.dilation
    rows = slice(u * dh, u * dh + sh * (geom.ho - 1) + 1, sh)
    cols = slice(v * dw, v * dw + sw * (geom.wo - 1) + 1, sw)
    return rows, cols


def conv2d_loop(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: int | tuple = 1,
    padding: int | tuple | str = 0,
    dilation: int | tuple = 1,
) -> np.ndarray:
    """Convolution by eq. (8.2), one output position at a time (the reference).

    ``z(k, i, j) = b(k) + sum_{k', u, v} x(k', i*s + u*d, j*s + v*d) W(k, k', u, v)``,
    computed for the whole batch at once. Input (N, C, H, W), weight (K, C, kh, kw), output
    (N, K, Ho, Wo). Integer arrays are computed in float64.
    """
    x, weight = real_array(x, "conv2d", "x"), real_array(weight, "conv2d", "weight")
    bias = optional_real_array(bias, "conv2d", "bias")
    geom = conv_geometry(x.shape, weight.shape, stride, padding, dilation)
    xp = pad_input(x, geom.padding)
    (sh, sw), (dh, dw) = geom.stride, geom.dilation
    span_h, span_w = dh * (geom.kh - 1) + 1, dw * (geom.kw - 1) + 1
    z = np.empty((geom.n, geom.k, geom.ho, geom.wo), dtype=np.result_type(x, weight))
    for i in range(geom.ho):
        for j in range(geom.wo):
            field = xp[:, :, i * sh : i * sh + span_h : dh, j * sw : j * sw + span_w : dw]
            for k in range(geom.k):
                z[:, k, i, j] = np.sum(field * weight[k], axis=(1, 2, 3))
    if bias is not None:
        z += bias.reshape(1, -1, 1, 1)
    return z


def im2col(
    x: np.ndarray,
    kernel_size: int | tuple | ConvGeometry,
    stride: int | tuple = 1,
    padding: int | tuple | str = 0,
    dilation: int | tuple = 1,
) -> np.ndarray:
    """Stretch every receptive field into a column (Fig. 8.9), padding included.

    ``im2col(x, kernel_size, stride=1, padding=0, dilation=1)``, or ``im2col(x, geom)`` with
    the :class:`ConvGeometry` of a convolution. Input (N, C, H, W) -> ``X_col`` of shape
    (C * kh * kw, N * Ho * Wo); row ``(c, u, v)`` holds tap (u, v) of channel c for every
    output position of every image (PyTorch's ``F.unfold`` gives the same rows, per image).
    Compiled; equal to :func:`im2col_reference` on the padded input (which serves while the
    kernel compiles).

    Example (Fig. 8.9: a 10 x 37 x 37 input, 5 x 5 filters at stride 2):
        >>> im2col(np.zeros((1, 10, 37, 37)), 5, stride=2).shape
        (250, 289)
    """
    geom = kernel_size
    if not isinstance(geom, ConvGeometry):
        x = real_array(x, "im2col", "x")
        if x.ndim != 4:
            raise ValueError(f"im2col: x must be 4-D (N, C, H, W), got shape {x.shape}")
        kh, kw = pair(kernel_size, "kernel_size")
        # One filter (K = 1) of the input's depth: the columns do not depend on K.
        geom = conv_geometry(x.shape, (1, x.shape[1], kh, kw), stride, padding, dilation)
    (top, _), (left, _) = geom.padding
    from cnnlab.ops import kernels  # numba loads on first use, not on import

    try:
        return kernels.im2col(
            x, (geom.kh, geom.kw), geom.stride, (top, left), geom.dilation, (geom.ho, geom.wo)
        )
    except kernels.NotCompiledYet:
        return im2col_reference(pad_input(x, geom.padding), geom)


def col2im(cols: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """Add every column back into the receptive field it came from; padding is dropped.

    ``X_col`` (C * kh * kw, N * Ho * Wo) -> input gradient (N, C, H, W). Compiled; equal to
    :func:`col2im_reference` cropped.
    """
    (top, _), (left, _) = geom.padding
    from cnnlab.ops import kernels  # numba loads on first use, not on import

    try:
        return kernels.col2im(
            cols,
            (geom.n, geom.c, geom.h, geom.w),
            (geom.kh, geom.kw),
            geom.stride,
            (top, left),
            geom.dilation,
            (geom.ho, geom.wo),
        )
    except kernels.NotCompiledYet:
        return _crop_padding(col2im_reference(cols, geom), geom)


def im2col_reference(xp: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """:func:`im2col` in NumPy on the padded input (N, C, Hp, Wp): one strided copy per tap."""
    n, c = xp.shape[:2]
    cols = np.empty((c, geom.kh, geom.kw, n, geom.ho, geom.wo), dtype=xp.dtype)
    for u in range(geom.kh):
        for v in range(geom.kw):
            rows, columns = _window(geom, u, v)
            cols[:, u, v] = xp[:, :, rows, columns].transpose(1, 0, 2, 3)
    return cols.reshape(c * geom.kh * geom.kw, n * geom.ho * geom.wo)


def col2im_reference(cols: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    """:func:`col2im` in NumPy: ``X_col`` -> padded input gradient (N, C, Hp, Wp)."""
    n, c = geom.n, geom.c
    cols = cols.reshape(c, geom.kh, geom.kw, n, geom.ho, geom.wo)
    xp = np.zeros(geom.padded_shape, dtype=cols.dtype)
    for u in range(geom.kh):
        for v in range(geom.kw):
            rows, columns = _window(geom, u, v)
            xp[:, :, rows, columns] += cols[:, u, v].transpose(1, 0, 2, 3)
    return xp


def conv2d_im2col(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: int | tuple = 1,
    padding: int | tuple | str = 0,
    dilation: int | tuple = 1,
) -> np.ndarray:
    """Convolution as one matrix product ``W_row @ X_col`` (Fig. 8.9).

    Input (N, C, H, W), weight (K, C, kh, kw), bias (K,) or None, output (N, K, Ho, Wo).
    Integer arrays are computed in float64.
    """
    x, weight = real_array(x, "conv2d", "x"), real_array(weight, "conv2d", "weight")
    bias = optional_real_array(bias, "conv2d", "bias")
    geom = conv_geometry(x.shape, weight.shape, stride, padding, dilation)
    return conv2d_forward(x, weight, bias, geom)[0]


def conv2d_forward(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, geom: ConvGeometry
) -> tuple[np.ndarray, np.ndarray]:
    """``z = W_row @ X_col + b`` (Fig. 8.9); returns ``z`` (N, K, Ho, Wo) and ``X_col``.

    ``z`` stays in the product's (K, N, Ho, Wo) memory order, seen as (N, K, Ho, Wo).
    """
    cols = im2col(x, geom)
    w_row = weight.reshape(geom.k, -1)
    z = threads.matmul(w_row, cols)  # (K, N * Ho * Wo)
    if bias is not None:
        z += bias.reshape(-1, 1)
    return z.reshape(geom.k, geom.n, geom.ho, geom.wo).transpose(1, 0, 2, 3), cols


# At most this many filters, a stride-1 convolution runs the direct loops (measured on LeNet's
# layers: 6 filters over 1 or 3 channels three times faster; 16 filters over 6 slower).
DIRECT_MAX_FILTERS = 8


@dataclass(frozen=True)
class DirectInput:
    """What the direct backward pass needs: the input and its padded channel-major copy."""

    x: np.ndarray
    padded: np.ndarray


def _runs_direct(x: np.ndarray, weight: np.ndarray, geom: ConvGeometry) -> bool:
    return (
        geom.k <= DIRECT_MAX_FILTERS
        and geom.stride == (1, 1)
        and geom.dilation == (1, 1)
        and x.dtype == weight.dtype
        and x.dtype in (np.float32, np.float64)
    )


def conv2d_train_forward(
    x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, geom: ConvGeometry
) -> tuple[np.ndarray, np.ndarray | DirectInput]:
    """:func:`conv2d_forward` for training: ``z`` (N, K, Ho, Wo) and what
    :func:`conv2d_train_backward` needs (``X_col``, or a :class:`DirectInput` when the direct
    loops ran)."""
    if _runs_direct(x, weight, geom):
        from cnnlab.ops import kernels

        padded = kernels.padded_channel_major(x, geom.padding)
        b = np.zeros(geom.k, x.dtype) if bias is None else bias
        try:
            z = kernels.conv_forward(padded, weight, b, (geom.ho, geom.wo))
            return z, DirectInput(x, padded)
        except kernels.NotCompiledYet:
            pass
    return conv2d_forward(x, weight, bias, geom)


def conv2d_train_backward(
    grad_z: np.ndarray,
    saved: np.ndarray | DirectInput | None,
    weight: np.ndarray,
    geom: ConvGeometry,
    needs: tuple[bool, bool, bool] = (True, True, True),
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Gradients (input, weight, bias) by the route :func:`conv2d_train_forward` took."""
    if not isinstance(saved, DirectInput):
        return conv2d_backward_im2col(grad_z, saved, weight, geom, needs)
    from cnnlab.ops import kernels

    try:
        grad_weight = None
        if needs[1]:
            grad_weight = kernels.conv_weight_grad(saved.padded, grad_z, (geom.kh, geom.kw))
        grad_input = None
        if needs[0]:
            grad_input = kernels.conv_input_grad(grad_z, weight, saved.x.shape, geom.padding)
    except kernels.NotCompiledYet:
        cols = im2col(saved.x, geom) if needs[1] else None
        return conv2d_backward_im2col(grad_z, cols, weight, geom, needs)
    grad_bias = None
    if needs[2]:  # summed in float64, as the weight gradient
        grad_bias = grad_z.sum(axis=(0, 2, 3), dtype=np.float64).astype(grad_z.dtype)
    return grad_input, grad_weight, grad_bias


def conv2d_backward_im2col(
    grad_z: np.ndarray,
    cols: np.ndarray,
    weight: np.ndarray,
    geom: ConvGeometry,
    needs: tuple[bool, bool, bool] = (True, True, True),
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Gradients (input, weight, bias) from the forward ``X_col``: the fast form of (8.5b)-(8.12).

    ``dW_row = dZ @ X_col^T`` is eq. (8.7) summed over the batch; ``dX_col = W_row^T @ dZ``
    followed by :func:`col2im` is eq. (8.12). ``needs`` skips gradients nobody asked for.
    """
    grad_rows = grad_z.transpose(1, 0, 2, 3).reshape(geom.k, -1)  # (K, N * Ho * Wo)
    grad_bias = grad_rows.sum(axis=1) if needs[2] else None
    grad_weight = threads.matmul(grad_rows, cols.T).reshape(weight.shape) if needs[1] else None
    grad_input = None
    if needs[0]:
        grad_input = col2im(threads.matmul(weight.reshape(geom.k, -1).T, grad_rows), geom)
    return grad_input, grad_weight, grad_bias


def _crop_padding(xp: np.ndarray, geom: ConvGeometry) -> np.ndarray:
    (top, _), (left, _) = geom.padding
    return np.ascontiguousarray(xp[:, :, top : top + geom.h, left : left + geom.w])


def dilate(grad_z: np.ndarray, stride: int | tuple[int, int]) -> np.ndarray:
    """Insert ``s - 1`` zero rows and columns between neighbours (Fig. 8.14).

    ``stride`` is an int ``s`` or a pair ``(sh, sw)``; the last two axes are dilated, so a
    map (Ho, Wo) or a batch (N, K, Ho, Wo) -> (..., (Ho - 1) * sh + 1, (Wo - 1) * sw + 1).
    """
    grad_z = real_array(grad_z, "dilate", "grad_z")
    if grad_z.ndim < 2:
        raise ValueError(f"dilate: grad_z must have 2 or more dimensions, got shape {grad_z.shape}")
    sh, sw = pair(stride, "stride")
    *lead, ho, wo = grad_z.shape
    out = np.zeros((*lead, (ho - 1) * sh + 1, (wo - 1) * sw + 1), dtype=grad_z.dtype)
    out[..., ::sh, ::sw] = grad_z
    return out


def rotate180(weight: np.ndarray) -> np.ndarray:
    """Flip each filter horizontally and then vertically (Fig. 8.17): the last two axes."""
    return real_array(weight, "rotate180", "weight")[..., ::-1, ::-1]


def full_convolution(
    grad_z: np.ndarray, filters: np.ndarray, dilation: tuple[int, int] = (1, 1)
) -> np.ndarray:
    """The *full* convolution of eq. (8.11): pad by the filter span minus one on every side.

    grad_z (N, K, Hd, Wd), filters (C, K, kh, kw) -> (N, C, Hd + span_h - 1, Wd + span_w - 1).
    """
    dilation = pair(dilation, "dilation")
    span_h = dilation[0] * (filters.shape[2] - 1)
    span_w = dilation[1] * (filters.shape[3] - 1)
    return conv2d_loop(grad_z, filters, padding=(span_h, span_w), dilation=dilation)


def conv2d_backward_chapter(
    x: np.ndarray,
    weight: np.ndarray,
    grad_z: np.ndarray,
    stride: int | tuple = 1,
    padding: int | tuple | str = 0,
    dilation: int | tuple = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients (input, weight, bias) exactly as the chapter derives them.

    * (8.5b) ``dL/db(k) = sum_{i,j} dL/dz(k, i, j)``;
    * (8.7)  ``dL/dW(k, c) = Convolution(x(c), Dilation[dL/dz(k)])``, summed over the batch;
      with a dilated filter the taps are ``d`` apart, so that convolution has stride ``d``;
    * (8.12) ``dL/dx(c) = full Convolution(Dilation[dL/dz], rotate180 W(:, c))`` over all k.

    x (N, C, H, W), weight (K, C, kh, kw), grad_z (N, K, Ho, Wo); integers become float64.
    """
    op = "conv2d_backward_chapter"
    x, weight = real_array(x, op, "x"), real_array(weight, op, "weight")
    grad_z = real_array(grad_z, op, "grad_z")
    geom = conv_geometry(x.shape, weight.shape, stride, padding, dilation)
    grad_bias = grad_z.sum(axis=(0, 2, 3))
    dilated = dilate(grad_z, geom.stride)
    xp = pad_input(x, geom.padding)
    # (8.7): channels of x against channels of dL/dz; the batch is the summed-over depth.
    grad_weight = conv2d_loop(
        xp.transpose(1, 0, 2, 3), dilated.transpose(1, 0, 2, 3), stride=geom.dilation
    ).transpose(1, 0, 2, 3)[:, :, : geom.kh, : geom.kw]
    # (8.12): rows/columns of the padded input that no window reached get no gradient.
    full = full_convolution(dilated, rotate180(weight).transpose(1, 0, 2, 3), geom.dilation)
    grad_padded = np.zeros(geom.padded_shape, dtype=full.dtype)
    grad_padded[:, :, : full.shape[2], : full.shape[3]] = full
    grad_input = _crop_padding(grad_padded, geom)
    return grad_input, np.ascontiguousarray(grad_weight), grad_bias


def conv2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: int | tuple = 1,
    padding: int | tuple | str = 0,
    dilation: int | tuple = 1,
    method: str = "im2col",
) -> np.ndarray:
    """2-D convolution, eq. (8.2): ``method='loop'`` (the reference) or ``'im2col'`` (Fig. 8.9).

    Input (N, C, H, W), weight (K, C, kh, kw), bias (K,) or None; output (N, K, Ho, Wo) with
    ``Ho = floor((H + 2p - d(kh - 1) - 1) / s + 1)``, eq. (8.1). Integer arrays (the
    exercises' matrices) are computed in float64, by either method.

    Example (exercise 1a):
        >>> X = np.array([[0, 1, 0, 0, 0], [0, 1, 0, 0, 0], [1, 1, 1, 1, 1],
        ...               [0, 1, 0, 0, 0], [0, 1, 0, 0, 0]])
        >>> W0 = np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0]])
        >>> conv2d(X[None, None], W0[None, None])[0, 0]
        array([[1., 1., 0.],
               [3., 3., 3.],
               [1., 1., 0.]])
    """
    if method == "loop":
        return conv2d_loop(x, weight, bias, stride, padding, dilation)
    if method == "im2col":
        return conv2d_im2col(x, weight, bias, stride, padding, dilation)
    raise ValueError(f"conv2d: method must be 'loop' or 'im2col', got {method!r}")
