"""Turning what a request sends into the image the network sees.

Two ways in: a JSON array of floats in [0, 1] already shaped as the model's input (a white digit
on black for MNIST models), or the bytes of an image file. Files are opened by Pillow with a
pixel limit checked on the header, before anything is decoded, so a small file that would
decompress to a huge image is refused; they are then made into the model's input as
``cnnlab predict`` makes files: digits placed the way MNIST's were
(:func:`cnnlab.data.images.mnist_style`), other images resized.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence

import numpy as np

from cnnlab.data.images import image_array
from cnnlab.train.inference import LoadedModel
from cnnlab.train.predict import model_input

MAX_PIXELS = 4096 * 4096


class BadImage(ValueError):
    """What was sent cannot be made into the model's input; ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def expected_shape(shape: Sequence[int]) -> str:
    """How the JSON image must be nested for input ``(C, H, W)``, in words."""
    channels, height, width = shape
    rows = f"{height} rows of {width} numbers"
    return rows if channels == 1 else f"{channels} channels of {rows}"


def array_from_json(value, shape: Sequence[int]) -> np.ndarray:
    """A JSON ``image`` as ``float32`` ``(C, H, W)``: nested lists of numbers in [0, 1] shaped
    ``(H, W)`` (one channel) or ``(C, H, W)``.

    Raises:
        BadImage: a wrong type, a wrong shape, NaN or infinite values, values outside [0, 1].
    """
    channels = shape[0]
    grid = [value] if channels == 1 and nesting(value) == 2 else value
    if nesting(grid) != 3 or not is_number_grid(grid):
        raise BadImage(
            f"'image' must be {expected_shape(shape)} (numbers in [0, 1]), "
            f"got {describe_json(value)}"
        )
    mismatch = shape_mismatch(grid, shape)
    if mismatch is not None:
        raise BadImage(f"'image' must be {expected_shape(shape)}, got {mismatch}")
    try:
        array = np.array(grid, dtype=np.float64)
    except OverflowError as error:
        raise BadImage(f"'image' has a number too large for a float: {error}") from error
    if not np.isfinite(array).all():
        _, i, j = np.argwhere(~np.isfinite(array))[0]
        raise BadImage(f"'image' has a NaN or infinite value at row {i}, column {j}")
    if array.min() < 0 or array.max() > 1:
        raise BadImage(
            f"'image' values must be in [0, 1], got values from {array.min():g} to {array.max():g}"
        )
    return array.astype(np.float32)


def shape_mismatch(grid: list, shape: Sequence[int]) -> str | None:
    """How a ``(C, H, W)`` nest of lists differs from ``shape``, or None if it does not."""
    channels, height, width = shape
    if len(grid) != channels:
        return f"{len(grid)} channels"
    for plane in grid:
        if len(plane) != height:
            return f"{len(plane)} rows"
        for i, row in enumerate(plane):
            if len(row) != width:
                return f"{len(row)} numbers in row {i}"
    return None


def nesting(value) -> int:
    """How deep ``value`` is nested in lists, following first elements."""
    depth = 0
    while isinstance(value, list):
        depth += 1
        value = value[0] if value else None
    return depth


def is_number_grid(grid: list) -> bool:
    """Whether ``grid`` is a list of lists of lists of numbers (bools and strings are not)."""
    return all(
        isinstance(plane, list)
        and all(isinstance(row, list) and all(is_number(v) for v in row) for row in plane)
        for plane in grid
    )


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def describe_json(value) -> str:
    """A short description of a JSON value for an error message."""
    if isinstance(value, list):
        return f"a list nested {nesting(value)} deep"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


def open_image(data: bytes):
    """Pillow's image of ``data``, decoded only if its header gives at most
    :data:`MAX_PIXELS` pixels (Pillow's own bomb warning is an error here too)."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise BadImage(f"the image is too large: {error}", 413) from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise BadImage("the body is not an image Pillow can read (PNG, JPEG, ...)") from error
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise BadImage(
            f"the image is too large: {width}x{height} = {width * height:,} pixels, "
            f"at most {MAX_PIXELS:,} are accepted",
            413,
        )
    try:
        image.load()
        return ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise BadImage(f"the image cannot be decoded (truncated or damaged?): {error}") from error


def array_from_image(
    data: bytes, loaded: LoadedModel, invert: bool | None
) -> tuple[np.ndarray, bool]:
    """An image file's bytes as ``loaded``'s input ``(C, H, W)`` in [0, 1], made as
    ``cnnlab predict`` makes files (:func:`cnnlab.train.predict.model_input`: digits placed as
    MNIST's, the polarity detected unless ``invert`` forces it), and whether it was inverted."""
    return model_input(image_array(open_image(data)), loaded, invert)
