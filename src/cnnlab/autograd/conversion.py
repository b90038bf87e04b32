"""Conversions of ``Tensor``: to NumPy and Python values (``numpy``, ``item``, ``tolist``,
``int(t)``, ``f"{t:.3f}"``, use as an index), to other dtypes (``to``, ``type``, ``float``,
``long``, ...), and to devices (the CPU only)."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd import types
from cnnlab.autograd.devices import check_device
from cnnlab.autograd.errors import RuntimeValueError
from cnnlab.autograd.types import dtype as cnnlab_dtype
from cnnlab.autograd.types import from_type_name, tensor_type_name, to_numpy


class ConversionMethods:
    """Mixed into ``Tensor``."""

    __slots__ = ()

    def numpy(self, force: bool = False) -> np.ndarray:
        if self.requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on a Tensor that requires grad. Use tensor.detach().numpy()"
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self):
        if self._data.size != 1:
            raise RuntimeValueError(
                f"item(): only a tensor with one element can be converted to a Python scalar, "
                f"got shape {tuple(self._data.shape)}"
            )
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(shape {tuple(self._data.shape)})"
            )
        return bool(self.item())

    def __index__(self) -> int:
        if self._data.size != 1 or self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``; only the CPU
        exists, so a device other than ``'cpu'`` is an error."""
        kwargs.pop("non_blocking", None)
        kwargs.pop("copy", None)
        kwargs.pop("memory_format", None)
        target = kwargs.pop("dtype", None)
        for arg in (*args, kwargs.pop("device", None), kwargs.pop("other", None)):
            if isinstance(arg, ConversionMethods):
                target = arg._data.dtype
            elif arg is not None and not isinstance(arg, bool) and _is_dtype(arg):
                target = arg
            elif arg is not None and not isinstance(arg, bool):
                check_device(arg, "to")
        if kwargs:
            raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
        return self if target is None else self.type(target)

    def type(self, dtype=None, non_blocking: bool = False):
        """Without an argument: PyTorch's type string (``'torch.FloatTensor'``); with a dtype (or
        such a string, or a legacy type such as ``LongTensor``): the tensor converted to it."""
        dtype = getattr(dtype, "tensor_dtype", dtype)
        if dtype is None:
            return tensor_type_name(self._data.dtype)
        target = from_type_name(dtype) if isinstance(dtype, str) else to_numpy(dtype)
        if target == self._data.dtype:
            return self
        return ops.Cast.apply(self, dtype=target)

    def type_as(self, other):
        return self.type(other._data.dtype)

    def cpu(self, memory_format=None):
        return self

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None):
        check_device("cuda" if device is None else device, "cuda")
        return self

    def pin_memory(self):
        return self

    def share_memory_(self):
        return self


def converter(dtype_name: str):
    """``t.float()``, ``t.long()``, ...: ``t`` as that dtype (the same tensor if it is)."""

    def method(self, memory_format=None):
        return self.type(getattr(types, dtype_name))

    method.__doc__ = f"The tensor as {dtype_name}."
    return method


CONVERTERS = {
    "float": "float32",
    "double": "float64",
    "half": "float16",
    "bfloat16": "bfloat16",
    "long": "int64",
    "int": "int32",
    "short": "int16",
    "char": "int8",
    "byte": "uint8",
    "bool": "bool_",
}
for _method, _dtype in CONVERTERS.items():
    setattr(ConversionMethods, _method, converter(_dtype))


def _is_dtype(value) -> bool:
    return isinstance(value, cnnlab_dtype | np.dtype) or (
        isinstance(value, type) and issubclass(value, np.generic | float | int)
    )


from cnnlab.autograd import math_ops as ops  # noqa: E402  (math_ops needs Tensor)
