"""Datasets for cnnlab: readers for MNIST, Fashion-MNIST and CIFAR-10, the embedded ``mnist5k``
digits, downloads checked by MD5, batch transforms on NumPy arrays, and image files made into
MNIST-style digits (:func:`mnist_style`).

Example:
    >>> from cnnlab.data import load
    >>> test = load("mnist5k", train=False)  # doctest: +SKIP
    >>> test.images.shape, test.labels.shape  # doctest: +SKIP
    ((1000, 1, 28, 28), (1000,))
"""

from cnnlab.data.cifar import CIFAR10_CLASSES, cifar10_classes, load_cifar10, select_classes
from cnnlab.data.datasets import (
    DATASETS,
    DEFAULT_DATASET,
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    ImageData,
    default_data_root,
    load,
)
from cnnlab.data.download import download
from cnnlab.data.embedded import load_mnist5k
from cnnlab.data.errors import DataFormatError, DatasetNotFoundError
from cnnlab.data.idx import load_mnist, read_idx
from cnnlab.data.images import load_image, mnist_style
from cnnlab.data.transforms import (
    Compose,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    RandomShift,
    shift,
    to_float,
)

__all__ = [
    "CIFAR10_CLASSES",
    "DATASETS",
    "DEFAULT_DATASET",
    "FASHION_MNIST_CLASSES",
    "MNIST_CLASSES",
    "Compose",
    "DataFormatError",
    "DatasetNotFoundError",
    "ImageData",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomShift",
    "cifar10_classes",
    "default_data_root",
    "download",
    "load",
    "load_cifar10",
    "load_image",
    "load_mnist",
    "load_mnist5k",
    "mnist_style",
    "read_idx",
    "select_classes",
    "shift",
    "to_float",
]
