"""Max and average pooling (eqs. 8.13-8.17).

Input (N, C, H, W), output (N, C, Ho, Wo) with ``Ho = floor((H + 2p - d(f - 1) - 1) / s + 1)``
(eq. 8.1; rounded up under ``ceil_mode``, dropping a last window that would start in the
padding). Each channel is pooled on its own. The ``*_reference`` functions loop over the f x f taps
of the window, each tap a strided slice of the whole batch, in row-major order: the first maximum
met is the one kept, the same element PyTorch picks. The default functions run compiled loops
(``kernels/``) that compute the same numbers; the tests hold the two equal, and the references
serve while the kernels compile in the background.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.ops.arrays import real_array
from cnnlab.ops.shapes import memoized, output_size, pair


@dataclass(frozen=True)
class PoolGeometry:
    """Every size of one pooling, checked once."""

    n: int
    c: int
    h: int
    w: int
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    ho: int
    wo: int

    def taps(self):
        """Yield (u, v, rows, cols): the slices of the padded input each tap reads."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        for u in range(kh):
            for v in range(kw):
                rows = slice(u * dh, u * dh + sh * (self.ho - 1) + 1, sh)
                cols = slice(v * dw, v * dw + sw * (self.wo - 1) + 1, sw)
                yield u, v, rows, cols

    def pad_widths(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """Padding on each side, the bottom/right grown so that every window fits."""
        result = []
        for n, k, s, p, d, o in zip(
            (self.h, self.w),
            self.kernel,
            self.stride,
            self.padding,
            self.dilation,
            (self.ho, self.wo),
            strict=True,
        ):
            needed = (o - 1) * s + d * (k - 1) + 1
            result.append((p, max(p, needed - n - p)))
        return result[0], result[1]


@memoized
def pool_geometry(
    shape: tuple[int, ...],
    kernel_size: int | tuple,
    stride: int | tuple | None,
    padding: int | tuple,
    dilation: int | tuple,
    ceil_mode: bool,
    name: str,
) -> PoolGeometry:
    """Validate pooling arguments as PyTorch does and compute the output size."""
    if len(shape) != 4:
        raise ValueError(f"{name}: input must be 4-D (N, C, H, W), got shape {tuple(shape)}")
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == () else pair(stride, "stride")
    padding = pair(padding, "padding", minimum=0)
    dilation = pair(dilation, "dilation")
    for p, k in zip(padding, kernel, strict=True):
        if 2 * p > k:
            raise ValueError(
                f"{name}: padding should be at most half of the kernel size, got "
                f"padding={padding} for kernel_size={kernel}"
            )
    n, c, h, w = shape
    ho, wo = (
        output_size(size, k, s, p, d, ceil_mode=ceil_mode)
        for size, k, s, p, d in zip((h, w), kernel, stride, padding, dilation, strict=True)
    )
    if ho < 1 or wo < 1:
        raise ValueError(f"{name}: input {tuple(shape)} gives an empty output ({ho}, {wo})")
    for axis, size, out, k, s, p, d in zip(
        ("height", "width"), (h, w), (ho, wo), kernel, stride, padding, dilation, strict=True
    ):
        first = _first_inside(size, out, s, p, d)
        if ((first >= size) | (first > np.arange(out) * s - p + d * (k - 1))).any():
            raise ValueError(
                f"{name}: along the {axis} some windows hold only padding (input {size}, "
                f"kernel {k}, stride {s}, padding {p}, dilation {d}); reduce padding or dilation"
            )
    return PoolGeometry(n, c, h, w, kernel, stride, padding, dilation, ho, wo)


def _pad(x: np.ndarray, geom: PoolGeometry, value: float) -> np.ndarray:
    widths = geom.pad_widths()
    if widths == ((0, 0), (0, 0)):
        return x
    return np.pad(x, ((0, 0), (0, 0), *widths), constant_values=value)


def _first_inside(size: int, out: int, s: int, p: int, d: int) -> np.ndarray:
    """Index of the first in-bounds tap of each window along one axis."""
    start = np.arange(out) * s - p
    return np.where(start < 0, start + (-start + d - 1) // d * d, start)


def max_pool2d(
    x: np.ndarray,
    kernel_size: int | tuple,
    stride: int | tuple | None = None,
    padding: int | tuple = 0,
    dilation: int | tuple = 1,
    ceil_mode: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling, eqs. (8.13)-(8.14): the maximum and its position p(i, j) in each window.

    Input (N, C, H, W) -> output (N, C, Ho, Wo) and indices (N, C, Ho, Wo), each the flat
    position ``m * W + n`` of the maximum in its input channel (as PyTorch's
    ``return_indices``). Padding counts as -inf; NaN wins as in PyTorch. Integer input is
    computed in float64.
    """
    x = real_array(x, "max_pool2d", "x")
    geom = pool_geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    if np.isnan(x).any():
        return max_pool2d_reference(x, kernel_size, stride, padding, dilation, ceil_mode)
    from cnnlab.ops import kernels  # numba loads on first use, not on import

    try:
        return kernels.max_pool(
            x, geom.kernel, geom.stride, geom.padding, geom.dilation, (geom.ho, geom.wo)
        )
    except kernels.NotCompiledYet:
        return max_pool2d_reference(x, kernel_size, stride, padding, dilation, ceil_mode)


def max_pool2d_reference(
    x: np.ndarray,
    kernel_size: int | tuple,
    stride: int | tuple | None = None,
    padding: int | tuple = 0,
    dilation: int | tuple = 1,
    ceil_mode: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`max_pool2d` in NumPy, one strided slice per window tap."""
    geom = pool_geometry(x.shape, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    xp = _pad(x, geom, -np.inf)
    (ph, pw), (dh, dw) = geom.padding, geom.dilation
    row0 = _first_inside(geom.h, geom.ho, geom.stride[0], ph, dh)
    col0 = _first_inside(geom.w, geom.wo, geom.stride[1], pw, dw)
    out = np.full((geom.n, geom.c, geom.ho, geom.wo), -np.inf, dtype=x.dtype)
    index = np.broadcast_to(row0[:, None] * geom.w + col0[None, :], out.shape).copy()
    base = (np.arange(geom.ho) * geom.stride[0] - ph)[:, None] * geom.w + (
        np.arange(geom.wo) * geom.stride[1] - pw
    )[None, :]
    for u, v, rows, cols in geom.taps():
        tap = xp[:, :, rows, cols]
        better = (tap > out) | np.isnan(tap)
        np.copyto(out, tap, where=better)
        np.copyto(index, base + u * dh * geom.w + v * dw, where=better)
    return out, index


def max_pool2d_backward(
    grad_out: np.ndarray, indices: np.ndarray, input_shape: tuple[int, ...]
) -> np.ndarray:
    """Route each output gradient to the position of its maximum, eq. (8.15).

    grad_out and indices (N, C, Ho, Wo) -> grad_input (N, C, H, W); overlapping windows add up.
    """
    grad_out = real_array(grad_out, "max_pool2d_backward", "grad_out")
    from cnnlab.ops import kernels  # numba loads on first use, not on import

    try:
        return kernels.max_pool_backward(grad_out, indices, tuple(input_shape))
    except kernels.NotCompiledYet:
        return max_pool2d_backward_reference(grad_out, indices, input_shape)


def max_pool2d_backward_reference(
    grad_out: np.ndarray, indices: np.ndarray, input_shape: tuple[int, ...]
) -> np.ndarray:
    """:func:`max_pool2d_backward` in NumPy, one ``bincount`` over all positions."""
    n, c, h, w = input_shape
    offsets = (np.arange(n * c) * (h * w)).reshape(n, c, 1, 1)
    flat = np.bincount(
        (indices + offsets).ravel(), weights=grad_out.ravel(), minlength=n * c * h * w
    )
    return flat.astype(grad_out.dtype, copy=False).reshape(input_shape)


def _avg_divisors(
    geom: PoolGeometry, count_include_pad: bool, divisor_override: int | None
) -> np.ndarray:
    """The divisor of each window (Ho, Wo): f x f, clipped to the input as PyTorch clips it."""
    if divisor_override is not None:
        return np.full((geom.ho, geom.wo), divisor_override)
    lengths = []
    for size, k, s, p, out in zip(
        (geom.h, geom.w), geom.kernel, geom.stride, geom.padding, (geom.ho, geom.wo), strict=True
    ):
        start = np.arange(out) * s - p
        end = np.minimum(start + k, size + p)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, size)
        lengths.append(end - start)
    return np.outer(lengths[0], lengths[1])


def avg_pool2d(
    x: np.ndarray,
    kernel_size: int | tuple,
    stride: int | tuple | None = None,
    padding: int | tuple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """Average pooling, eq. (8.16): the mean of each f x f window.

    Input (N, C, H, W) -> output (N, C, Ho, Wo). Zero padding is counted in the divisor unless
    ``count_include_pad=False``; ``divisor_override`` replaces the divisor. Integer input is
    computed in float64.
    """
    x = real_array(x, "avg_pool2d", "x")
    geom, divisors = _avg_setup(
        x.shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    from cnnlab.ops import kernels  # numba loads on first use, not on import

    try:
        return kernels.avg_pool(x, geom.kernel, geom.stride, geom.padding, divisors)
    except kernels.NotCompiledYet:
        return avg_pool2d_reference(
            x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
        )


def avg_pool2d_reference(
    x: np.ndarray,
    kernel_size: int | tuple,
    stride: int | tuple | None = None,
    padding: int | tuple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """:func:`avg_pool2d` in NumPy, one strided slice per window tap."""
    geom, divisors = _avg_setup(
        x.shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    xp = _pad(x, geom, 0.0)
    total = np.zeros((geom.n, geom.c, geom.ho, geom.wo), dtype=x.dtype)
    for _, _, rows, cols in geom.taps():
        total += xp[:, :, rows, cols]
    return total / divisors.astype(x.dtype)


def avg_pool2d_backward(
    grad_out: np.ndarray,
    input_shape: tuple[int, ...],
    kernel_size: int | tuple,
    stride: int | tuple | None = None,
    padding: int | tuple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """Spread each output gradient evenly over its window, eq. (8.17).

    grad_out (N, C, Ho, Wo) -> grad_input (N, C, H, W).
    """
    grad_out = real_array(grad_out, "avg_pool2d_backward", "grad_out")
    geom, divisors = _avg_setup(
        input_shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    from cnnlab.ops import kernels  # numba loads on first use, not on import

    try:
        return kernels.avg_pool_backward(
            grad_out, tuple(input_shape), geom.kernel, geom.stride, geom.padding, divisors
        )
    except kernels.NotCompiledYet:
        return avg_pool2d_backward_reference(
            grad_out,
            input_shape,
            kernel_size,
            stride,
            padding,
            ceil_mode,
            count_include_pad,
            divisor_override,
        )


def avg_pool2d_backward_reference(
    grad_out: np.ndarray,
    input_shape: tuple[int, ...],
    kernel_size: int | tuple,
    stride: int | tuple | None = None,
    padding: int | tuple = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> np.ndarray:
    """:func:`avg_pool2d_backward` in NumPy, one strided slice per window tap."""
    geom, divisors = _avg_setup(
        input_shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    )
    share = grad_out / divisors.astype(grad_out.dtype)
    (top, bottom), (left, right) = geom.pad_widths()
    grad = np.zeros((geom.n, geom.c, geom.h + top + bottom, geom.w + left + right), grad_out.dtype)
    for _, _, rows, cols in geom.taps():
        grad[:, :, rows, cols] += share
    return np.ascontiguousarray(grad[:, :, top : top + geom.h, left : left + geom.w])


def _avg_setup(shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    """The checked geometry of an average pooling and the divisor of each window (Ho, Wo)."""
    geom = pool_geometry(shape, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    _check_divisor(divisor_override)
    return geom, _avg_divisors(geom, count_include_pad, divisor_override)


def _check_divisor(divisor_override: int | None) -> None:
    if divisor_override is not None and (
        not isinstance(divisor_override, int | np.integer) or divisor_override == 0
    ):
        raise ValueError(
            f"avg_pool2d: divisor_override must be a non-zero int, got {divisor_override!r}"
        )
