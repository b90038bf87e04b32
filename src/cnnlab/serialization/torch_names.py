"""PyTorch's names in a ``.pt`` pickle: storage classes, dtypes, and the rebuild functions.

``torch.save`` pickles a tensor as a call of ``torch._utils._rebuild_tensor_v2`` on a storage
(``torch.FloatStorage`` for float32, ...) and pickles a dtype as the global ``torch.float32``.
These tables give both directions: the names cnnlab writes, and what each name read stands for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# dtype name -> PyTorch's legacy storage class (the ``storage_type`` of a persistent id)
STORAGE_NAMES = {
    "float64": "DoubleStorage",
    "float32": "FloatStorage",
    "float16": "HalfStorage",
    "bfloat16": "BFloat16Storage",
    "int64": "LongStorage",
    "int32": "IntStorage",
    "int16": "ShortStorage",
    "int8": "CharStorage",
    "uint8": "ByteStorage",
    "bool": "BoolStorage",
    "complex128": "ComplexDoubleStorage",
    "complex64": "ComplexFloatStorage",
}
QUANTIZED_STORAGES = ("QInt8Storage", "QInt32Storage", "QUInt8Storage", "QUInt4x2Storage")
QUANTIZED_STORAGES += ("QUInt2x4Storage",)

# PyTorch dtypes cnnlab cannot hold, which a file may name (torch's weights_only allows them)
OTHER_TORCH_DTYPES = ("uint16", "uint32", "uint64", "complex32", "bits8", "bits16", "bits1x8")
OTHER_TORCH_DTYPES += ("bits2x4", "bits4x2", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz")
OTHER_TORCH_DTYPES += ("float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "qint8", "qint32")
OTHER_TORCH_DTYPES += ("quint8", "quint4x2", "quint2x4")
OTHER_TORCH_DTYPES += tuple(f"uint{bits}" for bits in range(1, 8))
OTHER_TORCH_DTYPES += tuple(f"int{bits}" for bits in range(1, 8))

# Rebuild functions torch's weights_only unpickler allows for tensor kinds cnnlab does not have
UNSUPPORTED_REBUILDS = {
    "torch._utils._rebuild_qtensor": "quantized tensors",
    "torch._utils._rebuild_sparse_tensor": "sparse tensors",
    "torch._utils._rebuild_meta_tensor_no_storage": "meta tensors",
    "torch._utils._rebuild_nested_tensor": "nested tensors",
    "torch._utils._rebuild_wrapper_subclass": "tensor subclasses",
    "torch._utils._rebuild_device_tensor_from_numpy": "device tensors rebuilt from NumPy",
    "torch._utils._rebuild_device_tensor_from_cpu_tensor": "device tensors rebuilt on the CPU",
    "torch.per_tensor_affine": "quantized tensors",
    "torch.per_tensor_symmetric": "quantized tensors",
    "torch.per_channel_affine": "quantized tensors",
    "torch.per_channel_symmetric": "quantized tensors",
    "torch.per_channel_affine_float_qparams": "quantized tensors",
}


@dataclass(frozen=True)
class StorageType:
    """A storage class named in a file: ``torch.FloatStorage`` holds float32 elements;
    ``torch.UntypedStorage`` holds bytes (``dtype_name`` ``'uint8'``)."""

    name: str
    dtype_name: str

    def numpy_dtype(self, source: str) -> np.dtype:
        """The little-endian NumPy dtype of the elements; bfloat16 has none."""
        if self.dtype_name == "bfloat16":
            raise NotImplementedError(
                f"{source}: holds bfloat16 tensors ({self.name}), which cnnlab does not support "
                "(NumPy has no bfloat16); convert them with .float() before torch.save"
            )
        return np.dtype(self.dtype_name).newbyteorder("<")


def storage_globals() -> dict[str, StorageType]:
    """``"torch.FloatStorage"`` (and the ``torch.cuda`` ones of old files) -> its StorageType."""
    found = {}
    for dtype_name, storage in STORAGE_NAMES.items():
        for module in ("torch", "torch.cuda"):
            found[f"{module}.{storage}"] = StorageType(storage, dtype_name)
    for name in ("torch.UntypedStorage", "torch.storage.UntypedStorage", "torch.ByteStorage"):
        found[name] = StorageType(name.rsplit(".", 1)[-1], "uint8")
    return found


def unsupported_name(full_name: str) -> str | None:
    """What a name that torch allows and cnnlab cannot load stands for, or ``None``."""
    if full_name in UNSUPPORTED_REBUILDS:
        return UNSUPPORTED_REBUILDS[full_name]
    module, _, name = full_name.rpartition(".")
    if module == "torch" and name in OTHER_TORCH_DTYPES:
        return f"the dtype torch.{name}"
    if module in ("torch", "torch.cuda") and name in QUANTIZED_STORAGES:
        return "quantized tensors"
    return None
