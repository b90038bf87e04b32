"""CIFAR-10: the python batches, read without running any code from the files.

The official ``cifar-10-python.tar.gz`` holds ``cifar-10-batches-py/`` with ``data_batch_1`` ..
``data_batch_5`` (10,000 images each), ``test_batch`` and ``batches.meta``. Each batch is a
Python-2 pickle of a dict with bytes keys: ``b"data"`` a ``uint8`` array (10000, 3072) (the red,
then green, then blue 32x32 planes of each image, row-major), ``b"labels"`` a list of ints,
``b"batch_label"`` and ``b"filenames"``. A pickle can call any importable function while it loads,
so the files are read by :class:`BatchUnpickler`, which builds NumPy arrays and nothing else.
Batches re-pickled by Python 3 at protocol 2 store their bytes as ``_codecs.encode(text,
'latin1')`` (and ``b''`` as ``bytes()``): those two calls are allowed, in their latin-1 form only,
as PyTorch's ``weights_only`` unpickler allows ``_codecs.encode``.
"""

from __future__ import annotations

import io
import pickle
import pickletools
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.data.errors import DataFormatError, DatasetNotFoundError
from cnnlab.serialization.errors import UnsafePickleError
from cnnlab.serialization.unpickler import empty_bytes, encode_latin1

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
CIFAR_DIR = "cifar-10-batches-py"
CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCHES = ("test_batch",)
META_FILE = "batches.meta"
IMAGE_SIZE = 3 * 32 * 32

# What numpy's array pickles import, under numpy 1.x and 2.x names; nothing else is allowed.
ALLOWED_GLOBALS = frozenset(
    {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }
)
# How Python 3 pickles bytes at protocol 2, each resolved to a function that only decodes them.
BYTES_GLOBALS = {
    ("_codecs", "encode"): encode_latin1,
    ("builtins", "bytes"): empty_bytes,
    ("__builtin__", "bytes"): empty_bytes,
}


class BatchUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals NumPy's array reconstruction needs."""

    def __init__(self, file: io.BytesIO, *, source: str) -> None:
        super().__init__(file, encoding="bytes")
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in BYTES_GLOBALS:
            return BYTES_GLOBALS[module, name]
        if (module, name) not in ALLOWED_GLOBALS:
            raise DataFormatError(
                f"{self.source}: refused to load: the pickle asks for {module}.{name}, "
                "which a CIFAR-10 batch never contains"
            )
        return super().find_class(module, name)


MEMO_PUTS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})


def check_memo_indices(data: bytes, source: str) -> None:
    """Refuse a pickle that stores into its memo far beyond the entries it has made.

    Python's unpickler keeps the memo as an array as long as the largest index stored, so one
    ``LONG_BINPUT 2**31`` would take gigabytes and minutes; a pickler numbers its entries from 0.
    """
    puts = 0
    try:
        for opcode, argument, _ in pickletools.genops(data):
            if opcode.name in MEMO_PUTS:
                puts += 1
                if argument >= puts + 1024:
                    raise DataFormatError(
                        f"{source}: not a readable CIFAR-10 pickle: memo index {argument} after "
                        f"{puts} entries"
                    )
            elif opcode.name == "STOP":
                return
    except DataFormatError:
        raise
    except Exception as error:  # pickletools' own ValueError for a truncated or unknown opcode
        raise DataFormatError(f"{source}: not a readable CIFAR-10 pickle ({error!r})") from error


def unpickle_batch(data: bytes, source: str) -> Any:
    """Unpickle ``data`` (read from ``source``) with :class:`BatchUnpickler`."""
    check_memo_indices(data, source)
    try:
        return BatchUnpickler(io.BytesIO(data), source=source).load()
    except DataFormatError:
        raise
    except UnsafePickleError as error:
        raise DataFormatError(f"{source}: refused to load: {error}") from None
    except Exception as error:  # a corrupt pickle can fail in many ways, all of them this one
        raise DataFormatError(f"{source}: not a readable CIFAR-10 pickle ({error!r})") from error


def check_batch(batch: Any, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(data (n, 3072) uint8, labels (n,) int64)`` from an unpickled batch, validated."""
    if not isinstance(batch, dict):
        raise DataFormatError(f"{source}: expected a dict, got {type(batch).__name__}")
    for key in (b"data", b"labels"):
        if key not in batch:
            found = sorted(repr(k) for k in batch)
            raise DataFormatError(f"{source}: key {key!r} missing (keys found: {found})")
    data = batch[b"data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2:
        raise DataFormatError(f"{source}: b'data' must be a 2-D uint8 array, got {describe(data)}")
    if data.shape[1] != IMAGE_SIZE:
        raise DataFormatError(
            f"{source}: b'data' must have {IMAGE_SIZE} columns (3x32x32), got shape {data.shape}"
        )
    labels = check_labels(batch[b"labels"], len(data), source)
    return data, labels


def check_labels(raw_labels: Any, count: int, source: str) -> np.ndarray:
    """Return ``raw_labels`` as int64, checked to be ``count`` integers in 0..9."""
    if not isinstance(raw_labels, list | np.ndarray) or not all(
        isinstance(label, int | np.integer) for label in raw_labels
    ):
        raise DataFormatError(
            f"{source}: b'labels' must be a list of ints, got {describe(raw_labels)}"
        )
    labels = np.asarray(raw_labels, dtype=np.int64).reshape(-1)
    if len(labels) != count:
        raise DataFormatError(f"{source}: {len(labels)} labels for {count} images")
    bad = (labels < 0) | (labels >= len(CIFAR10_CLASSES))
    if bad.any():
        index = int(np.argmax(bad))
        raise DataFormatError(
            f"{source}: label {labels[index]} at index {index} is out of range, expected 0..9"
        )
    return labels


def read_batch(data: bytes, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the validated ``(data, labels)`` of batch ``source``, whose bytes are ``data``."""
    return check_batch(unpickle_batch(data, source), source)


def describe(value: Any) -> str:
    """Return a short description of ``value`` for error messages."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and type {value.dtype}"
    return type(value).__name__


def find_cifar_source(root: Path) -> Path:
    """Return the batches directory or the ``.tar.gz`` archive found under ``root``."""
    for directory in (root / CIFAR_DIR, root):
        if (directory / TEST_BATCHES[0]).is_file() or (directory / TRAIN_BATCHES[0]).is_file():
            return directory
    if (root / CIFAR_ARCHIVE).is_file():
        return root / CIFAR_ARCHIVE
    raise DatasetNotFoundError.missing(
        "cifar10",
        searched=[root / CIFAR_DIR, root],
        expected=[CIFAR_ARCHIVE, f"or {CIFAR_DIR}/ with {', '.join(TRAIN_BATCHES + TEST_BATCHES)}"],
        root=root,
        place_in=root,
    )


def read_members(source: Path, names: Sequence[str]) -> dict[str, bytes]:
    """Return ``{name: bytes}`` for those of ``names`` found in the directory or the archive."""
    if source.is_dir():
        return {name: (source / name).read_bytes() for name in names if (source / name).is_file()}
    return read_archive_members(source, names)


def read_archive_members(archive: Path, names: Sequence[str]) -> dict[str, bytes]:
    """Read ``cifar-10-batches-py/<name>`` members straight from the archive, in one pass."""
    wanted = {f"{CIFAR_DIR}/{name}": name for name in names}
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                name = wanted.get(member.name.removeprefix("./"))
                if name is None:
                    continue
                file = tar.extractfile(member)
                if file is not None:
                    found[name] = file.read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise DataFormatError(f"{archive}: not a readable .tar.gz archive ({error})") from error
    return found


def source_name(source: Path, name: str) -> str:
    """Return how errors name batch ``name``: its path, or ``archive:member``."""
    return str(source / name) if source.is_dir() else f"{source}:{CIFAR_DIR}/{name}"


def load_cifar10(root: str | Path, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of CIFAR-10 from the python batches.

    The batches are read from ``root/cifar-10-batches-py/``, from ``root`` itself, or straight
    from ``root/cifar-10-python.tar.gz`` (no extraction needed).

    Returns:
        ``(images, labels)``: images ``uint8`` of shape ``(N, 3, 32, 32)`` (N = 50,000 for
        ``train=True``, 10,000 otherwise), labels ``int64`` of shape ``(N,)`` in 0..9.

    Raises:
        DatasetNotFoundError: neither the directory nor the archive is there, or a batch of the
            split is missing from it.
        DataFormatError: a batch is corrupted, or its pickle asks to run code.
    """
    root = Path(root).expanduser()
    source = find_cifar_source(root)
    names = TRAIN_BATCHES if train else TEST_BATCHES
    contents = read_members(source, names)
    missing = [name for name in names if name not in contents]
    if missing:
        raise DatasetNotFoundError.missing(
            "cifar10", searched=[source], expected=missing, root=root, place_in=source
        )
    parts = [read_batch(contents[name], source_name(source, name)) for name in names]
    data = np.concatenate([part[0] for part in parts])
    labels = np.concatenate([part[1] for part in parts])
    return data.reshape(-1, 3, 32, 32), labels


def cifar10_classes(root: str | Path | None = None) -> tuple[str, ...]:
    """Return CIFAR-10's class names: from ``batches.meta`` if present, else the standard ones.

    The standard names, by label: airplane, automobile, bird, cat, deer, dog, frog, horse, ship,
    truck.
    """
    if root is None:
        return CIFAR10_CLASSES
    try:
        source = find_cifar_source(Path(root).expanduser())
    except DatasetNotFoundError:
        return CIFAR10_CLASSES
    contents = read_members(source, [META_FILE])
    if META_FILE not in contents:
        return CIFAR10_CLASSES
    where = source_name(source, META_FILE)
    meta = unpickle_batch(contents[META_FILE], where)
    names = meta.get(b"label_names") if isinstance(meta, dict) else None
    if not isinstance(names, list) or len(names) != len(CIFAR10_CLASSES):
        raise DataFormatError(f"{where}: expected b'label_names', a list of 10 names")
    return tuple(n.decode("ascii") if isinstance(n, bytes) else str(n) for n in names)


def select_classes(
    images: np.ndarray,
    labels: np.ndarray,
    classes: Sequence[int] = (0, 2),
    *,
    num_classes: int = 10,
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the samples of ``classes`` and relabel them 0..k-1 in the order given.

    The default is the chapter's CIFAR-2: airplane (0) becomes 0 and bird (2) becomes 1.

    Args:
        images: array of shape ``(N, ...)``.
        labels: integer array of shape ``(N,)`` with values in ``0..num_classes-1``.
        classes: at least two distinct labels in ``0..num_classes-1``.

    Returns:
        ``(images, labels)`` of the kept samples, in their original order; labels ``int64``.
    """
    classes = check_class_selection(classes, num_classes)
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(
            f"select_classes: labels must have shape ({len(images)},) to match images "
            f"of shape {np.shape(images)}, got {labels.shape}"
        )
    new_label = np.full(num_classes, -1, dtype=np.int64)
    new_label[list(classes)] = np.arange(len(classes))
    keep = np.isin(labels, classes)
    return images[keep], new_label[labels[keep]]


def check_class_selection(classes: Sequence[int], num_classes: int) -> tuple[int, ...]:
    """Return ``classes`` as a tuple of ints, checked: at least 2, distinct, in range."""
    if isinstance(classes, str) or not isinstance(classes, Sequence):
        raise TypeError(f"select_classes: classes must be a sequence of ints, got {classes!r}")
    if not all(isinstance(c, int | np.integer) and not isinstance(c, bool) for c in classes):
        raise TypeError(f"select_classes: classes must be ints, got {classes!r}")
    selected = tuple(int(c) for c in classes)
    if len(selected) < 2:
        raise ValueError(f"select_classes: classes needs at least 2 classes, got {selected}")
    if len(set(selected)) != len(selected):
        raise ValueError(f"select_classes: classes must be distinct, got {selected}")
    out_of_range = [c for c in selected if not 0 <= c < num_classes]
    if out_of_range:
        raise ValueError(
            f"select_classes: classes must be in 0..{num_classes - 1}, got {out_of_range} "
            f"in {selected}"
        )
    return selected
