"""``cnnlab.save``: PyTorch's zip ``.pt`` format, which ``torch.load(weights_only=True)`` reads.

The archive ``<name>/`` holds, in the order ``torch.save`` (2.x) writes them: ``data.pkl`` (a
protocol-2 pickle of the object, written by :class:`TorchPickler`), ``.format_version``,
``.storage_alignment``, ``byteorder``, one record ``data/<key>`` per tensor with its elements
little-endian and C-contiguous, ``version`` and ``.data/serialization_id``. Records are stored
uncompressed, their data aligned to 64 bytes as PyTorch aligns them (so ``mmap=True`` works).
"""

from __future__ import annotations

import io
import os
import secrets
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from cnnlab.serialization.pickler import TorchPickler
from cnnlab.utils.files import atomic_write

ALIGNMENT = 64
FORMAT_VERSION = "1"
ARCHIVE_VERSION = "3\n"
ALIGNMENT_EXTRA = b"FB"  # the extra-field id PyTorch pads local headers with


def save(obj: Any, f, pickle_module=None, pickle_protocol: int = 2, **options: Any) -> None:
    """Save ``obj`` to ``f`` in PyTorch's format (``torch.save``).

    Args:
        obj: tensors (any dtype cnnlab has; views and non-contiguous tensors are saved
            contiguous), parameters, dicts, ``OrderedDict`` (a ``state_dict``), lists, tuples,
            sets, numbers, strings, bytes, ``None``, dtypes, ``Size`` and devices, nested freely:
            what ``torch.load(weights_only=True)`` reads back.
        f: a path (``str`` or ``os.PathLike``), written atomically (a temporary file renamed over
            it), or a binary file object open for writing.

    Raises:
        NotImplementedError: ``obj`` holds an object of another type (a whole ``Module``, a
            NumPy array): torch pickles those as code that ``weights_only`` loading refuses.
    """
    if pickle_module is not None or pickle_protocol != 2:
        raise NotImplementedError(
            "cnnlab.save: only the default pickle_module and pickle_protocol=2 are supported"
        )
    if options.get("_use_new_zipfile_serialization", True) is False:
        raise NotImplementedError("cnnlab.save: the legacy (non-zip) format is not written")
    pickler = TorchPickler()
    data = pickler.dump(obj)
    if isinstance(f, str | os.PathLike):
        path = Path(f)
        name = archive_name(path)
        atomic_write(path, lambda file: write_archive(file, name, data, pickler.storages))
        return
    if not hasattr(f, "write"):
        raise TypeError(f"cnnlab.save: f must be a path or a binary file object, got {f!r}")
    if hasattr(f, "seekable") and f.seekable():
        write_archive(f, "archive", data, pickler.storages)
    else:
        buffer = io.BytesIO()
        write_archive(buffer, "archive", data, pickler.storages)
        f.write(buffer.getvalue())


def archive_name(path: Path) -> str:
    """The archive's folder, as PyTorch names it: the file name without its extension."""
    return path.stem or "archive"


def write_archive(file: BinaryIO, name: str, data: bytes, storages: list[np.ndarray]) -> None:
    """Write the zip archive ``name/`` of pickle ``data`` and the tensors' ``storages``."""
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as archive:
        records: list[tuple[str, Any]] = [
            ("data.pkl", data),
            (".format_version", FORMAT_VERSION.encode()),
            (".storage_alignment", str(ALIGNMENT).encode()),
            ("byteorder", b"little"),
        ]
        records += [(f"data/{key}", array) for key, array in enumerate(storages)]
        records += [("version", ARCHIVE_VERSION.encode()), (".data/serialization_id", new_id())]
        for record, content in records:
            write_record(archive, f"{name}/{record}", content)


def write_record(archive: zipfile.ZipFile, name: str, content: bytes | np.ndarray) -> None:
    """One stored record whose data starts on a multiple of ``ALIGNMENT`` in the file."""
    payload = memoryview(little_endian(content) if isinstance(content, np.ndarray) else content)
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = payload.nbytes
    zip64 = payload.nbytes * 1.05 > zipfile.ZIP64_LIMIT
    header = 30 + len(name.encode("utf-8")) + 4 + (20 if zip64 else 0)
    padding = -(archive.fp.tell() + header) % ALIGNMENT
    info.extra = ALIGNMENT_EXTRA + padding.to_bytes(2, "little") + b"Z" * padding
    with archive.open(info, "w", force_zip64=zip64) as record:
        record.write(payload.cast("B") if payload.nbytes else b"")


def little_endian(array: np.ndarray) -> np.ndarray:
    """``array``'s elements in C order, little-endian, as one row."""
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).reshape(-1)


def new_id() -> bytes:
    """A 40-digit serialization id, as PyTorch writes one per file."""
    return "".join(str(secrets.randbelow(10)) for _ in range(40)).encode()
