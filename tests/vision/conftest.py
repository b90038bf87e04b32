"""Small dataset files in the official formats, laid out as torchvision lays them out."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

import dataset_files as writers


@pytest.fixture(scope="session")
def vision_root(tmp_path_factory) -> SimpleNamespace:
    """``root`` holding MNIST in ``MNIST/raw`` (gzipped), Fashion-MNIST in ``FashionMNIST/raw``
    and CIFAR-10 in ``cifar-10-batches-py``, with the arrays written."""
    root = tmp_path_factory.mktemp("vision-data")
    mnist = {
        train: writers.write_mnist_split(root / "MNIST" / "raw", train=train, count=n, gz=True)
        for train, n in ((True, 30), (False, 12))
    }
    fashion = writers.write_mnist_split(root / "FashionMNIST" / "raw", train=False, count=8, seed=5)
    contents = writers.cifar_contents(4)
    writers.write_cifar_dir(root / writers.CIFAR_PREFIX, contents.files)
    return SimpleNamespace(root=root, mnist=mnist, fashion=fashion, cifar=contents)


@pytest.fixture
def grey_image() -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (12, 17), dtype=np.uint8))


@pytest.fixture
def rgb_image() -> Image.Image:
    rng = np.random.default_rng(1)
    return Image.fromarray(rng.integers(0, 256, (12, 17, 3), dtype=np.uint8))
