"""Writers of small files in the official dataset formats, for every test that needs data files.

The writers are independent of the readers under test: IDX headers are packed with ``struct``, and
CIFAR-10 batches are pickled the way the real files are (Python 2 pickles, protocol 2, with the
byte strings stored as Python 2 ``str`` opcodes and numpy's ``numpy.core.multiarray`` names).
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IDX_TYPE_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}
MNIST_NAMES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CIFAR_PREFIX = "cifar-10-batches-py"


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``: magic, big-endian sizes, big-endian elements."""
    code = IDX_TYPE_CODES[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write_bytes(path: Path, data: bytes, *, gz: bool = False) -> Path:
    """Write ``data`` (gzipped if ``gz``) to ``path``, creating parent directories."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_idx(path: Path, array: np.ndarray, *, gz: bool = False) -> Path:
    """Write ``array`` as an IDX file."""
    return write_bytes(path, idx_bytes(array), gz=gz)


def write_mnist_split(
    directory: Path, *, train: bool, count: int, gz: bool = False, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Write one split's two official IDX files of ``count`` random digits; return the arrays."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=count, dtype=np.uint8)
    suffix = ".gz" if gz else ""
    images_name, labels_name = MNIST_NAMES[train]
    write_idx(directory / f"{images_name}{suffix}", images, gz=gz)
    write_idx(directory / f"{labels_name}{suffix}", labels, gz=gz)
    return images, labels


_RECONSTRUCT = np.zeros(1).__reduce__()[0]


class Python2StylePickler(pickle._Pickler):
    """A protocol-2 pickler writing bytes and str as Python 2 wrote its ``str``.

    Python 3 pickles bytes at protocol 2 as a call to ``_codecs.encode``; Python 2 wrote them with
    the ``SHORT_BINSTRING``/``BINSTRING`` opcodes, which load as bytes under ``encoding="bytes"``.
    The real CIFAR-10 files are Python 2 pickles, so the test files are written the same way.
    """

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file: io.BytesIO, numpy_module: str) -> None:
        super().__init__(file, protocol=2)
        self.numpy_module = numpy_module

    def save_python2_string(self, obj: bytes | str) -> None:
        data = obj if isinstance(obj, bytes) else obj.encode("latin-1")
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = save_python2_string
    dispatch[str] = save_python2_string

    def save_global(self, obj: object, name: str | None = None) -> None:
        if obj is _RECONSTRUCT:
            self.write(pickle.GLOBAL + f"{self.numpy_module}\n_reconstruct\n".encode())
            self.memoize(obj)
        else:
            super().save_global(obj, name)


def python2_pickle(obj: object, numpy_module: str = "numpy.core.multiarray") -> bytes:
    """Pickle ``obj`` as Python 2 with numpy 1.x would have."""
    buffer = io.BytesIO()
    Python2StylePickler(buffer, numpy_module).dump(obj)
    return buffer.getvalue()


def cifar_batch(count: int, seed: int, label: bytes = b"training batch") -> dict:
    """A batch dict as in the real files, with ``count`` random images."""
    rng = np.random.default_rng(seed)
    return {
        b"batch_label": label,
        b"labels": [int(x) for x in rng.integers(0, 10, size=count)],
        b"data": rng.integers(0, 256, size=(count, 3072), dtype=np.uint8),
        b"filenames": [f"image_{seed}_{i}.png".encode() for i in range(count)],
    }


CIFAR_META = {
    b"num_cases_per_batch": 10000,
    b"label_names": [
        b"airplane",
        b"automobile",
        b"bird",
        b"cat",
        b"deer",
        b"dog",
        b"frog",
        b"horse",
        b"ship",
        b"truck",
    ],
    b"num_vis": 3072,
}


@dataclass
class CifarFiles:
    """The contents written by :func:`cifar_contents`, by file name, and the expected arrays."""

    files: dict[str, bytes]
    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]


def cifar_contents(per_batch: int = 6, *, meta: dict | None = CIFAR_META) -> CifarFiles:
    """Pickled batches (5 train + test) of ``per_batch`` images, plus ``batches.meta``."""
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    batches = {name: cifar_batch(per_batch, seed) for seed, name in enumerate(names)}
    files = {name: python2_pickle(batch) for name, batch in batches.items()}
    if meta is not None:
        files["batches.meta"] = python2_pickle(meta)

    def arrays(selected: list[str]) -> tuple[np.ndarray, np.ndarray]:
        data = np.concatenate([batches[n][b"data"] for n in selected]).reshape(-1, 3, 32, 32)
        labels = np.concatenate([batches[n][b"labels"] for n in selected]).astype(np.int64)
        return data, labels

    return CifarFiles(files=files, train=arrays(names[:5]), test=arrays(names[5:]))


def write_cifar_dir(directory: Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return directory


def write_cifar_tar(path: Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` into a ``.tar.gz`` under ``cifar-10-batches-py/``, as the real one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, mode="w:gz") as tar:
        directory = tarfile.TarInfo(CIFAR_PREFIX)
        directory.type = tarfile.DIRTYPE
        tar.addfile(directory)
        for name, data in files.items():
            info = tarfile.TarInfo(f"{CIFAR_PREFIX}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


CIFAR_TRAIN_BATCHES = [f"data_batch_{i}" for i in range(1, 6)]


def colour_batch(count: int, seed: int, classes: int = 10) -> dict:
    """A CIFAR-10 batch dict of ``count`` images of the first ``classes`` classes, which can be
    learnt: class k is a flat colour of its own plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, size=count)
    colours = np.random.default_rng(1234).integers(30, 226, size=(10, 3, 1, 1))
    noise = rng.normal(0, 10, size=(count, 3, 32, 32))
    images = np.clip(colours[labels] + noise, 0, 255).astype(np.uint8)
    return {
        b"batch_label": b"colour batch",
        b"labels": [int(x) for x in labels],
        b"data": images.reshape(count, 3072),
        b"filenames": [f"colour_{seed}_{i}.png".encode() for i in range(count)],
    }


def write_colour_cifar(
    directory: Path, per_batch: int = 40, test_count: int = 40, classes: int = 10
) -> Path:
    """``cifar-10-batches-py/`` under ``directory`` with 5 x ``per_batch`` training images and
    ``test_count`` test images of :func:`colour_batch`."""
    files = {
        name: python2_pickle(colour_batch(per_batch, i, classes))
        for i, name in enumerate(CIFAR_TRAIN_BATCHES)
    }
    files["test_batch"] = python2_pickle(colour_batch(test_count, 99, classes))
    files["batches.meta"] = python2_pickle(CIFAR_META)
    write_cifar_dir(directory / "cifar-10-batches-py", files)
    return directory
