"""The legacy ``.pt`` format (``torch.save(..., _use_new_zipfile_serialization=False)``, and every
``torch.save`` before PyTorch 1.6).

The file is five pickles and the storages, back to back: the magic number
``0x1950a86a20f9469cfc6c``, the protocol version ``1001``, a dict of system information
(``little_endian``), the object (whose storages are persistent ids ``('storage', storage_type,
root_key, location, numel, view_metadata)``), the list of storage keys; then for each key an
8-byte little-endian element count and the raw elements. Every pickle is read by the same
allow-list unpickler as the zip format's ``data.pkl``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cnnlab.serialization.errors import CorruptFileError, UnsafePickleError
from cnnlab.serialization.rebuild import LoadedStorage, TorchRebuilder
from cnnlab.serialization.torch_names import StorageType
from cnnlab.serialization.unpickler import AllowListUnpickler

# every legacy file starts with the pickle of its magic number, protocol 2
LEGACY_START = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19."
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


class LegacyReader:
    """Reads the pickles and storages of one legacy file ``source`` in order."""

    def __init__(self, data: bytes, source: str, locate, encoding: str) -> None:
        self.data = data
        self.source = source
        self.locate = locate
        self.encoding = encoding
        self.position = 0
        self.rebuilder = TorchRebuilder(source)
        self.storages: dict[str, LoadedStorage] = {}
        self.views: dict[str, LoadedStorage] = {}
        self.byteorder = "little"

    def next_pickle(self, **options: Any) -> Any:
        reader = AllowListUnpickler(
            self.data,
            source=self.source,
            allowed=self.rebuilder.allowed,
            new_objects=self.rebuilder.new_objects,
            refuse=self.rebuilder.refuse,
            bytes_encoding=self.encoding,
            **options,
        )
        reader.position = self.position
        result = reader.load()
        self.position = reader.position
        return result

    def load(self) -> Any:
        if self.next_pickle() != MAGIC_NUMBER:
            raise CorruptFileError(f"{self.source}: not a torch.save file (no magic number)")
        version = self.next_pickle()
        if version != PROTOCOL_VERSION:
            raise CorruptFileError(f"{self.source}: unknown legacy protocol version {version!r}")
        system = self.next_pickle()
        if isinstance(system, dict) and system.get("little_endian") is False:
            self.byteorder = "big"
        result = self.next_pickle(persistent_load=self.persistent_load)
        keys = self.next_pickle()
        if not isinstance(keys, list) or any(str(key) not in self.storages for key in keys):
            raise CorruptFileError(f"{self.source}: the list of storage keys does not match")
        for key in keys:
            self.fill(self.storages[str(key)])
        return result

    def persistent_load(self, pid: Any) -> LoadedStorage:
        kind = pid[0] if isinstance(pid, tuple) and pid else None
        kind = kind.decode("ascii", "replace") if isinstance(kind, bytes) else kind
        if kind == "module":
            raise UnsafePickleError(
                f"{self.source}: refused to load: the file holds a whole module {pid[1]!r} (its "
                "class and source code), which only running code could rebuild; save "
                "model.state_dict() instead"
            )
        if kind != "storage" or len(pid) != 6:
            raise UnsafePickleError(f"{self.source}: refused to load: persistent id {pid!r}")
        _, storage_type, root_key, location, numel, view = pid
        location = location.decode("ascii") if isinstance(location, bytes) else location
        if not isinstance(storage_type, StorageType) or not isinstance(location, str):
            raise CorruptFileError(f"{self.source}: malformed storage reference {pid!r}")
        self.locate(location, self.source)
        storage = self.root(storage_type, str(root_key), numel)
        return storage if view is None else self.view(storage, view)

    def root(self, storage_type: StorageType, key: str, numel: Any) -> LoadedStorage:
        element = storage_type.numpy_dtype(self.source).newbyteorder("=")
        if not isinstance(numel, int) or not 0 <= numel * element.itemsize <= len(self.data):
            raise CorruptFileError(f"{self.source}: storage {key} of {numel!r} elements")
        if key not in self.storages:
            self.storages[key] = LoadedStorage(np.empty(numel, element), key, storage_type)
        storage = self.storages[key]
        if storage.storage_type != storage_type or len(storage.array) != numel:
            raise CorruptFileError(f"{self.source}: storage {key} is described two ways")
        return storage

    def view(self, storage: LoadedStorage, view: Any) -> LoadedStorage:
        """The part ``(view_key, offset, size)`` of a storage (files of PyTorch before 1.0)."""
        if not isinstance(view, tuple) or len(view) != 3:
            raise CorruptFileError(f"{self.source}: malformed storage view {view!r}")
        key, offset, size = view
        if not all(isinstance(n, int) for n in (offset, size)) or offset < 0 or size < 0:
            raise CorruptFileError(f"{self.source}: malformed storage view {view!r}")
        if offset + size > len(storage.array):
            raise CorruptFileError(f"{self.source}: storage view {view!r} is out of bounds")
        part = storage.array[offset : offset + size]
        return self.views.setdefault(str(key), LoadedStorage(part, str(key), storage.storage_type))

    def fill(self, storage: LoadedStorage) -> None:
        """Read a storage's element count and elements into its array."""
        count = int.from_bytes(self.take(8, storage), "little", signed=True)
        if count != len(storage.array):
            raise CorruptFileError(
                f"{self.source}: storage {storage.key} holds {count} elements, but the pickle "
                f"says {len(storage.array)}"
            )
        element = storage.array.dtype.newbyteorder("<" if self.byteorder == "little" else ">")
        raw = np.frombuffer(self.take(storage.array.nbytes, storage), element)
        storage.array[...] = raw

    def take(self, count: int, storage: LoadedStorage) -> bytes:
        end = self.position + count
        if end > len(self.data):
            raise CorruptFileError(f"{self.source}: truncated in storage {storage.key}")
        chunk = self.data[self.position : end]
        self.position = end
        return chunk


def load_legacy(data: bytes, source: str, locate, encoding: str) -> Any:
    """The object of a legacy ``.pt`` file whose bytes are ``data``."""
    return LegacyReader(data, source, locate, encoding).load()
