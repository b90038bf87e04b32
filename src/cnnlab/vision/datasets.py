"""torchvision's ``datasets.MNIST``, ``FashionMNIST`` and ``CIFAR10`` on cnnlab's readers.

The constructor is torchvision's, ``(root, train=True, transform=None, target_transform=None,
download=False)``, and so is an item: ``(PIL image, int label)`` with ``transform`` applied to
the image and ``target_transform`` to the label, so that ``transforms.Compose([...])`` chains
as in PyTorch programs. The files are read by :mod:`cnnlab.data` (IDX files raw or gzipped,
CIFAR-10's python batches without running code from them), from torchvision's own layout
(``root/MNIST/raw``, ``root/cifar-10-batches-py``) or cnnlab's (``root/mnist``); ``download``
fetches them into ``root`` with their MD5 checked.

Differences from torchvision, all on the error path: missing files raise
:class:`cnnlab.data.DatasetNotFoundError` (a ``FileNotFoundError`` saying where the files were
looked for) instead of ``RuntimeError``; a corrupted file raises
:class:`cnnlab.data.DataFormatError` naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from cnnlab import data
from cnnlab.autograd.tensor import Tensor
from cnnlab.data import cifar10_classes, download, load_cifar10, load_mnist

MNIST_CLASSES = [
    "0 - zero",
    "1 - one",
    "2 - two",
    "3 - three",
    "4 - four",
    "5 - five",
    "6 - six",
    "7 - seven",
    "8 - eight",
    "9 - nine",
]
FASHION_MNIST_CLASSES = list(data.FASHION_MNIST_CLASSES)


class VisionDataset:
    """What the three datasets share: the root, the transforms, ``len``, items and a repr."""

    classes: list[str]

    def __init__(
        self,
        root: str | Path,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
        download: bool = False,
    ) -> None:
        self.root = str(Path(root).expanduser())
        self.train = bool(train)
        self.transform, self.target_transform = transform, target_transform
        if download:
            self.download()
        self.images, labels = self.read()
        self.labels = labels.astype(np.int64)

    def read(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def download(self) -> None:
        raise NotImplementedError

    def image(self, index: int) -> Image.Image:
        raise NotImplementedError

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {name: index for index, name in enumerate(self.classes)}

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(image, target)``: the PIL image and the int label, each through its transform."""
        if not -len(self) <= index < len(self):
            raise IndexError(f"{type(self).__name__}: index {index} out of range for {len(self)}")
        image, target = self.image(int(index)), int(self.labels[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __repr__(self) -> str:
        lines = [
            f"Dataset {type(self).__name__}",
            f"    Number of datapoints: {len(self)}",
            f"    Root location: {self.root}",
            f"    Split: {'Train' if self.train else 'Test'}",
        ]
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}".replace("\n", "\n    "))
        if self.target_transform is not None:
            lines.append(f"    Target transform: {self.target_transform!r}")
        return "\n".join(lines)


class MNIST(VisionDataset):
    """MNIST's 60,000 training or 10,000 test digits, 28 x 28 grey (mode ``"L"``).

    Attributes:
        data: ``uint8`` tensor ``(N, 28, 28)``; targets: ``int64`` tensor ``(N,)``;
        classes: ``["0 - zero", ..., "9 - nine"]``, as torchvision's.

    Example:
        >>> from cnnlab.vision import datasets, transforms  # doctest: +SKIP
        >>> mnist = datasets.MNIST("data", train=True, download=True,
        ...                        transform=transforms.ToTensor())  # doctest: +SKIP
        >>> mnist[0][0].shape, mnist[0][1]  # doctest: +SKIP
        (cnnlab.Size([1, 28, 28]), 5)
    """

    classes = MNIST_CLASSES
    kind = "mnist"

    def read(self) -> tuple[np.ndarray, np.ndarray]:
        return load_mnist(self.root, self.train, kind=self.kind)

    def download(self) -> None:
        download(self.kind, self.root)

    def image(self, index: int) -> Image.Image:
        return Image.fromarray(self.images[index])  # uint8 (28, 28): mode "L"

    @property
    def data(self) -> Tensor:
        return Tensor._wrap(self.images)

    @property
    def targets(self) -> Tensor:
        return Tensor._wrap(self.labels)


class FashionMNIST(MNIST):
    """Fashion-MNIST's clothes, 28 x 28 grey, in MNIST's format and layout
    (``root/FashionMNIST/raw`` or ``root/fashion-mnist``)."""

    classes = FASHION_MNIST_CLASSES
    kind = "fashion-mnist"


class CIFAR10(VisionDataset):
    """CIFAR-10's 50,000 training or 10,000 test colour images, 32 x 32 (mode ``"RGB"``).

    Attributes:
        data: ``uint8`` ndarray ``(N, 32, 32, 3)`` (height, width, channel, as torchvision's);
        targets: a list of ints; classes: the names in ``batches.meta`` (airplane, ...).
    """

    def read(self) -> tuple[np.ndarray, np.ndarray]:
        images, labels = load_cifar10(self.root, self.train)
        self.classes = list(cifar10_classes(self.root))
        return np.ascontiguousarray(images.transpose(0, 2, 3, 1)), labels

    def download(self) -> None:
        download("cifar10", self.root)

    def image(self, index: int) -> Image.Image:
        return Image.fromarray(self.images[index])

    @property
    def data(self) -> np.ndarray:
        return self.images

    @property
    def targets(self) -> list[int]:
        return self.labels.tolist()
