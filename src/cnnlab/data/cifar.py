"""CIFAR-10: the python batches, read without running any code from the files.

The official ``cifar-10-python.tar.gz`` holds ``cifar-10-batches-py/`` with ``data_batch_1`` ..
``data_batch_5`` (10,000 images each), ``test_batch`` and ``batches.meta``. Each batch is a
Python-2 pickle of a dict with bytes keys: ``b"data"`` a ``uint8`` array (10000, 3072) (the red,
then green, then blue 32x32 planes of each image, row-major), ``b"labels"`` a list of ints,
``b"batch_label"`` and ``b"filenames"``. A pickle can call any importable function while it loads,
so the files are read by :class:`BatchUnpickler`, cnnlab's allow-list unpickler, which builds
NumPy arrays and nothing else. NumPy's own ``__setstate__`` never sees a file's data (a damaged
state can crash it): each dtype and array state is checked (an element type from
:data:`ALLOWED_DTYPES`, a shape of sizes whose product fits the bytes given) and the array built
with ``np.frombuffer``.
Batches re-pickled by Python 3 at protocol 2 store their bytes as ``_codecs.encode(text,
'latin1')`` (and ``b''`` as ``bytes()``): those two calls are allowed, in their latin-1 form only,
as PyTorch's ``weights_only`` unpickler allows ``_codecs.encode``.
"""

from __future__ import annotations

import math
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.data.errors import DataFormatError, DatasetNotFoundError
from cnnlab.serialization.errors import CorruptFileError, UnsafePickleError
from cnnlab.serialization.unpickler import AllowListUnpickler, empty_bytes, encode_latin1

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

# The numpy names an array pickle uses, under numpy 1.x and 2.x module names.
RECONSTRUCT_NAMES = ("numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct")
FROMBUFFER_NAMES = ("numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer")
# The element types an array in a batch may have, as (byte order + kind + size).
ALLOWED_DTYPES = frozenset(
    ["|u1", "|i1", "|b1"]
    + [order + kind for order in "<>=" for kind in ("u2", "u4", "u8", "i2", "i4", "i8", "f4", "f8")]
)
ARRAY_NAME = "numpy.ndarray"
MAX_DIMS, MAX_SIZE = 32, 2**40  # NumPy's limit on dimensions; far more than any batch holds


class ArrayRecord:
    """What ``_reconstruct(ndarray, (0,), b'b')`` stands for until its BUILD gives the array."""

    def __init__(self) -> None:
        self.array: np.ndarray | None = None


class DtypeRecord:
    """What ``numpy.dtype(spec, align, copy)`` stands for until its BUILD gives the byte order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.dtype = np.dtype(kind if kind.endswith("1") else "=" + kind)


def text(value: Any) -> str | None:
    """``value`` as ``str`` if it is ASCII text (Python 2 pickles give bytes), else ``None``."""
    if isinstance(value, bytes):
        return value.decode("ascii") if value.isascii() else None
    return value if isinstance(value, str) else None


def make_dtype(spec: Any, align: Any = 0, copy: Any = 1) -> DtypeRecord:
    """``numpy.dtype(spec, align, copy)`` for the element types a batch may hold, nothing else."""
    kind = text(spec)
    if kind is None or not any(kind == allowed[1:] for allowed in ALLOWED_DTYPES):
        raise UnsafePickleError(f"numpy.dtype({spec!r}) is not an element type cnnlab reads")
    return DtypeRecord(kind)


def reconstruct(cls: Any, shape: Any = (0,), typecode: Any = b"b") -> ArrayRecord:
    """``numpy's _reconstruct(ndarray, (0,), b'b')``: an empty array waiting for its BUILD."""
    if cls is not ARRAY_CLASS:
        raise UnsafePickleError("_reconstruct is allowed only on numpy.ndarray")
    return ArrayRecord()


def resolve_dtype(value: Any) -> np.dtype:
    """The ``numpy.dtype`` a pickle gave, whether built yet or not."""
    if isinstance(value, DtypeRecord):
        return value.dtype
    if isinstance(value, np.dtype):
        return value
    raise CorruptFileError(f"an array's element type is a {type(value).__name__}, not a dtype")


def dtype_from_state(record: DtypeRecord, state: Any) -> np.dtype:
    """The dtype a checked ``dtype.__setstate__`` state gives: only the byte order may change.

    The state is ``(3, order, None, None, None, -1, -1, flags)``; anything else is refused,
    never handed to NumPy.
    """
    if not isinstance(state, tuple) or len(state) != 8 or state[0] != 3:
        raise CorruptFileError(
            f"a dtype state must be (3, order, ...) of 8 items, got {state!r}"[:200]
        )
    order = text(state[1])
    if (
        order is None
        or state[2:5] != (None, None, None)
        or not all(type(item) is int for item in state[5:])
    ):
        raise CorruptFileError(f"unexpected dtype state {state!r}"[:200])
    name = f"{order}{record.kind}"
    if name not in ALLOWED_DTYPES:
        raise CorruptFileError(f"dtype {name!r} is not an element type cnnlab reads")
    return np.dtype(name)


def array_from_parts(shape: Any, dtype: Any, fortran: Any, data: Any) -> np.ndarray:
    """An array of ``shape`` and ``dtype`` over the bytes ``data``, every part checked first."""
    dtype = resolve_dtype(dtype)
    if (
        not isinstance(shape, tuple)
        or len(shape) > MAX_DIMS
        or not all(type(n) is int and 0 <= n <= MAX_SIZE for n in shape)
    ):
        raise CorruptFileError(f"an array shape must be a tuple of sizes >= 0, got {shape!r}"[:200])
    if not isinstance(data, bytes | bytearray):
        raise CorruptFileError(f"an array's data must be bytes, got {type(data).__name__}")
    if fortran not in (0, 1) or isinstance(fortran, float):
        raise CorruptFileError(f"an array's order flag must be 0 or 1, got {fortran!r}"[:200])
    size = math.prod(shape)
    if size * dtype.itemsize != len(data):
        raise CorruptFileError(
            f"an array of shape {shape} and type {dtype.str} needs {size * dtype.itemsize} bytes, "
            f"the pickle has {len(data)}"
        )
    flat = np.frombuffer(data, dtype=dtype).copy()
    return flat.reshape(shape, order="F" if fortran else "C")


def array_from_state(state: Any) -> np.ndarray:
    """The array a checked ``ndarray.__setstate__`` state gives: ``([1,] shape, dtype,
    is_fortran, data)``."""
    if isinstance(state, tuple) and len(state) == 5 and type(state[0]) is int:
        state = state[1:]
    if not isinstance(state, tuple) or len(state) != 4:
        raise CorruptFileError("an array state must be (version, shape, dtype, fortran, data)")
    return array_from_parts(*state)


def frombuffer(data: Any, dtype: Any, shape: Any, order: Any) -> np.ndarray:
    """numpy's ``_frombuffer(data, dtype, shape, order)``, as pickle protocol 5 writes arrays."""
    fortran = text(order)
    if fortran not in ("C", "F"):
        raise CorruptFileError(f"an array's order must be 'C' or 'F', got {order!r}"[:200])
    return array_from_parts(shape, dtype, int(fortran == "F"), data)


class NdarrayClass:
    """Stands for ``numpy.ndarray`` in a batch: only ``_reconstruct`` may use it."""


ARRAY_CLASS = NdarrayClass()
ALLOWED_GLOBALS: dict[str, Any] = {
    **{name: reconstruct for name in RECONSTRUCT_NAMES},
    **{name: frombuffer for name in FROMBUFFER_NAMES},
    ARRAY_NAME: ARRAY_CLASS,
    "numpy.dtype": make_dtype,
    # How Python 3 pickles bytes at protocol 2, each resolved to a function that only decodes them.
    "_codecs.encode": encode_latin1,
    "builtins.bytes": empty_bytes,
}


class BatchUnpickler(AllowListUnpickler):
    """The allow-list unpickler, with ``BUILD`` allowed only on the arrays and dtypes it made.

    NumPy's own ``__setstate__`` never runs: each state is checked and the array built from it
    with ``np.frombuffer``.
    """

    def __init__(self, data: bytes, *, source: str) -> None:
        super().__init__(data, source=source, allowed=ALLOWED_GLOBALS, refuse=self.refuse_name)

    def refuse_name(self, name: str) -> None:
        raise UnsafePickleError(
            f"{self.source}: refused to load: the pickle asks for {name}, "
            "which a CIFAR-10 batch never contains"
        )

    def build(self) -> None:
        state = self.stack.pop()
        target = self.stack[-1]
        if isinstance(target, ArrayRecord) and target.array is None:
            target.array = array_from_state(state)
            self.stack[-1] = target.array
        elif isinstance(target, DtypeRecord):
            target.dtype = dtype_from_state(target, state)
            self.stack[-1] = target.dtype
        else:
            raise UnsafePickleError(
                f"{self.source}: refused to load: the pickle sets the state of a "
                f"{type(target).__name__} (BUILD), which a CIFAR-10 batch never does"
            )


def resolved(value: Any) -> Any:
    """``value`` with an array reached through the pickle's memo replaced by the array."""
    if isinstance(value, ArrayRecord):
        if value.array is None:
            raise CorruptFileError("an array without its contents (no BUILD)")
        return value.array
    return value


def unpickle_batch(data: bytes, source: str) -> Any:
    """Unpickle ``data`` (read from ``source``) with :class:`BatchUnpickler`."""
    try:
        batch = BatchUnpickler(data, source=source).load()
        if isinstance(batch, dict):
            return {key: resolved(value) for key, value in batch.items()}
        if isinstance(batch, list):
            return [resolved(value) for value in batch]
        return resolved(batch)
    except CorruptFileError as error:
        problem = str(error).removeprefix(f"{source}: ").removeprefix("refused to load: ")
        raise DataFormatError(f"{source}: not a readable CIFAR-10 pickle: {problem}") from None
    except (UnsafePickleError, NotImplementedError, RuntimeError) as error:
        message = str(error)
        if source not in message:
            message = f"{source}: refused to load: {message}"
        raise DataFormatError(message) from None


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
