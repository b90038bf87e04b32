"""Mini-batches from in-memory image arrays: normalized once, shuffled and augmented per epoch.

The uint8 images are converted to float32 once per dataset. Each epoch draws its batch order
and its augmentation from ``np.random.default_rng([seed, epoch])``, so epoch ``e`` sees the same
batches whether the run went straight through or was resumed from a checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from cnnlab.data import (
    Compose,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    RandomShift,
    to_float,
)
from cnnlab.data.transforms import Transform

# Per-channel (mean, std) of the [0, 1] pixels. MNIST's are the usual statistics of its training
# set; Fashion-MNIST's likewise; CIFAR uses the chapter's Normalize((0.5,)*3, (0.5,)*3).
NORMALIZATION = {
    "mnist5k": ((0.1307,), (0.3081,)),
    "mnist": ((0.1307,), (0.3081,)),
    "fashion-mnist": ((0.2860,), (0.3530,)),
    "cifar10": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    "cifar2": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
}


def normalization(data: str, channels: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The ``(mean, std)`` used for dataset ``data`` (0.5 per channel for anything else)."""
    mean, std = NORMALIZATION.get(data, ((0.5,), (0.5,)))
    if len(mean) != channels:
        mean, std = (mean[0],) * channels, (std[0],) * channels
    return tuple(mean), tuple(std)


def augmentation(data: str, image_size: int) -> Transform:
    """Shifts of up to 2 pixels for grey digits and clothes; for CIFAR, the usual random crop
    of the image zero-padded by 4, and a horizontal flip."""
    if data.startswith("cifar"):
        return Compose([RandomCrop(image_size, padding=4), RandomHorizontalFlip()])
    return RandomShift(2)


def epoch_rng(seed: int, epoch: int) -> np.random.Generator:
    """The generator of epoch ``epoch`` (1-based) of a run seeded with ``seed``."""
    return np.random.default_rng([seed, epoch])


class ImageBatches:
    """Batches ``(images float32 (B, C, H, W), labels int64 (B,))`` of one split.

    Args:
        images: ``uint8`` images ``(N, C, H, W)``.
        labels: ``int64`` labels ``(N,)``.
        normalize: applied to every batch (folded into the stored images when there is no
            augmentation, so a batch is then a single gather).
        augment: a batch transform on [0, 1] images, or None.
    """

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        normalize: Normalize,
        augment: Transform | None = None,
    ) -> None:
        pixels = to_float(images)
        self.augment, self.normalize = augment, normalize
        self.images = pixels if augment is not None else normalize(pixels)
        self.labels = np.ascontiguousarray(labels, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.labels)

    def num_batches(self, batch_size: int) -> int:
        """Batches per epoch: a last batch of a single image is dropped (batch norm needs 2)."""
        full, rest = divmod(len(self), batch_size)
        return full + (rest > 1)

    def epoch(
        self, batch_size: int, rng: np.random.Generator
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Shuffled (and augmented) batches for one epoch, all drawn from ``rng``."""
        order = rng.permutation(len(self))
        for start in range(0, self.num_batches(batch_size) * batch_size, batch_size):
            indices = order[start : start + batch_size]
            batch = self.images[indices]
            if self.augment is not None:
                batch = self.normalize(self.augment(batch, rng))
            yield batch, self.labels[indices]

    def in_order(
        self, batch_size: int, part: slice | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every image of ``part`` (default: all) once, in order, normalized and not augmented
        (for evaluation)."""
        first, stop, _ = (part or slice(None)).indices(len(self))
        for start in range(first, stop, batch_size):
            end = min(start + batch_size, stop)
            batch = self.images[start:end]
            if self.augment is not None:
                batch = self.normalize(batch)
            yield batch, self.labels[start:end]
