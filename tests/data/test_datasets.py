"""The registry: ``load(name, train=...)`` for every dataset, and its errors."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from cnnlab.data import (
    DATASETS,
    DEFAULT_DATASET,
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    DatasetNotFoundError,
    ImageData,
    datasets,
    default_data_root,
    load,
)


def test_registry_lists_every_dataset_with_a_description() -> None:
    assert set(DATASETS) == {"mnist5k", "mnist", "fashion-mnist", "cifar10", "cifar2"}
    assert DEFAULT_DATASET == "mnist5k"
    assert all(isinstance(text, str) and text for text in DATASETS.values())


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown dataset 'svhn'") as error:
        load("svhn", train=True)
    assert all(name in str(error.value) for name in DATASETS)


def test_mnist5k_needs_no_root(mnist5k_env: Any) -> None:
    train = load("mnist5k", train=True)
    test = load(train=False)
    assert train.images.shape == (4000, 1, 28, 28) and train.images.dtype == np.uint8
    assert test.images.shape == (1000, 1, 28, 28) and len(test) == 1000
    assert train.classes == MNIST_CLASSES == tuple("0123456789")
    assert train.name == "mnist5k"


@pytest.mark.parametrize(
    ("name", "layout", "classes"),
    [
        ("mnist", "MNIST/raw", MNIST_CLASSES),
        ("fashion-mnist", "FashionMNIST/raw", FASHION_MNIST_CLASSES),
        ("fashion-mnist", "fashion-mnist", FASHION_MNIST_CLASSES),
    ],
)
def test_idx_datasets_get_a_channel_axis_and_class_names(
    name: str, layout: str, classes: tuple, fmt: SimpleNamespace, tmp_path: Path
) -> None:
    images, labels = fmt.write_mnist_split(tmp_path / layout, train=True, count=5, gz=True)
    data = load(name, train=True, root=tmp_path)
    np.testing.assert_array_equal(data.images[:, 0], images)
    np.testing.assert_array_equal(data.labels, labels)
    assert data.classes == classes and data.name == name


def test_fashion_mnist_class_names() -> None:
    assert FASHION_MNIST_CLASSES == (
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


def test_root_defaults_to_the_environment(
    fmt: SimpleNamespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fmt.write_mnist_split(tmp_path / "mnist", train=False, count=2)
    monkeypatch.setenv("CNNLAB_DATA", str(tmp_path))
    assert default_data_root() == tmp_path
    assert len(load("mnist", train=False)) == 2
    monkeypatch.delenv("CNNLAB_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_root() == tmp_path / "home" / ".cache" / "cnnlab" / "data"


def test_missing_files_name_directory_files_and_download(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError) as error:
        load("fashion-mnist", train=True, root=tmp_path)
    message = str(error.value)
    for expected in (
        str(tmp_path / "fashion-mnist"),
        "train-images-idx3-ubyte",
        "--download",
        f"cnnlab.data.download('fashion-mnist', '{tmp_path}')",
    ):
        assert expected in message
    assert isinstance(error.value, FileNotFoundError)


def test_cifar10_and_the_chapters_cifar2(fmt: SimpleNamespace, tmp_path: Path) -> None:
    cifar = fmt.cifar_contents(per_batch=20)
    fmt.write_cifar_tar(tmp_path / "cifar-10-python.tar.gz", cifar.files)
    full = load("cifar10", train=False, root=tmp_path)
    assert full.images.shape == (20, 3, 32, 32) and full.classes[:3] == (
        "airplane",
        "automobile",
        "bird",
    )
    two = load("cifar2", train=False, root=tmp_path)
    keep = np.isin(cifar.test[1], [0, 2])
    np.testing.assert_array_equal(two.images, cifar.test[0][keep])
    np.testing.assert_array_equal(two.labels, (cifar.test[1][keep] == 2).astype(np.int64))
    assert two.classes == ("airplane", "bird") and two.name == "cifar2"


def test_cifar2_with_another_pair(fmt: SimpleNamespace, tmp_path: Path) -> None:
    fmt.write_cifar_dir(tmp_path / "cifar-10-batches-py", fmt.cifar_contents(per_batch=30).files)
    data = load("cifar2", train=True, root=tmp_path, classes=(5, 3))
    assert data.classes == ("dog", "cat")
    assert set(data.labels.tolist()) <= {0, 1}


@pytest.mark.parametrize("classes", [(0, 1, 2), (1,), "ab"])
def test_cifar2_needs_a_pair(classes: Any, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cifar2 needs classes to be a pair"):
        load("cifar2", train=True, root=tmp_path, classes=classes)


def test_classes_select_from_any_dataset(mnist5k_env: Any) -> None:
    data = load("mnist5k", train=False, classes=(7, 1))
    assert data.classes == ("7", "1") and len(data) == 200
    assert np.bincount(data.labels).tolist() == [100, 100]


def test_download_flag_fetches_the_right_files_first(
    fmt: SimpleNamespace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    requested = []

    def fake_download(name: str, root: Path) -> list[Path]:
        requested.append((name, root))
        fmt.write_cifar_dir(root / "cifar-10-batches-py", fmt.cifar_contents().files)
        return []

    monkeypatch.setattr(datasets, "download_files", fake_download)
    data = load("cifar2", train=False, root=tmp_path, download=True)
    assert requested == [("cifar10", tmp_path)]
    assert data.classes == ("airplane", "bird")


def test_image_data_checks_its_arrays() -> None:
    images = np.zeros((2, 1, 4, 4), dtype=np.uint8)
    with pytest.raises(ValueError, match="images must be uint8 of shape"):
        ImageData(images.astype(np.float32), np.zeros(2, np.int64), ("a",), "x")
    with pytest.raises(ValueError, match=r"labels must be int64 of shape \(2,\)"):
        ImageData(images, np.zeros(3, np.int64), ("a",), "x")
