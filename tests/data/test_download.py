"""Downloads, with a fake ``urlopen``: checksums, atomic writes, and no network."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import urllib.error
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from cnnlab.data import DataFormatError, DatasetNotFoundError, download, load_mnist
from cnnlab.data.download import REMOTE_FILES, RemoteFile, download_dir


class FakeWeb:
    """A stand-in for ``urllib.request.urlopen`` serving fixed contents by URL."""

    def __init__(self, contents: dict[str, bytes]) -> None:
        self.contents = contents
        self.requested: list[str] = []

    def __call__(self, url: str, timeout: float) -> io.BytesIO:
        self.requested.append(url)
        return io.BytesIO(self.contents[url])


class NoNetwork:
    def __call__(self, url: str, timeout: float) -> io.BytesIO:
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


class ResponseThatDrops(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        raise ConnectionResetError("connection reset by peer")


class ConnectionDropsMidway:
    def __call__(self, url: str, timeout: float) -> io.BytesIO:
        return ResponseThatDrops(b"")


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def fake_mnist(monkeypatch: pytest.MonkeyPatch, fmt: SimpleNamespace) -> dict[str, bytes]:
    """Replace the MNIST table by four small gzipped IDX files with their own checksums."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 6, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 3, dtype=np.uint8),
    }
    contents = {}
    remotes = []
    for name, array in arrays.items():
        url = f"https://example.invalid/mnist/{name}"
        contents[url] = gzip.compress(fmt.idx_bytes(array))
        remotes.append(RemoteFile(url, md5(contents[url])))
    monkeypatch.setitem(REMOTE_FILES, "mnist", tuple(remotes))
    return contents


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


def test_official_table_has_torchvision_urls_and_checksums() -> None:
    assert [f.name for f in REMOTE_FILES["mnist"]] == [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    assert [f.name for f in REMOTE_FILES["fashion-mnist"]] == [
        f.name for f in REMOTE_FILES["mnist"]
    ]
    assert REMOTE_FILES["mnist"][0].url.startswith("https://ossci-datasets.s3.amazonaws.com/mnist/")
    assert REMOTE_FILES["mnist"][0].md5 == "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    assert REMOTE_FILES["fashion-mnist"][0].md5 == "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
    assert REMOTE_FILES["cifar10"] == (
        RemoteFile(
            "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
            "c58f30108f718f92721af3b95e74349a",
        ),
    )
    for files in REMOTE_FILES.values():
        for remote in files:
            assert re.fullmatch(r"[0-9a-f]{32}", remote.md5)


def test_download_writes_verified_files_where_the_reader_looks(
    fake_mnist: dict[str, bytes], tmp_path: Path
) -> None:
    web = FakeWeb(fake_mnist)
    paths = download("mnist", tmp_path, urlopen=web)
    assert paths == [tmp_path / "mnist" / url.rsplit("/", 1)[1] for url in fake_mnist]
    assert [p.read_bytes() for p in paths] == list(fake_mnist.values())
    assert web.requested == list(fake_mnist)
    assert leftovers(tmp_path / "mnist") == []
    images, labels = load_mnist(tmp_path, train=False)
    assert images.shape == (3, 28, 28) and labels.shape == (3,)


def test_files_already_present_and_intact_are_not_downloaded_again(
    fake_mnist: dict[str, bytes], tmp_path: Path
) -> None:
    download("mnist", tmp_path, urlopen=FakeWeb(fake_mnist))
    damaged = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    damaged.write_bytes(b"partial")
    web = FakeWeb(fake_mnist)
    download("mnist", tmp_path, urlopen=web)
    assert web.requested == [url for url in fake_mnist if url.endswith("t10k-labels-idx1-ubyte.gz")]
    assert damaged.read_bytes() == fake_mnist[web.requested[0]]


def test_checksum_mismatch_names_file_and_both_checksums(
    fake_mnist: dict[str, bytes], tmp_path: Path
) -> None:
    url = next(iter(fake_mnist))
    tampered = {**fake_mnist, url: b"something else"}
    with pytest.raises(DataFormatError) as error:
        download("mnist", tmp_path, urlopen=FakeWeb(tampered))
    message = str(error.value)
    assert str(tmp_path / "mnist" / "train-images-idx3-ubyte.gz") in message
    assert md5(fake_mnist[url]) in message
    assert md5(b"something else") in message
    assert list((tmp_path / "mnist").iterdir()) == []


@pytest.mark.parametrize("urlopen", [NoNetwork(), ConnectionDropsMidway()])
def test_network_failure_says_what_to_place_where(
    urlopen: object, fake_mnist: dict[str, bytes], tmp_path: Path
) -> None:
    with pytest.raises(DatasetNotFoundError) as error:
        download("mnist", tmp_path, urlopen=urlopen)
    message = str(error.value)
    assert "could not reach https://example.invalid/mnist/train-images-idx3-ubyte.gz" in message
    assert str(tmp_path / "mnist") in message
    for url in fake_mnist:
        assert url in message
    assert list((tmp_path / "mnist").iterdir()) == []


def test_cifar10_goes_to_the_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = "https://example.invalid/cifar-10-python.tar.gz"
    monkeypatch.setitem(REMOTE_FILES, "cifar10", (RemoteFile(url, md5(b"tar")),))
    assert download("cifar10", tmp_path, urlopen=FakeWeb({url: b"tar"})) == [
        tmp_path / "cifar-10-python.tar.gz"
    ]


def test_unknown_dataset_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mnist, fashion-mnist, cifar10"):
        download("imagenet", tmp_path, urlopen=NoNetwork())
    assert download_dir("fashion-mnist", tmp_path) == tmp_path / "fashion-mnist"
