"""MNIST and Fashion-MNIST: the IDX file format, raw or gzipped.

An IDX file is a 4-byte magic number ``00 00 TT DD`` (``TT`` the element type, ``DD`` the number of
dimensions), then ``DD`` big-endian unsigned 32-bit sizes, then the elements in row-major order,
big-endian.
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from cnnlab.data.errors import DataFormatError, DatasetNotFoundError

GZIP_MAGIC = b"\x1f\x8b"

# IDX type code -> big-endian element type (0x0A is not assigned by the format).
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

MNIST_KINDS = ("mnist", "fashion-mnist")
TORCHVISION_DIRS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
MNIST_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MNIST_IMAGE_SHAPE = (28, 28)
MNIST_NUM_CLASSES = 10


def read_file_bytes(path: Path) -> bytes:
    """Return the contents of ``path``, gunzipped if it starts with the gzip magic bytes."""
    data = path.read_bytes()
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        raise DataFormatError(f"{path}: corrupted gzip data ({error})") from error


def parse_idx_header(path: Path, data: bytes) -> tuple[np.dtype, tuple[int, ...], int]:
    """Return the element type, the shape and the header size declared at the start of ``data``."""
    if len(data) < 4:
        raise DataFormatError(
            f"{path}: not an IDX file: {len(data)} bytes, shorter than the 4-byte magic number"
        )
    if data[0] != 0 or data[1] != 0:
        raise DataFormatError(
            f"{path}: not an IDX file: magic number starts with {data[:2].hex()}, expected 0000"
        )
    type_code, ndim = data[2], data[3]
    if type_code not in IDX_DTYPES:
        known = ", ".join(f"0x{code:02X}" for code in IDX_DTYPES)
        raise DataFormatError(
            f"{path}: unsupported IDX element type 0x{type_code:02X}, expected one of {known}"
        )
    if ndim == 0:
        raise DataFormatError(f"{path}: IDX header declares 0 dimensions, expected at least 1")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise DataFormatError(
            f"{path}: truncated IDX header: {ndim} dimensions need {header_size} bytes, "
            f"the file has {len(data)}"
        )
    shape = tuple(int(size) for size in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    return IDX_DTYPES[type_code], shape, header_size


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (raw or gzipped; gzip is detected by its magic bytes, not the suffix).

    Returns:
        A new, writable array in native byte order with the shape and element type the header
        declares (``uint8``, ``int8``, ``int16``, ``int32``, ``float32`` or ``float64``).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        DataFormatError: bad magic number, unknown element type, truncated data, or bytes past the
            end of the declared data.

    Example:
        >>> images = read_idx("t10k-images-idx3-ubyte.gz")  # doctest: +SKIP
        >>> images.shape, images.dtype  # doctest: +SKIP
        ((10000, 28, 28), dtype('uint8'))
    """
    path = Path(path)
    data = read_file_bytes(path)
    dtype, shape, header_size = parse_idx_header(path, data)
    expected_size = header_size + math.prod(shape) * dtype.itemsize
    if len(data) < expected_size:
        raise DataFormatError(
            f"{path}: truncated IDX file: header declares shape {shape} of {dtype.name}, "
            f"which needs {expected_size} bytes, but the data has {len(data)}"
        )
    if len(data) > expected_size:
        raise DataFormatError(
            f"{path}: {len(data) - expected_size} unexpected bytes after the data: header declares "
            f"shape {shape} of {dtype.name} ({expected_size} bytes), the data has {len(data)}"
        )
    if math.prod(size for size in shape if size) * dtype.itemsize > np.iinfo(np.intp).max:
        raise DataFormatError(  # empty (a size is 0), yet no array can have this shape
            f"{path}: header declares shape {shape} of {dtype.name}, larger than any array"
        )
    flat = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=header_size)
    return flat.astype(dtype.newbyteorder("=")).reshape(shape)


def mnist_search_dirs(root: Path, kind: str) -> list[Path]:
    """Return the directories searched for ``kind``'s files, in order (torchvision's last)."""
    return [root, root / kind, root / kind / "raw", root / TORCHVISION_DIRS[kind] / "raw"]


def find_idx_file(directory: Path, name: str) -> Path | None:
    """Return ``directory/name`` or ``directory/name.gz``, whichever exists (raw first), or None."""
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def find_mnist_files(root: Path, train: bool, kind: str) -> tuple[Path, Path]:
    """Return the (images, labels) files of one split from the first directory holding both."""
    names = MNIST_FILES[train]
    searched = mnist_search_dirs(root, kind)
    for directory in searched:
        found = [find_idx_file(directory, name) for name in names]
        if found[0] is not None and found[1] is not None:
            return found[0], found[1]
    raise DatasetNotFoundError.missing(
        kind,
        searched=searched,
        expected=[f"{name}[.gz]" for name in names],
        root=root,
        place_in=root / kind,
    )


def check_mnist_images(path: Path, images: np.ndarray) -> None:
    """Raise DataFormatError unless ``images`` is a uint8 array of shape (N, 28, 28)."""
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != MNIST_IMAGE_SHAPE:
        raise DataFormatError(
            f"{path}: expected MNIST images of shape (N, 28, 28) and type uint8, "
            f"got shape {images.shape} of {images.dtype}"
        )


def check_mnist_labels(path: Path, labels: np.ndarray) -> None:
    """Raise DataFormatError unless ``labels`` is a 1-D uint8 array of values 0..9."""
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataFormatError(
            f"{path}: expected MNIST labels of shape (N,) and type uint8, "
            f"got shape {labels.shape} of {labels.dtype}"
        )
    if labels.size and labels.max() >= MNIST_NUM_CLASSES:
        raise DataFormatError(
            f"{path}: label {int(labels.max())} is out of range, expected 0..9 "
            f"(at index {int(labels.argmax())})"
        )


def load_mnist(root: str | Path, train: bool, kind: str = "mnist") -> tuple[np.ndarray, np.ndarray]:
    """Load one split of MNIST or Fashion-MNIST from the official IDX files.

    The files (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte`` for ``train=True``;
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` otherwise; each raw or ``.gz``) are
    looked for in ``root``, ``root/<kind>``, ``root/<kind>/raw`` and torchvision's
    ``root/MNIST/raw`` or ``root/FashionMNIST/raw``.

    Args:
        root: the data directory.
        train: the training split (60,000 images) if true, else the test split (10,000).
        kind: ``"mnist"`` or ``"fashion-mnist"``.

    Returns:
        ``(images, labels)``: images ``uint8`` of shape ``(N, 28, 28)``, labels ``int64`` ``(N,)``.

    Raises:
        DatasetNotFoundError: the files are in none of the searched directories.
        DataFormatError: a file is corrupted, or the two files disagree on N.
    """
    if kind not in MNIST_KINDS:
        raise ValueError(f"load_mnist: kind must be one of {MNIST_KINDS}, got {kind!r}")
    images_path, labels_path = find_mnist_files(Path(root).expanduser(), bool(train), kind)
    images = read_idx(images_path)
    check_mnist_images(images_path, images)
    labels = read_idx(labels_path)
    check_mnist_labels(labels_path, labels)
    if len(images) != len(labels):
        raise DataFormatError(
            f"{labels_path}: has {len(labels)} labels but {images_path} has {len(images)} images"
        )
    return images, labels.astype(np.int64)
