"""Argument checks and the size arithmetic (eq. 8.1) shared by the model builders."""

from __future__ import annotations

from cnnlab.ops.shapes import output_size


def check_image(model: str, in_channels: int, num_classes: int, image_size: int) -> None:
    """Raise ``ValueError`` naming the argument unless all three are positive ints."""
    for name, value in (
        ("in_channels", in_channels),
        ("num_classes", num_classes),
        ("image_size", image_size),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{model}: {name} must be a positive int, got {value!r}")


def conv_size(model: str, n: int, f: int, p: int = 0) -> int:
    """Output side of a stride-1 convolution, eq. (8.1), with an error naming the model."""
    if n + 2 * p < f:
        raise ValueError(
            f"{model}: the input is too small: a {f}x{f} filter does not fit a feature map of "
            f"side {n} (padding {p}); use a larger image_size"
        )
    return output_size(n, f, 1, p)


def pooled_size(model: str, n: int, f: int) -> int:
    """Output side of an f x f pooling with stride f, eq. (8.1), with an error naming the model."""
    if n < f:
        raise ValueError(
            f"{model}: the input is too small: a feature map of side {n} is smaller than the "
            f"{f}x{f} pooling window; use a larger image_size"
        )
    return output_size(n, f, f)
