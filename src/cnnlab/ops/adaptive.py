"""Adaptive pooling: windows chosen so that the output has a requested size
(``nn.AdaptiveAvgPool2d``, ``nn.AdaptiveMaxPool2d``).

Output cell ``i`` of an axis of length ``n`` pooled to ``m`` covers the inputs
``[floor(i n / m), ceil((i + 1) n / m))``, PyTorch's bins: they tile the axis, overlapping by one
where ``m`` does not divide ``n``. Input (N, C, H, W), output (N, C, Ho, Wo).
"""

from __future__ import annotations

import numpy as np


def adaptive_output_size(
    shape: tuple[int, ...], output_size, name: str = "adaptive_pool2d"
) -> tuple[int, int]:
    """``output_size`` (int, pair, ``None`` entries keep the input's size) as ``(Ho, Wo)``."""
    if isinstance(output_size, bool):
        raise TypeError(f"{name}: output_size must be an int or a pair, got {output_size!r}")
    sizes = (
        (output_size, output_size)
        if output_size is None or isinstance(output_size, int | np.integer)
        else tuple(output_size)
    )
    if len(sizes) != 2:
        raise ValueError(f"{name}: output_size must be an int or a pair, got {output_size!r}")
    result = []
    for size, n in zip(sizes, shape[-2:], strict=True):
        if size is None:
            size = n
        if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
            raise ValueError(
                f"{name}: output_size entries must be positive ints or None, got {output_size!r}"
            )
        result.append(int(size))
    return result[0], result[1]


def adaptive_bins(n: int, m: int) -> list[tuple[int, int]]:
    """``[(start, stop)]`` of the m bins over an axis of n: ``floor(i n / m)``,
    ``ceil((i + 1) n / m)``."""
    return [((i * n) // m, -((-(i + 1) * n) // m)) for i in range(m)]


def _check_input(x_shape: tuple[int, ...], name: str) -> None:
    if len(x_shape) != 4 or min(x_shape[2:]) < 1:
        raise ValueError(
            f"{name}: input must be (N, C, H, W) with H, W > 0, got shape {tuple(x_shape)}"
        )


def adaptive_avg_pool2d(x: np.ndarray, output_size) -> np.ndarray:
    """Mean of each adaptive bin: (N, C, H, W) -> (N, C, Ho, Wo) (``F.adaptive_avg_pool2d``)."""
    _check_input(x.shape, "adaptive_avg_pool2d")
    ho, wo = adaptive_output_size(x.shape, output_size, "adaptive_avg_pool2d")
    n, c, h, w = x.shape
    if h % ho == 0 and w % wo == 0:  # equal, disjoint bins: one reshaped mean
        return x.reshape(n, c, ho, h // ho, wo, w // wo).mean(axis=(3, 5))
    out = np.empty((n, c, ho, wo), dtype=x.dtype)
    for i, (r0, r1) in enumerate(adaptive_bins(h, ho)):
        for j, (c0, c1) in enumerate(adaptive_bins(w, wo)):
            out[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return out


def adaptive_avg_pool2d_backward(grad: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """Each output gradient spread evenly over its bin: (N, C, Ho, Wo) -> (N, C, H, W)."""
    n, c, h, w = input_shape
    ho, wo = grad.shape[2:]
    if h % ho == 0 and w % wo == 0:
        kh, kw = h // ho, w // wo
        spread = np.broadcast_to(
            (grad / np.asarray(kh * kw, grad.dtype))[:, :, :, None, :, None],
            (n, c, ho, kh, wo, kw),
        )
        return spread.reshape(input_shape)
    out = np.zeros(input_shape, dtype=grad.dtype)
    for i, (r0, r1) in enumerate(adaptive_bins(h, ho)):
        for j, (c0, c1) in enumerate(adaptive_bins(w, wo)):
            area = np.asarray((r1 - r0) * (c1 - c0), grad.dtype)
            out[:, :, r0:r1, c0:c1] += (grad[:, :, i, j] / area)[:, :, None, None]
    return out


def adaptive_max_pool2d(x: np.ndarray, output_size) -> tuple[np.ndarray, np.ndarray]:
    """Maximum of each adaptive bin and its flat position ``row * W + col`` in the channel
    (the first one in row-major order; NaN wins, as in PyTorch): (N, C, Ho, Wo) twice."""
    _check_input(x.shape, "adaptive_max_pool2d")
    ho, wo = adaptive_output_size(x.shape, output_size, "adaptive_max_pool2d")
    n, c, h, w = x.shape
    out = np.empty((n, c, ho, wo), dtype=x.dtype)
    index = np.empty((n, c, ho, wo), dtype=np.int64)
    for i, (r0, r1) in enumerate(adaptive_bins(h, ho)):
        for j, (c0, c1) in enumerate(adaptive_bins(w, wo)):
            window = x[:, :, r0:r1, c0:c1].reshape(n, c, -1)
            at = window.argmax(axis=2)  # NumPy's argmax: the first maximum, or the first NaN
            out[:, :, i, j] = np.take_along_axis(window, at[:, :, None], axis=2)[:, :, 0]
            width = c1 - c0
            index[:, :, i, j] = (r0 + at // width) * w + c0 + at % width
    return out, index
