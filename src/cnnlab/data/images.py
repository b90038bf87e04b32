"""Image files and drawings made ready for a digit model, the way MNIST's digits were made.

MNIST's digits are light on dark, and were placed by one recipe (LeCun et al.): each digit's
bounding box was scaled to fit a 20 x 20 box keeping its aspect ratio, anti-aliased to grey
levels, then put in a 28 x 28 field so that its centre of mass sits at the field's centre.
In the embedded digits the centre of mass is at pixel (14.0, 14.0) on average with a spread of
0.29 pixel in each direction: the translation was by whole pixels. A digit drawn on a canvas or
photographed on paper is dark on light, of any size, anywhere on the page; :func:`mnist_style`
applies the same recipe to it, so that a model trained on MNIST sees what it was trained on.

Example:
    >>> image = load_image("digit.png")  # doctest: +SKIP
    >>> digit, inverted = mnist_style(image)  # doctest: +SKIP
    >>> digit.shape, digit.dtype, inverted  # doctest: +SKIP
    ((28, 28), dtype('float32'), True)
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

FIELD = 28  # the side of an MNIST image
BOX = 20  # the side of the box each digit's bounding box is scaled to fit
CENTRE = 14.0  # where MNIST's centres of mass are, in pixel indices (0 .. 27)
INK = 0.2  # pixels above this (after the background is taken out) count for the bounding box
BORDER = 0.05  # the width of the border that tells the background, as a fraction of the side
MAX_SIDE = 4096  # image files with a longer side are shrunk to it as they are read


def as_grey(image: np.ndarray) -> np.ndarray:
    """``image`` as float64 grey levels in [0, 1], shape ``(H, W)``.

    Accepts ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA); integer
    arrays hold 0 .. 255, float arrays 0 .. 1 (or 0 .. 255 when any value is above 1). Colour
    becomes grey by ITU-R 601-2 luma, as Pillow's ``convert("L")``; transparent pixels are put
    on white, as an image viewer shows them.
    """
    array = np.asarray(image)
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
        raise ValueError(
            f"mnist_style: image must be H x W (grey), H x W x 3 (RGB) or H x W x 4 (RGBA), "
            f"got an array of shape {array.shape}"
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"mnist_style: image is empty (shape {array.shape})")
    if array.dtype.kind not in "biuf":
        raise ValueError(f"mnist_style: image must hold numbers, got dtype {array.dtype}")
    values = array.astype(np.float64)
    if not np.isfinite(values).all() or values.min() < 0:
        raise ValueError("mnist_style: image values must be finite and non-negative")
    if array.dtype.kind in "iu" or values.max() > 1:
        if values.max() > 255:
            raise ValueError(
                f"mnist_style: image values must be in 0 .. 255, got up to {values.max():g}"
            )
        values = values / 255
    if values.ndim == 2:
        return values
    if values.shape[2] == 4:
        alpha = values[..., 3:]
        values = values[..., :3] * alpha + (1 - alpha)
    if values.shape[2] == 1:
        return values[..., 0]
    return values @ np.array([0.299, 0.587, 0.114])


def border_level(grey: np.ndarray) -> float:
    """The median grey level of the image's border (5 % of the shorter side, at least 1 pixel):
    the background's level, since a drawing rarely reaches the edges."""
    width = max(1, round(BORDER * min(grey.shape)))
    frame = np.ones(grey.shape, dtype=bool)
    frame[width:-width, width:-width] = False
    return float(np.median(grey[frame]))


def ink_box(digit: np.ndarray) -> tuple[slice, slice] | None:
    """Rows and columns of the bounding box of the pixels above :data:`INK`, or None."""
    rows = np.flatnonzero((digit > INK).any(axis=1))
    cols = np.flatnonzero((digit > INK).any(axis=0))
    if rows.size == 0:
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def fit_box(crop: np.ndarray) -> np.ndarray:
    """``crop`` scaled so that its longer side is :data:`BOX` pixels, keeping the aspect ratio.

    Shrinking averages the area each new pixel covers (Pillow's box filter): the grey levels of
    anti-aliasing, as MNIST's. Enlarging a small crop interpolates bilinearly.
    """
    from PIL import Image

    height, width = crop.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    method = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    resized = Image.fromarray(crop.astype(np.float32)).resize(size, method)
    return np.clip(np.asarray(resized, dtype=np.float64), 0, 1)


def centre_by_mass(box: np.ndarray) -> np.ndarray:
    """A ``28 x 28`` field holding ``box``, moved by whole pixels so that its centre of mass
    is at pixel (14, 14) as in MNIST."""
    height, width = box.shape
    rows, cols = np.arange(height), np.arange(width)
    mass = box.sum()
    centre_row = (box.sum(axis=1) @ rows) / mass
    centre_col = (box.sum(axis=0) @ cols) / mass
    top = int(np.round(CENTRE - centre_row))
    left = int(np.round(CENTRE - centre_col))
    field = np.zeros((FIELD, FIELD))
    rows_in = slice(max(0, -top), min(height, FIELD - top))
    cols_in = slice(max(0, -left), min(width, FIELD - left))
    field[rows_in.start + top : rows_in.stop + top, cols_in.start + left : cols_in.stop + left] = (
        box[rows_in, cols_in]
    )
    return field


def mnist_style(image: np.ndarray, *, invert: bool | None = None) -> tuple[np.ndarray, bool]:
    """A drawn or photographed digit as MNIST's: ``28 x 28``, light on dark, placed as MNIST's.

    The steps, in order:

    1. grey levels in [0, 1] (see below for what ``image`` may be);
    2. polarity: MNIST's digits are light on a dark background. With ``invert=None`` the image
       is inverted (``1 - x``) when its border (5 % of the shorter side) is lighter than mid
       grey, i.e. a dark digit on a light page; ``True`` or ``False`` force it;
    3. the background level (the border's median, if darker than mid grey) is taken out and
       the brightest pixel scaled to 1, so a grey page or a grey pen gives MNIST's range;
    4. the bounding box of the ink (pixels above 0.2) is scaled to fit 20 x 20 keeping its
       aspect ratio, with anti-aliasing;
    5. the box is put in a 28 x 28 field, moved by whole pixels so that its centre of mass
       lands on pixel (14, 14), MNIST's own average.

    Args:
        image: an array ``(H, W)`` grey, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA (also
            ``(H, W, 1)``), of any size. Integer arrays hold 0 .. 255; float arrays 0 .. 1, or
            0 .. 255 when some value is above 1. Colour becomes grey by ITU-R 601-2 luma (as
            Pillow's ``convert("L")``); transparent pixels are put on white.
        invert: ``None`` to detect the polarity from the border, ``True`` to invert, ``False``
            to keep the image as it is.

    Returns:
        ``(digit, inverted)``: ``digit`` is a float32 array ``(28, 28)`` in [0, 1], light on
        dark; ``inverted`` says whether the image was inverted. An image without ink (all
        background) gives a field of zeros.

    Raises:
        ValueError: ``image`` is not an array of one of those shapes, or its values are not
            finite and in range.

    Example:
        >>> page = np.full((200, 200), 255, np.uint8)
        >>> page[40:160, 95:105] = 0  # a "1" drawn black on white
        >>> digit, inverted = mnist_style(page)
        >>> digit.shape, inverted, digit.max()
        ((28, 28), True, np.float32(1.0))
    """
    if invert is not None and not isinstance(invert, bool | np.bool_):
        raise TypeError(f"mnist_style: invert must be None, True or False, got {invert!r}")
    grey = as_grey(image)
    inverted = border_level(grey) > 0.5 if invert is None else bool(invert)
    if inverted:
        grey = 1 - grey
    background = min(border_level(grey), 0.5)
    peak = grey.max()
    if peak - background <= 1 / 255:
        return np.zeros((FIELD, FIELD), np.float32), inverted
    digit = np.clip((grey - background) / (peak - background), 0, 1)
    box = ink_box(digit)
    if box is None:
        return np.zeros((FIELD, FIELD), np.float32), inverted
    return centre_by_mass(fit_box(digit[box])).astype(np.float32), inverted


def load_image(path: str | Path) -> np.ndarray:
    """Read an image file (any format Pillow reads: PNG, JPEG, GIF, BMP, TIFF, WebP, ...).

    The camera's orientation tag is applied (a phone photo comes out upright). Grey images give
    ``uint8`` ``(H, W)``; colour ones ``(H, W, 3)``; images with transparency ``(H, W, 4)``
    (RGBA); 16-bit grey is scaled to 8 bits. Only the first frame of an animation is read.
    An image with a side longer than :data:`MAX_SIDE` pixels is shrunk by Pillow to fit
    ``MAX_SIDE`` x ``MAX_SIDE`` (aspect ratio kept): a digit needs far fewer pixels, and a page of
    tens of millions of them would take seconds and gigabytes in :func:`mnist_style`.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not an image, is truncated or damaged, or is a decompression
            bomb (more pixels than Pillow's ``Image.MAX_IMAGE_PIXELS``); the message names the
            file and says which.

    Example:
        >>> load_image("digit.png").shape  # doctest: +SKIP
        (200, 200)
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such image file")
    try:
        with warnings.catch_warnings():
            # Pillow warns of damaged metadata (EXIF, TIFF tags) and reads the pixels anyway.
            warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                opened.load()
                image = ImageOps.exif_transpose(opened)
                image.thumbnail((MAX_SIDE, MAX_SIDE))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValueError(f"{path}: refused as a decompression bomb: {error}") from error
    except UnidentifiedImageError as error:
        raise ValueError(f"{path}: not an image file Pillow can read") from error
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        raise ValueError(f"{path}: the image is truncated or damaged: {error}") from error
    return image_array(image)


def image_array(image) -> np.ndarray:
    """A Pillow image as ``uint8`` ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)``."""
    if image.mode.startswith("I;16"):
        return np.round(np.asarray(image, dtype=np.float64) / 257).astype(np.uint8)
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        return np.asarray(image.convert("RGBA"), dtype=np.uint8)
    if image.mode in ("1", "L", "I", "F"):
        return np.asarray(image.convert("L"), dtype=np.uint8)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)
