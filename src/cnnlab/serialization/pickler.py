"""The pickle of ``data.pkl`` as ``torch.save`` writes it (protocol 2), for cnnlab objects.

A tensor becomes ``torch._utils._rebuild_tensor_v2(storage, 0, size, stride, requires_grad,
OrderedDict())`` whose storage is the persistent id ``('storage', torch.FloatStorage, key, 'cpu',
numel)`` (its elements go to the record ``data/<key>``); a parameter becomes
``torch._utils._rebuild_parameter(tensor, requires_grad, OrderedDict())``; ``cnnlab.float32``
the global ``torch.float32``; ``Size`` and ``device`` calls of ``torch.Size`` and
``torch.device``; bytes ``_codecs.encode(text, 'latin1')`` as Python 3 pickles them at protocol
2. Only names ``torch.load(weights_only=True)`` allows are written.
"""

from __future__ import annotations

import io
import pickle
import struct
from collections import OrderedDict
from typing import Any

import numpy as np

from cnnlab.autograd.devices import device
from cnnlab.autograd.size import Size
from cnnlab.autograd.tensor import Tensor
from cnnlab.autograd.types import dtype
from cnnlab.nn.parameter import Parameter, _Uninitialized
from cnnlab.serialization.torch_names import STORAGE_NAMES

BATCH = 1000  # items per APPENDS / SETITEMS, as pickle batches them


class TorchPickler:
    """Pickle one object; ``storages`` collects the arrays its tensors refer to, by key order."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.memo: dict[Any, int] = {}
        self.kept: list[Any] = []  # memoized objects stay alive, so their ids stay theirs
        self.storages: list[np.ndarray] = []
        self.in_progress: set[int] = set()

    def dump(self, obj: Any) -> bytes:
        """The pickle of ``obj``: ``PROTO 2``, the object, ``STOP``."""
        self.out.write(b"\x80\x02")
        self.save(obj)
        self.out.write(b".")
        return self.out.getvalue()

    # ----- memo
    def recall(self, key: Any) -> bool:
        """Write ``BINGET`` for an object written before; ``False`` if it was not."""
        index = self.memo.get(key)
        if index is None:
            return False
        self.out.write(b"h" + bytes([index]) if index < 256 else b"j" + struct.pack("<I", index))
        return True

    def remember(self, key: Any, obj: Any) -> None:
        index = len(self.memo)
        self.memo[key] = index
        self.kept.append(obj)
        self.out.write(b"q" + bytes([index]) if index < 256 else b"r" + struct.pack("<I", index))

    # ----- objects
    def save(self, obj: Any) -> None:
        if obj is None or obj is True or obj is False:
            self.out.write({None: b"N", True: b"\x88", False: b"\x89"}[obj])
        elif type(obj) is int:
            self.save_int(obj)
        elif type(obj) is float:
            self.out.write(b"G" + struct.pack(">d", obj))
        elif not self.recall(id(obj)):
            self.save_new(obj)

    def save_new(self, obj: Any) -> None:
        kind = type(obj)
        if kind is str:
            encoded = obj.encode("utf-8", "surrogatepass")
            self.out.write(b"X" + struct.pack("<I", len(encoded)) + encoded)
            self.remember(id(obj), obj)
        elif isinstance(obj, Tensor):
            self.save_tensor(obj)
        elif kind is tuple:
            self.save_tuple(obj)
        elif kind is list:
            self.out.write(b"]")
            self.remember(id(obj), obj)
            self.save_batches(obj, b"e")
        elif kind is dict or kind is OrderedDict:
            self.save_dict(obj)
        else:
            self.save_value(obj)

    def save_value(self, obj: Any) -> None:
        """Values written as calls of allow-listed globals."""
        kind = type(obj)
        if isinstance(obj, dtype):
            self.save_global("torch", obj.name)
        elif kind is Size:
            self.save_call("torch", "Size", (tuple(obj),))
        elif kind is device:
            args = (obj.type,) if obj.index is None else (obj.type, obj.index)
            self.save_call("torch", "device", args)
        elif kind is bytes:
            self.save_call("_codecs", "encode", (obj.decode("latin1"), "latin1"))
        elif kind is bytearray:
            self.save_call("builtins", "bytearray", (bytes(obj),))
        elif kind is set:
            self.save_call("builtins", "set", (list(obj),))
        elif kind is complex:
            self.save_call("builtins", "complex", (obj.real, obj.imag))
        else:
            raise NotImplementedError(
                f"cnnlab.save: cannot save an object of type {kind.__module__}.{kind.__qualname__}"
                ": cnnlab writes what torch.load(weights_only=True) reads (tensors, dicts, "
                "lists, tuples, sets, numbers, strings, bytes, None, dtypes, Size, device); "
                "save a model's state_dict() rather than the model, and .item() or "
                "cnnlab.tensor() for NumPy values"
            )
        self.remember(id(obj), obj)

    def save_int(self, value: int) -> None:
        if 0 <= value < 256:
            self.out.write(b"K" + bytes([value]))
        elif 0 <= value < 65536:
            self.out.write(b"M" + struct.pack("<H", value))
        elif -(2**31) <= value < 2**31:
            self.out.write(b"J" + struct.pack("<i", value))
        else:
            encoded = pickle.encode_long(value)
            if len(encoded) < 256:
                self.out.write(b"\x8a" + bytes([len(encoded)]) + encoded)
            else:
                self.out.write(b"\x8b" + struct.pack("<i", len(encoded)) + encoded)

    def save_tuple(self, items: tuple) -> None:
        if not items:
            self.out.write(b")")
            return
        if id(items) in self.in_progress:
            raise ValueError("cnnlab.save: cannot save a tuple that contains itself")
        self.in_progress.add(id(items))
        if len(items) > 3:
            self.out.write(b"(")
        for item in items:
            self.save(item)
        self.in_progress.discard(id(items))
        self.out.write({1: b"\x85", 2: b"\x86", 3: b"\x87"}.get(len(items), b"t"))
        self.remember(id(items), items)

    def save_batches(self, items: list, opcode: bytes) -> None:
        """Items after a list (``APPENDS``) or key, value pairs after a dict (``SETITEMS``)."""
        step = BATCH if opcode == b"e" else 2 * BATCH
        for start in range(0, len(items), step):
            self.out.write(b"(")
            for item in items[start : start + step]:
                self.save(item)
            self.out.write(opcode)

    def save_dict(self, mapping: dict) -> None:
        if type(mapping) is OrderedDict:
            self.save_global("collections", "OrderedDict")
            self.out.write(b")R")
        else:
            self.out.write(b"}")
        self.remember(id(mapping), mapping)
        self.save_batches([part for pair in mapping.items() for part in pair], b"u")
        state = getattr(mapping, "__dict__", None)
        if state:
            self.save(dict(state))
            self.out.write(b"b")

    def save_global(self, module: str, name: str) -> None:
        key = ("global", module, name)
        if not self.recall(key):
            self.out.write(f"c{module}\n{name}\n".encode())
            self.remember(key, key)

    def save_call(self, module: str, name: str, args: tuple) -> None:
        """``module.name(*args)``: ``GLOBAL``, the argument tuple, ``REDUCE``."""
        self.save_global(module, name)
        self.save_tuple(args)
        self.out.write(b"R")

    # ----- tensors
    def save_tensor(self, tensor: Tensor) -> None:
        if isinstance(tensor, _Uninitialized):
            raise ValueError(
                "cnnlab.save: an uninitialized parameter of a lazy module cannot be saved; run "
                "the model on a batch first"
            )
        if isinstance(tensor, Parameter):
            self.save_global("torch._utils", "_rebuild_parameter")
            self.out.write(b"(")
            self.save_plain_tensor(tensor, requires_grad=False)
            self.save(bool(tensor.requires_grad))
            self.save_global("collections", "OrderedDict")
            self.out.write(b")Rt")
        else:
            self.save_plain_tensor(tensor, requires_grad=bool(tensor.requires_grad))
            return
        self.out.write(b"R")
        self.remember(id(tensor), tensor)

    def save_plain_tensor(self, tensor: Tensor, *, requires_grad: bool) -> None:
        """``_rebuild_tensor_v2`` of a fresh storage holding the tensor's elements in C order."""
        array = tensor._data
        key = str(len(self.storages))
        self.storages.append(array)
        self.save_global("torch._utils", "_rebuild_tensor_v2")
        self.out.write(b"((")
        self.save("storage")
        self.save_global("torch", STORAGE_NAMES[array.dtype.name])
        self.save(key)
        self.save("cpu")
        self.save(int(array.size))
        self.out.write(b"tQ")
        self.save(0)
        self.save(tuple(int(n) for n in array.shape))
        self.save(contiguous_strides(array.shape))
        self.save(requires_grad)
        self.save_global("collections", "OrderedDict")
        self.out.write(b")Rt")
        self.out.write(b"R")
        if not isinstance(tensor, Parameter):
            self.remember(id(tensor), tensor)


def contiguous_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The strides, in elements, of a C-contiguous tensor of ``shape``."""
    strides = []
    step = 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))
