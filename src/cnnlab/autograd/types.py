"""The dtypes a tensor can have and the promotion rules PyTorch applies to them."""

from __future__ import annotations

from numbers import Number

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

_NAMES = {float32: "float32", float64: "float64", int64: "int64", int32: "int32", uint8: "uint8"}


def default_dtype() -> np.dtype:
    """The dtype Python floats become: float32, as in PyTorch."""
    return float32


def dtype_name(dtype: np.dtype) -> str:
    return _NAMES.get(np.dtype(dtype), np.dtype(dtype).name)


def is_floating(dtype: np.dtype) -> bool:
    return np.dtype(dtype).kind == "f"


def result_dtype(tensor_dtype: np.dtype, scalar: Number) -> np.dtype:
    """Dtype of ``tensor op scalar``: the tensor's, unless a float meets an integer tensor."""
    if is_floating(tensor_dtype):
        return tensor_dtype
    if isinstance(scalar, float | np.floating):
        return default_dtype()
    if np.dtype(tensor_dtype) == bool_ and not isinstance(scalar, bool | np.bool_):
        return int64
    return tensor_dtype


def _category(dtype: np.dtype) -> int:
    """bool < integer < floating point: a higher category decides the result's kind."""
    return 0 if dtype == bool_ else 2 if is_floating(dtype) else 1


def promote(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """Dtype of ``tensor op tensor``, by PyTorch's rule: the higher category wins (a float
    meeting an integer keeps its own width); within one category a tensor with dimensions
    outranks a 0-d one, so ``float32 tensor * 0-d float64 tensor`` stays float32."""
    if _category(a.dtype) != _category(b.dtype):
        return a.dtype if _category(a.dtype) > _category(b.dtype) else b.dtype
    if (a.ndim == 0) != (b.ndim == 0):
        return b.dtype if a.ndim == 0 else a.dtype
    return np.promote_types(a.dtype, b.dtype)
