"""Classifying image files with a checkpoint: each file made into what the model was trained on.

- Digit models (one channel, 28 x 28, trained on ``mnist`` or ``mnist5k``): the digit is
  placed as MNIST's were (:func:`cnnlab.data.images.mnist_style`): polarity from the border,
  bounding box scaled to 20 x 20, centred by centre of mass.
- Other one-channel models (Fashion-MNIST): grey, inverted when the border is light (the
  datasets are light on dark), resized to the model's size.
- Colour models (CIFAR): RGB, transparency on white, resized; inverted only when asked.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.data.images import as_grey, border_level, load_image, mnist_style
from cnnlab.train.inference import LoadedModel, load_model, softmax

DIGIT_DATASETS = ("mnist", "mnist5k")


def is_digit_model(loaded: LoadedModel) -> bool:
    """Whether ``loaded`` reads MNIST digits: one channel, 28 x 28, trained on MNIST."""
    shape = tuple(loaded.input_shape)
    return shape == (1, 28, 28) and loaded.checkpoint.info.get("data") in DIGIT_DATASETS


def resized(pixels: np.ndarray, height: int, width: int) -> np.ndarray:
    """A float ``(H', W')`` or ``(H', W', 3)`` image in [0, 1] resized bilinearly to
    ``height x width``, channel by channel (anti-aliased when it shrinks)."""
    from PIL import Image

    planes = pixels[..., np.newaxis] if pixels.ndim == 2 else pixels
    out = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(planes[..., c], np.float32)).resize(
                (width, height), Image.Resampling.BILINEAR
            )
        )
        for c in range(planes.shape[2])
    ]
    return np.clip(np.stack(out), 0, 1)


def model_input(
    image: np.ndarray, loaded: LoadedModel, invert: bool | None = None
) -> tuple[np.ndarray, bool]:
    """``(pixels (C, H, W) float32 in [0, 1], inverted)``: ``image`` (as :func:`load_image`
    returns it) made into what ``loaded`` reads. ``invert=None`` detects the polarity for
    one-channel models and keeps colour images as they are."""
    channels, height, width = loaded.input_shape
    if is_digit_model(loaded):
        digit, inverted = mnist_style(image, invert=invert)
        return digit[np.newaxis], inverted
    if channels == 1:
        grey = as_grey(image)
        inverted = border_level(grey) > 0.5 if invert is None else invert
        return resized(1 - grey if inverted else grey, height, width).astype(np.float32), inverted
    colour = colour_pixels(image)
    inverted = bool(invert)
    return resized(1 - colour if inverted else colour, height, width).astype(np.float32), inverted


def colour_pixels(image: np.ndarray) -> np.ndarray:
    """``image`` (grey, RGB or RGBA, ``uint8``) as float RGB ``(H, W, 3)`` in [0, 1], with
    transparent pixels put on white."""
    pixels = np.asarray(image, np.float64) / 255
    if pixels.ndim == 2:
        return np.repeat(pixels[..., np.newaxis], 3, axis=2)
    if pixels.shape[2] == 4:
        alpha = pixels[..., 3:]
        return pixels[..., :3] * alpha + (1 - alpha)
    return pixels


def read_image(
    path: str | Path, loaded: LoadedModel, invert: bool | None = None
) -> tuple[np.ndarray, bool]:
    """An image file as the model's input ``(C, H, W)`` in [0, 1], and whether it was
    inverted. Raises ``ValueError``/``FileNotFoundError`` naming the file."""
    return model_input(load_image(path), loaded, invert)


def predict_images(
    path: str | Path | LoadedModel,
    files: Sequence[str | Path],
    *,
    engine: str = "numpy",
    invert: bool | None = None,
) -> list[dict[str, Any]]:
    """Classify image files with a checkpoint's model (a file, a run directory or a
    :class:`LoadedModel`).

    Returns one dict per file, in order: ``file``, ``class`` (the name), ``index``,
    ``probability``, ``probabilities`` (by class name, softmax of the scores) and ``inverted``
    (whether the image was inverted to light on dark); or, for a file that could not be read,
    ``file`` and ``error`` (the message), so one bad file does not cost the others' answers.
    """
    loaded = load_model(path, engine)
    results: list[dict[str, Any]] = []
    inputs, readable = [], []
    for file in files:
        try:
            pixels, inverted = read_image(file, loaded, invert)
        except (ValueError, OSError) as error:
            results.append({"file": str(file), "error": str(error)})
            continue
        results.append({"file": str(file), "inverted": inverted})
        inputs.append(pixels)
        readable.append(results[-1])
    if inputs:
        probabilities = softmax(loaded.scores(np.stack(inputs)))
        for result, p in zip(readable, probabilities, strict=True):
            best = int(p.argmax())
            result.update(
                {
                    "class": loaded.classes[best],
                    "index": best,
                    "probability": float(p[best]),
                    "probabilities": dict(zip(loaded.classes, map(float, p), strict=True)),
                }
            )
    return results
