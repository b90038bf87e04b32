"""Download MNIST, Fashion-MNIST and CIFAR-10 from their official locations, checked by MD5.

The URLs and checksums are torchvision's. Each file is written to a temporary file next to its
destination, checked, then renamed into place, so an interrupted download never leaves a file that
looks complete. Files already present with the right checksum are not downloaded again.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import ssl
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cnnlab.data.errors import DataFormatError, DatasetNotFoundError

MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
FASHION_MNIST_MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CHUNK_SIZE = 1 << 20
TIMEOUT_SECONDS = 60
NETWORK_ERRORS = (
    urllib.error.URLError,
    ConnectionError,
    TimeoutError,
    ssl.SSLError,
    http.client.HTTPException,
)


@dataclass(frozen=True)
class RemoteFile:
    """A file to download: its URL and the MD5 checksum of its contents."""

    url: str
    md5: str

    @property
    def name(self) -> str:
        """The file name, the last component of the URL."""
        return self.url.rsplit("/", 1)[-1]


REMOTE_FILES: dict[str, tuple[RemoteFile, ...]] = {
    "mnist": (
        RemoteFile(f"{MNIST_MIRROR}train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        RemoteFile(f"{MNIST_MIRROR}train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        RemoteFile(f"{MNIST_MIRROR}t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        RemoteFile(f"{MNIST_MIRROR}t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ),
    "fashion-mnist": (
        RemoteFile(
            f"{FASHION_MNIST_MIRROR}train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"
        ),
        RemoteFile(
            f"{FASHION_MNIST_MIRROR}train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"
        ),
        RemoteFile(
            f"{FASHION_MNIST_MIRROR}t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"
        ),
        RemoteFile(
            f"{FASHION_MNIST_MIRROR}t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"
        ),
    ),
    "cifar10": (RemoteFile(CIFAR10_URL, "c58f30108f718f92721af3b95e74349a"),),
}

# Where under the data root each dataset's files go: where the readers look for them.
DOWNLOAD_DIRS = {"mnist": "mnist", "fashion-mnist": "fashion-mnist", "cifar10": ""}

UrlOpen = Callable[..., Any]


def file_md5(path: Path) -> str:
    """Return the hex MD5 digest of the contents of ``path``."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def copy_response(response: BinaryIO, file: BinaryIO) -> str:
    """Copy ``response`` into ``file`` chunk by chunk; return the hex MD5 of what was copied."""
    digest = hashlib.md5(usedforsecurity=False)
    while chunk := response.read(CHUNK_SIZE):
        digest.update(chunk)
        file.write(chunk)
    return digest.hexdigest()


def fetch_to_temporary(remote: RemoteFile, directory: Path, urlopen: UrlOpen) -> tuple[Path, str]:
    """Download ``remote`` to a new temporary file in ``directory``; return it and its MD5.

    Network errors propagate (one of ``NETWORK_ERRORS``); the temporary file is removed.
    """
    with tempfile.NamedTemporaryFile(
        dir=directory, prefix=f".{remote.name}.", suffix=".part", delete=False
    ) as file:
        temporary = Path(file.name)
        try:
            with urlopen(remote.url, timeout=TIMEOUT_SECONDS) as response:
                return temporary, copy_response(response, file)
        except BaseException:
            file.close()
            temporary.unlink(missing_ok=True)
            raise


def fetch_verified(dataset: str, remote: RemoteFile, destination: Path, urlopen: UrlOpen) -> None:
    """Download ``remote`` to ``destination`` atomically, after checking its MD5."""
    try:
        temporary, md5 = fetch_to_temporary(remote, destination.parent, urlopen)
    except NETWORK_ERRORS as error:
        raise DatasetNotFoundError.unreachable(
            dataset,
            url=remote.url,
            reason=str(error),
            urls=[file.url for file in REMOTE_FILES[dataset]],
            place_in=destination.parent,
        ) from error
    if md5 != remote.md5:
        temporary.unlink(missing_ok=True)
        raise DataFormatError(
            f"{destination}: checksum mismatch for the download of {remote.url}: "
            f"expected MD5 {remote.md5}, got {md5}; the file was not saved"
        )
    os.replace(temporary, destination)


def download_dir(name: str, root: str | Path) -> Path:
    """Return the directory ``download(name, root)`` writes to."""
    if name not in REMOTE_FILES:
        raise ValueError(
            f"download: unknown dataset {name!r}, expected one of {', '.join(REMOTE_FILES)}"
        )
    return Path(root).expanduser() / DOWNLOAD_DIRS[name]


def download(
    name: str, root: str | Path, *, urlopen: UrlOpen = urllib.request.urlopen
) -> list[Path]:
    """Download a dataset's official files into ``root`` (MNIST and Fashion-MNIST: ``root/<name>``).

    Args:
        name: ``"mnist"``, ``"fashion-mnist"`` or ``"cifar10"``.
        root: the data directory; created if needed.
        urlopen: the function that opens a URL (``urllib.request.urlopen``); tests pass a fake.

    Returns:
        The paths of the dataset's files, downloaded now or already present and intact.

    Raises:
        DatasetNotFoundError: a URL could not be reached; the message lists the files to fetch
            and where to place them by hand.
        DataFormatError: a downloaded file's MD5 differs from the official one (not saved).

    Example:
        >>> download("mnist", "~/.cache/cnnlab/data")  # doctest: +SKIP
        [PosixPath('.../mnist/train-images-idx3-ubyte.gz'), ...]
    """
    directory = download_dir(name, root)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for remote in REMOTE_FILES[name]:
        destination = directory / remote.name
        if not (destination.is_file() and file_md5(destination) == remote.md5):
            fetch_verified(name, remote, destination, urlopen)
        paths.append(destination)
    return paths
