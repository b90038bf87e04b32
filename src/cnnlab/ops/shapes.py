"""Output sizes (eq. 8.1), argument normalization and parameter counts (Table 8.1)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

Pair = tuple[int, int]
Padding = tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right))


def memoized(compute: Callable) -> Callable:
    """Remember ``compute``'s results for hashable arguments: a layer asks for the same
    geometry at every step, and checking it again each time would cost more than the math at
    small batch sizes. Errors are not remembered; unhashable arguments (lists) skip the memo."""
    cached = functools.lru_cache(maxsize=512)(compute)

    @functools.wraps(compute)
    def lookup(*args, **kwargs):
        try:
            return cached(*args, **kwargs)
        except TypeError as error:
            if "unhashable" not in str(error):
                raise
            return compute(*args, **kwargs)

    return lookup


def pair(value: int | tuple[int, ...] | list[int], name: str, *, minimum: int = 1) -> Pair:
    """Normalize an int or a pair of ints to ``(height, width)``, checking ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | tuple | list | np.integer):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    values = (value, value) if isinstance(value, int | np.integer) else tuple(value)
    if len(values) != 2 or not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in values
    ):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return int(values[0]), int(values[1])


def conv_padding(padding: int | tuple | str, kernel: Pair, dilation: Pair, stride: Pair) -> Padding:
    """Resolve a conv ``padding`` argument to ``((top, bottom), (left, right))``.

    Accepts an int, a pair ``(ph, pw)``, that nested form itself, ``'valid'`` or ``'same'``.

    ``'valid'`` is no padding; ``'same'`` pads ``dilation * (kernel - 1)`` in all, the odd one
    at the bottom/right as PyTorch does, and needs stride 1.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(f"padding='same' needs stride 1, got stride={stride}")
            totals = [d * (k - 1) for d, k in zip(dilation, kernel, strict=True)]
            top, left = (t // 2 for t in totals)
            return (top, totals[0] - top), (left, totals[1] - left)
        raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    if (
        isinstance(padding, tuple)
        and len(padding) == 2
        and all(isinstance(p, tuple) for p in padding)
    ):
        top, bottom = pair(padding[0], "padding", minimum=0)
        left, right = pair(padding[1], "padding", minimum=0)
        return (top, bottom), (left, right)
    ph, pw = pair(padding, "padding", minimum=0)
    return (ph, ph), (pw, pw)


def output_size(
    n: int,
    f: int,
    s: int = 1,
    p: int | tuple[int, int] = 0,
    d: int = 1,
    *,
    ceil_mode: bool = False,
) -> int:
    """Output length along one axis, eq. (8.1): ``floor((n + 2p - f) / s + 1)``.

    With dilation the filter spans ``d * (f - 1) + 1`` inputs. ``p`` may be ``(before, after)``.
    With ``ceil_mode`` (pooling) the division rounds up, but a last window that would start in
    the right padding is dropped, as in PyTorch.
    """
    before, after = (p, p) if isinstance(p, int | np.integer) else p
    span = d * (f - 1) + 1
    padded = n + before + after
    if s < 1:
        raise ValueError(f"stride must be >= 1, got {s}")
    if padded < span:
        raise ValueError(
            f"kernel size {f} (spanning {span} with dilation {d}) is larger than the padded "
            f"input size {padded} (input {n}, padding {before}+{after})"
        )
    if not ceil_mode:
        return (padded - span) // s + 1
    out = math.ceil((padded - span) / s) + 1
    if (out - 1) * s >= n + before:
        out -= 1
    return out


def conv_parameter_count(
    in_channels: int, out_channels: int, f: int | Pair, bias: bool = True
) -> int:
    """Learnable parameters of a conv layer, Table 8.1: ``(n_c_in * f * f + 1) * n_c_out``."""
    fh, fw = pair(f, "f")
    return (in_channels * fh * fw + int(bias)) * out_channels


def linear_parameter_count(in_features: int, out_features: int, bias: bool = True) -> int:
    """Learnable parameters of a fully connected layer, Table 8.1: ``(n_in + 1) * n_out``."""
    return (in_features + int(bias)) * out_features


def batch_norm_parameter_count(num_features: int, affine: bool = True) -> int:
    """Learnable parameters of batch normalization, eq. (8.18d): a gamma and a beta per channel."""
    return 2 * num_features if affine else 0
