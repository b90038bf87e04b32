"""``cnnlab.load``: read a file written by ``torch.save`` (or ``cnnlab.save``) without running it.

A ``.pt`` file is a zip archive ``<name>/``: ``data.pkl`` (a pickle of the saved object whose
tensors refer, by persistent id ``('storage', torch.FloatStorage, key, location, numel)``, to the
records ``data/<key>`` holding their raw elements), ``byteorder``, ``version`` and a few more. The
pickle is run by :class:`~cnnlab.serialization.unpickler.AllowListUnpickler` with the names
``torch.load(weights_only=True)`` allows (:mod:`cnnlab.serialization.rebuild`): a file that asks
for anything else is refused before anything runs.
"""

from __future__ import annotations

import io
import mmap as mmap_module
import os
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any, BinaryIO

import numpy as np

from cnnlab.autograd.devices import device
from cnnlab.serialization.errors import CorruptFileError, UnsafePickleError
from cnnlab.serialization.legacy import LEGACY_START, load_legacy
from cnnlab.serialization.rebuild import LoadedStorage, TorchRebuilder
from cnnlab.serialization.torch_names import StorageType
from cnnlab.serialization.unpickler import unpickle

ZIP_START = b"PK\x03\x04"
TAR_MAGIC, TAR_MAGIC_AT = b"ustar", 257
LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
# how zipfile reports a damaged record (a bad CRC, a garbled header or name, an odd method,
# a record marked as encrypted: RuntimeError)
READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    NotImplementedError,
    ValueError,
    RuntimeError,
)


def load(
    f,
    map_location=None,
    pickle_module=None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **pickle_load_args: Any,
) -> Any:
    """Load an object saved with ``torch.save`` or ``cnnlab.save`` (``torch.load``, weights only).

    Args:
        f: a path (``str`` or ``os.PathLike``) or a binary file object open for reading.
        map_location: ``None``, ``'cpu'``, a ``device`` or a dict mapping saved locations
            (``'cuda:0'``) to ``'cpu'``; cnnlab computes on the CPU only.
        weights_only: ``True`` (the default, as in PyTorch 2.6+); ``False`` is refused, since
            unpickling arbitrary objects runs code from the file.
        mmap: map the file's storages into memory instead of reading them (``f`` a path).
        pickle_load_args: ``encoding`` for Python 2 strings in old files (default ``'utf-8'``).

    Returns:
        The saved object: dicts, ``OrderedDict``, lists, tuples, sets, numbers, strings, ``None``,
        dtypes, ``Size`` and devices as saved; tensors as ``cnnlab.Tensor`` and parameters as
        ``cnnlab.nn.Parameter``. Tensors that shared a storage when saved share memory.

    Raises:
        UnsafePickleError: the file asks for a function or class outside the allow-list.
        CorruptFileError: the file is truncated, damaged, or its records do not match.
        NotImplementedError: the file holds something cnnlab has no counterpart for (bfloat16,
            sparse or quantized tensors, a TorchScript archive).
    """
    check_options(weights_only, pickle_module, pickle_load_args)
    locate = location_mapper(map_location)
    source = file_name(f)
    encoding = pickle_load_args.get("encoding", "utf-8")
    with open_stream(f, source) as stream:
        start = stream.read(len(ZIP_START))
        stream.seek(-len(start), io.SEEK_CUR)
        if start == ZIP_START:
            mapped = memory_map(f, source) if mmap else None
            return load_zip(stream, source, locate, mapped, encoding)
        if mmap:
            raise NotImplementedError(f"{source}: mmap=True needs a zip file (torch.save's format)")
        if start[:2] == LEGACY_START[:2]:
            return load_legacy(stream.read(), source, locate, encoding)
        if stream.read(TAR_MAGIC_AT + len(TAR_MAGIC))[TAR_MAGIC_AT:] == TAR_MAGIC:
            raise NotImplementedError(
                f"{source}: the tar format of torch.save before PyTorch 0.1.10 is not supported"
            )
    raise CorruptFileError(
        f"{source}: not a file written by torch.save (it starts with {start!r}, expected a zip "
        "archive or the legacy pickle format)"
    )


def check_options(weights_only, pickle_module, pickle_load_args: dict) -> None:
    if weights_only is False:
        raise NotImplementedError(
            "cnnlab.load: weights_only=False is not supported: unpickling arbitrary objects runs "
            "code from the file, and cnnlab only loads weights (tensors, containers, numbers, "
            "strings) as torch.load(weights_only=True) does"
        )
    if weights_only not in (None, True):
        raise TypeError(f"cnnlab.load: weights_only must be a bool, got {weights_only!r}")
    if pickle_module is not None:
        raise NotImplementedError(
            "cnnlab.load: pickle_module is not supported (cnnlab unpickles with its own "
            "allow-list, as weights_only=True does)"
        )
    unknown = sorted(set(pickle_load_args) - {"encoding"})
    if unknown:
        raise TypeError(f"cnnlab.load: unexpected keyword arguments {unknown}")


def location_mapper(map_location) -> Callable[[str, str], None]:
    """A check of each storage's saved location against ``map_location``: whatever it maps to
    must be the CPU."""
    if callable(map_location) and not isinstance(map_location, device):
        raise NotImplementedError(
            "cnnlab.load: map_location as a function is not supported; use 'cpu' (cnnlab "
            "computes on the CPU only)"
        )
    if map_location is not None and not isinstance(map_location, dict):
        target = map_location if isinstance(map_location, str) else str(map_location)
        if device(target).type != "cpu":
            raise RuntimeError(
                f"cnnlab.load: map_location={target!r} is not available: cnnlab computes on the "
                "CPU only (cnnlab.cuda.is_available() is False); use map_location='cpu'"
            )
        return lambda location, source: None
    mapping = {} if map_location is None else {str(k): str(v) for k, v in map_location.items()}

    def check(location: str, source: str) -> None:
        target = mapping.get(location, location)
        try:
            kind = device(target).type
        except (RuntimeError, TypeError):
            raise CorruptFileError(f"{source}: unknown storage location {location!r}") from None
        if kind != "cpu":
            raise RuntimeError(
                f"{source}: holds tensors saved on device {location!r}, which is not available: "
                "cnnlab computes on the CPU only; load with map_location='cpu'"
            )

    return check


def file_name(f) -> str:
    """How messages name ``f``: its path, else ``<BytesIO>`` and the like."""
    if isinstance(f, str | os.PathLike):
        return os.fspath(f)
    name = getattr(f, "name", None)
    return name if isinstance(name, str) else f"<{type(f).__name__}>"


@contextmanager
def open_stream(f, source: str):
    """A seekable binary stream on ``f`` (a path is opened and closed here; a file object is
    read from where it stands and left open)."""
    if isinstance(f, str | os.PathLike):
        with open(f, "rb") as file:
            yield file
        return
    if not hasattr(f, "read"):
        raise TypeError(f"cnnlab.load: f must be a path or a binary file object, got {f!r}")
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    if isinstance(f.read(0), str):
        raise TypeError(f"cnnlab.load: {source} is open in text mode; open it with 'rb'")
    yield f


def memory_map(f, source: str) -> mmap_module.mmap:
    """A copy-on-write map of the file ``f`` (changes to loaded tensors stay in memory)."""
    if not isinstance(f, str | os.PathLike):
        raise ValueError(f"cnnlab.load: mmap=True needs f to be a path, got {source}")
    with open(f, "rb") as file:
        return mmap_module.mmap(file.fileno(), 0, access=mmap_module.ACCESS_COPY)


def load_zip(stream: BinaryIO, source: str, locate, mapped, encoding: str) -> Any:
    """The object of a zip ``.pt`` archive."""
    try:
        archive = zipfile.ZipFile(stream)
    except READ_ERRORS as error:
        raise CorruptFileError(
            f"{source}: not a readable PyTorch zip archive, the file is truncated or damaged "
            f"({error})"
        ) from None
    with archive:
        records = ZipRecords(archive, source, mapped)
        rebuilder = TorchRebuilder(source)
        storages: dict[str, LoadedStorage] = {}

        def persistent_load(pid: Any) -> LoadedStorage:
            storage_type, key, location, numel = storage_reference(pid, source)
            if key not in storages:
                locate(location, source)
                array = records.storage(key, storage_type.numpy_dtype(source), numel)
                storages[key] = LoadedStorage(array, key, storage_type)
            return storages[key]

        return unpickle(
            records.read("data.pkl"),
            source=source,
            allowed=rebuilder.allowed,
            new_objects=rebuilder.new_objects,
            persistent_load=persistent_load,
            refuse=rebuilder.refuse,
            bytes_encoding=encoding,
        )


def storage_reference(pid: Any, source: str) -> tuple[StorageType, str, str, int]:
    """``(storage_type, key, location, numel)`` of a persistent id, which must name a storage."""
    kind = pid[0] if isinstance(pid, tuple) and pid else None
    if isinstance(kind, bytes):
        kind = kind.decode("ascii", "replace")
    if kind != "storage":
        raise UnsafePickleError(
            f"{source}: refused to load: persistent id {pid!r} is not a storage"
        )
    if len(pid) != 5:
        raise CorruptFileError(f"{source}: malformed storage reference {pid!r}")
    _, storage_type, key, location, numel = pid
    if not isinstance(storage_type, StorageType) or not isinstance(key, str | int):
        raise CorruptFileError(f"{source}: malformed storage reference {pid!r}")
    if not isinstance(location, str) or not isinstance(numel, int) or numel < 0:
        raise CorruptFileError(f"{source}: malformed storage reference {pid!r}")
    return storage_type, str(key), location, numel


class ZipRecords:
    """The records of one archive ``<prefix>/...``, read with their sizes and checksums checked
    (or mapped from the file when ``mapped``)."""

    def __init__(self, archive: zipfile.ZipFile, source: str, mapped) -> None:
        self.archive = archive
        self.source = source
        self.mapped = mapped
        self.prefix = self.find_prefix()
        self.byteorder = self.find_byteorder()

    def find_prefix(self) -> str:
        names = self.archive.namelist()
        prefixes = [name[: -len("/data.pkl")] for name in names if name.endswith("/data.pkl")]
        prefixes = [prefix for prefix in prefixes if "/" not in prefix]
        if any(name.endswith("/constants.pkl") for name in names):
            raise NotImplementedError(
                f"{self.source}: a TorchScript archive (torch.jit.save), which cnnlab does not "
                "load; save the model's state_dict with torch.save instead"
            )
        if len(prefixes) != 1:
            raise CorruptFileError(
                f"{self.source}: a zip archive without a single <name>/data.pkl record, so not "
                f"a torch.save file (records: {names[:5]})"
            )
        return prefixes[0]

    def find_byteorder(self) -> str:
        if f"{self.prefix}/byteorder" not in self.archive.namelist():
            return sys.byteorder
        order = self.read("byteorder").decode("ascii", "replace")
        if order not in ("little", "big"):
            raise CorruptFileError(f"{self.source}: unknown byteorder record {order!r}")
        return order

    def info(self, name: str) -> zipfile.ZipInfo:
        try:
            return self.archive.getinfo(f"{self.prefix}/{name}")
        except KeyError:
            raise CorruptFileError(
                f"{self.source}: the record {self.prefix}/{name} is missing from the archive"
            ) from None

    def read(self, name: str) -> bytes:
        info = self.info(name)
        try:
            return self.archive.read(info)
        except READ_ERRORS as error:
            raise CorruptFileError(
                f"{self.source}: the record {info.filename} is damaged ({error})"
            ) from None

    def storage(self, key: str, element: np.dtype, numel: int) -> np.ndarray:
        """The ``numel`` elements of record ``data/<key>``, in native byte order."""
        info = self.info(f"data/{key}")
        element = element.newbyteorder("<" if self.byteorder == "little" else ">")
        if info.file_size != numel * element.itemsize:
            raise CorruptFileError(
                f"{self.source}: the record {info.filename} holds {info.file_size} bytes, but the "
                f"pickle says {numel} {element.name} elements ({numel * element.itemsize} bytes)"
            )
        if self.mapped is not None:
            try:
                array = np.frombuffer(self.mapped, element, numel, self.data_offset(info))
            except ValueError:
                message = f"{self.source}: the record {info.filename} is truncated"
                raise CorruptFileError(message) from None
        else:
            array = np.empty(numel, element)
            self.read_into(info, memoryview(array).cast("B"))
        return array if array.dtype.isnative else array.astype(element.newbyteorder("="))

    def read_into(self, info: zipfile.ZipInfo, buffer: memoryview) -> None:
        try:
            with self.archive.open(info) as record:
                filled = 0
                while filled < len(buffer):
                    count = record.readinto(buffer[filled:])
                    if not count:
                        raise EOFError("the record ends early")
                    filled += count
                record.read(1)  # reaching the end checks the CRC
        except READ_ERRORS as error:
            raise CorruptFileError(
                f"{self.source}: the record {info.filename} is damaged ({error})"
            ) from None

    def data_offset(self, info: zipfile.ZipInfo) -> int:
        """Where the bytes of a stored (uncompressed) record start in the file."""
        header = self.mapped[info.header_offset : info.header_offset + LOCAL_HEADER.size]
        fields = LOCAL_HEADER.unpack(header) if len(header) == LOCAL_HEADER.size else None
        if fields is None or fields[0] != ZIP_START or info.compress_type != zipfile.ZIP_STORED:
            raise CorruptFileError(f"{self.source}: the record {info.filename} cannot be mapped")
        name_length, extra_length = fields[-2], fields[-1]
        return info.header_offset + LOCAL_HEADER.size + name_length + extra_length
