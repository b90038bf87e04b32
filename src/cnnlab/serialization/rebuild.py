"""Tensors from a ``.pt`` pickle: the allow-list of ``torch.load(weights_only=True)`` in cnnlab.

Each name ``torch.save`` writes stands here for a cnnlab object: ``torch._utils._rebuild_tensor_v2``
for :meth:`TorchRebuilder.rebuild_tensor_v2` (a view into a storage read from the file, as
``tensor.set_(storage, offset, size, stride)``), ``torch._utils._rebuild_parameter`` for a
``cnnlab.nn.Parameter``, ``torch.float32`` for ``cnnlab.float32``, ``torch.Size`` for
``cnnlab.Size``, ``torch.device`` for ``cnnlab.device``. Nothing else resolves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from cnnlab.autograd import types
from cnnlab.autograd.devices import device
from cnnlab.autograd.size import Size
from cnnlab.autograd.tensor import Tensor
from cnnlab.compat import strided
from cnnlab.nn.parameter import Parameter
from cnnlab.serialization.errors import CorruptFileError, UnsafePickleError
from cnnlab.serialization.torch_names import StorageType, storage_globals, unsupported_name
from cnnlab.serialization.unpickler import DATA_GLOBALS


class LoadedStorage:
    """The elements of one storage record: a 1-D native-order array, shared by every tensor that
    views it (as tensors saved from one storage share it after ``torch.load``)."""

    __slots__ = ("array", "key", "storage_type")

    def __init__(self, array: np.ndarray, key: str, storage_type: StorageType) -> None:
        self.array = array
        self.key = key
        self.storage_type = storage_type


class TorchRebuilder:
    """The allow-list for one file ``source``: the names torch's weights_only unpickler accepts,
    each resolved to its cnnlab counterpart, with the rebuild functions checking their arguments
    against the storages they view."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.allowed: dict[str, Any] = dict(DATA_GLOBALS)
        self.allowed.update(storage_globals())
        self.allowed.update({f"torch.{name}": types._named(name) for name in types._BY_NAME})
        self.allowed.update(
            {
                "torch._utils._rebuild_tensor": self.rebuild_tensor,
                "torch._utils._rebuild_tensor_v2": self.rebuild_tensor_v2,
                "torch._utils._rebuild_tensor_v3": self.rebuild_tensor_v3,
                "torch._utils._rebuild_parameter": self.rebuild_parameter,
                "torch._utils._rebuild_parameter_with_state": self.rebuild_parameter_with_state,
                "torch._tensor._rebuild_from_type_v2": self.rebuild_from_type_v2,
                "torch.nn.parameter.Parameter": Parameter,
                "torch.Tensor": Tensor,
                "torch.Size": Size,
                "torch.device": device,
                "torch.serialization._get_layout": self.get_layout,
            }
        )
        self.new_objects: dict[Any, Callable[..., Any]] = {Parameter: self.new_parameter}
        self.callables = {id(value) for value in self.allowed.values() if callable(value)}

    def refuse(self, full_name: str) -> None:
        """A name torch allows but cnnlab cannot load is a missing feature, not an attack."""
        if full_name.startswith("torch.nn.modules."):
            raise UnsafePickleError(
                f"{self.source}: refused to load: the pickle asks for {full_name}, a whole "
                "module, which only running code from the file could rebuild; save and load "
                "model.state_dict() instead"
            )
        what = unsupported_name(full_name)
        if what is not None:
            raise NotImplementedError(
                f"{self.source}: holds {what} ({full_name}), which cnnlab does not support"
            )

    # ----- tensors
    def rebuild_tensor(self, storage, storage_offset, size, stride) -> Tensor:
        """``torch._utils._rebuild_tensor``: a view of ``size`` and ``stride`` (in elements)
        starting ``storage_offset`` elements into ``storage``."""
        return Tensor._wrap(self.view(storage, storage_offset, size, stride))

    def rebuild_tensor_v2(
        self, storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None
    ) -> Tensor:
        """``torch._utils._rebuild_tensor_v2``: :meth:`rebuild_tensor` with ``requires_grad``."""
        self.check_extras(backward_hooks, metadata)
        return self.with_grad(self.view(storage, storage_offset, size, stride), requires_grad)

    def rebuild_tensor_v3(
        self,
        storage,
        storage_offset,
        size,
        stride,
        requires_grad,
        backward_hooks,
        dtype,
        metadata=None,
    ) -> Tensor:
        """``torch._utils._rebuild_tensor_v3``: an untyped (byte) storage read as ``dtype``."""
        self.check_extras(backward_hooks, metadata)
        if not isinstance(dtype, types.dtype) or not isinstance(storage, LoadedStorage):
            raise CorruptFileError(f"{self.source}: _rebuild_tensor_v3 without a dtype")
        element = np.dtype(self.tensor_dtype(dtype)).newbyteorder("=")
        if storage.array.nbytes % element.itemsize:
            raise CorruptFileError(
                f"{self.source}: storage {storage.key} holds {storage.array.nbytes} bytes, "
                f"not a whole number of {dtype} elements"
            )
        typed = LoadedStorage(storage.array.view(element), storage.key, storage.storage_type)
        return self.with_grad(self.view(typed, storage_offset, size, stride), requires_grad)

    def rebuild_parameter(self, data, requires_grad, backward_hooks) -> Parameter:
        """``torch._utils._rebuild_parameter``: ``nn.Parameter(data, requires_grad)``."""
        self.check_extras(backward_hooks, None)
        return self.new_parameter(data, requires_grad)

    def rebuild_parameter_with_state(self, data, requires_grad, backward_hooks, state):
        """``torch._utils._rebuild_parameter_with_state``: a parameter with Python attributes,
        which cnnlab parameters cannot carry unless there are none."""
        self.check_state(state, "nn.Parameter")
        return self.rebuild_parameter(data, requires_grad, backward_hooks)

    def rebuild_from_type_v2(self, function, new_type, args, state) -> Tensor:
        """``torch._tensor._rebuild_from_type_v2``: ``function(*args)`` as ``new_type``."""
        if id(function) not in self.callables or not isinstance(args, tuple):
            raise UnsafePickleError(
                f"{self.source}: refused to load: _rebuild_from_type_v2 asks to call {function!r}"
            )
        if new_type not in (Tensor, Parameter):
            raise NotImplementedError(
                f"{self.source}: holds a tensor subclass {new_type!r}, which cnnlab does not "
                "support"
            )
        self.check_state(state, "tensor")
        result = function(*args)
        if new_type is Parameter and not isinstance(result, Parameter):
            result = self.new_parameter(result, True)
        return result

    def new_parameter(self, data=None, requires_grad=True) -> Parameter:
        if data is not None and not isinstance(data, Tensor):
            raise CorruptFileError(f"{self.source}: nn.Parameter of a {type(data).__name__}")
        if not isinstance(requires_grad, bool):
            raise CorruptFileError(f"{self.source}: requires_grad must be a bool")
        return Parameter(data, requires_grad)

    def get_layout(self, name) -> Any:
        """``torch.serialization._get_layout``: only the dense ``torch.strided`` exists here."""
        if name != "torch.strided":
            raise NotImplementedError(
                f"{self.source}: holds a tensor of layout {name!r}, which cnnlab does not support"
            )
        return strided

    # ----- checks
    def with_grad(self, array: np.ndarray, requires_grad) -> Tensor:
        if not isinstance(requires_grad, bool):
            raise CorruptFileError(f"{self.source}: requires_grad must be a bool")
        if requires_grad and array.dtype.kind != "f":
            raise CorruptFileError(
                f"{self.source}: a {array.dtype} tensor cannot require grad (only floating point)"
            )
        return Tensor._wrap(array, requires_grad)

    def check_extras(self, backward_hooks, metadata) -> None:
        if backward_hooks is not None and (not isinstance(backward_hooks, dict) or backward_hooks):
            raise UnsafePickleError(f"{self.source}: refused to load: a tensor with hooks")
        if metadata:
            raise NotImplementedError(
                f"{self.source}: holds a tensor with metadata {metadata!r} (conjugate or negative "
                "bits), which cnnlab does not support"
            )

    def check_state(self, state, what: str) -> None:
        if isinstance(state, tuple) and len(state) == 2:
            dict_state, slot_state = state
            if dict_state or slot_state:
                self.refuse_state(state, what)
        elif state:
            self.refuse_state(state, what)

    def refuse_state(self, state, what: str) -> None:
        raise NotImplementedError(
            f"{self.source}: holds a {what} with Python attributes {state!r}, which cnnlab "
            "tensors cannot carry"
        )

    def tensor_dtype(self, dtype: types.dtype) -> np.dtype:
        try:
            return types.to_numpy(dtype)
        except NotImplementedError as error:
            raise NotImplementedError(f"{self.source}: {error}") from None

    def view(self, storage, storage_offset, size, stride) -> np.ndarray:
        """The array ``storage[offset + sum(index * stride)]`` of shape ``size``, sharing memory
        with the storage; every index is checked to fall inside it."""
        if not isinstance(storage, LoadedStorage):
            raise CorruptFileError(f"{self.source}: a tensor without a storage record")
        shape, steps = self.check_shape(size, stride)
        offset = self.check_int(storage_offset, "storage offset")
        array = storage.array
        self.tensor_dtype(array.dtype)
        if 0 in shape:
            return np.empty(shape, array.dtype)
        last = offset + sum((n - 1) * step for n, step in zip(shape, steps, strict=True))
        if offset < 0 or last >= len(array):
            raise CorruptFileError(
                f"{self.source}: a tensor of size {list(shape)}, stride {list(steps)} and offset "
                f"{offset} does not fit storage {storage.key} of {len(array)} elements"
            )
        item = array.itemsize
        return np.lib.stride_tricks.as_strided(
            array[offset:], shape, tuple(step * item for step in steps)
        )

    def check_shape(self, size, stride) -> tuple[tuple[int, ...], tuple[int, ...]]:
        if not isinstance(size, tuple) or not isinstance(stride, tuple) or len(size) != len(stride):
            raise CorruptFileError(
                f"{self.source}: a tensor with size {size!r} and stride {stride!r}"
            )
        shape = tuple(self.check_int(n, "size") for n in size)
        steps = tuple(self.check_int(s, "stride") for s in stride)
        if any(n < 0 for n in shape) or any(s < 0 for s in steps):
            raise CorruptFileError(f"{self.source}: negative size or stride {size}, {stride}")
        return shape, steps

    def check_int(self, value, what: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise CorruptFileError(f"{self.source}: a tensor {what} is {value!r}, not an int")
        return value
