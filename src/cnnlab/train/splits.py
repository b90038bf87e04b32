"""Loading the splits a run trains and tests on, and checking them against a model."""

from __future__ import annotations

from collections.abc import Sequence

from cnnlab.data import ImageData, load


def load_split(
    name: str,
    *,
    train: bool,
    data_dir: str | None = None,
    download: bool = False,
    classes: Sequence[int] | None = None,
    limit: int | None = None,
) -> ImageData:
    """One split of dataset ``name`` (see :func:`cnnlab.data.load`), cut to ``limit`` images."""
    split = load(name, train=train, root=data_dir, download=download, classes=classes)
    return limited(split, limit)


def limited(split: ImageData, limit: int | None) -> ImageData:
    """The first ``limit`` images of ``split`` (all of them if ``limit`` is None)."""
    if limit is None or limit >= len(split):
        return split
    return ImageData(split.images[:limit], split.labels[:limit], split.classes, split.name)


def image_shape(split: ImageData) -> tuple[int, int, int]:
    """``(C, H, W)`` of the images; square images are required by the models."""
    channels, height, width = split.images.shape[1:]
    if height != width:
        raise ValueError(
            f"{split.name}: the models take square images, got {height}x{width} images"
        )
    return int(channels), int(height), int(width)


def check_compatible(
    split: ImageData, input_shape: Sequence[int], classes: Sequence[str], what: str
) -> None:
    """Raise ``ValueError`` unless ``split`` has images of ``input_shape`` and ``classes``."""
    if tuple(split.images.shape[1:]) != tuple(input_shape):
        raise ValueError(
            f"{what} takes images of shape {list(input_shape)}, but {split.name} has images of "
            f"shape {list(split.images.shape[1:])}"
        )
    if tuple(split.classes) != tuple(classes):
        raise ValueError(
            f"{what} was trained on the classes {list(classes)}, but {split.name} has the "
            f"classes {list(split.classes)}"
        )
    if len(split) == 0:
        raise ValueError(f"{split.name}: the split has no images")
