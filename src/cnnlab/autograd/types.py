"""The dtypes a tensor can have and the promotion rules PyTorch applies to them.

``cnnlab.float32`` and its kin are ``dtype`` objects, as ``torch.float32`` is a ``torch.dtype``:
they print as ``cnnlab.float32``, answer ``is_floating_point``, and compare equal to the NumPy
dtype they stand for, which NumPy accepts anywhere (``np.zeros(3, cnnlab.float32)``). Tensors
compute in float32, float64 and the integer and bool types; float16, bfloat16 and complex
dtypes exist by name but a tensor of them raises ``NotImplementedError``.
"""

from __future__ import annotations

from numbers import Number

import numpy as np

_SCALAR_NAMES = {
    "float32": "Float",
    "float64": "Double",
    "float16": "Half",
    "bfloat16": "BFloat16",
    "int64": "Long",
    "int32": "Int",
    "int16": "Short",
    "int8": "Char",
    "uint8": "Byte",
    "bool": "Bool",
    "complex64": "ComplexFloat",
    "complex128": "ComplexDouble",
}


class dtype:
    """An element type: ``cnnlab.float32``, ``cnnlab.int64``, ``cnnlab.bool``, ..."""

    __slots__ = ("dtype", "name")

    def __init__(self, name: str, numpy_dtype: np.dtype) -> None:
        self.name = name
        self.dtype = numpy_dtype  # the attribute NumPy reads when given this object as a dtype

    @property
    def is_floating_point(self) -> bool:
        return self.name in ("float16", "bfloat16", "float32", "float64")

    @property
    def is_complex(self) -> bool:
        return self.name.startswith("complex")

    @property
    def is_signed(self) -> bool:
        return self.name not in ("uint8", "bool")

    @property
    def itemsize(self) -> int:
        return 2 if self.name == "bfloat16" else self.dtype.itemsize

    def __getattr__(self, name: str):
        # the rest of NumPy's dtype (kind, char, type, ...), for code written against NumPy
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dtype, name)

    def __eq__(self, other) -> bool:
        if isinstance(other, dtype):
            return self is other or self.name == other.name
        try:
            return self.name != "bfloat16" and self.dtype == np.dtype(other)
        except (TypeError, ValueError, NotImplementedError):
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.name) if self.name == "bfloat16" else hash(self.dtype)

    def __repr__(self) -> str:
        return f"cnnlab.{self.name}"

    def __str__(self) -> str:
        # the bare name, as NumPy's dtypes print, for messages such as "got dtype int64"
        return self.name

    def __reduce__(self):
        return (_named, (self.name,))


class _NoNumPyDtype(dtype):
    """bfloat16: PyTorch has it, NumPy does not."""

    __slots__ = ()

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def dtype(self):  # type: ignore[override]
        raise NotImplementedError(f"cnnlab has no {self.name} tensors (NumPy has no {self.name})")


float32 = dtype("float32", np.dtype(np.float32))
float64 = dtype("float64", np.dtype(np.float64))
float16 = dtype("float16", np.dtype(np.float16))
bfloat16 = _NoNumPyDtype("bfloat16")
complex64 = dtype("complex64", np.dtype(np.complex64))
complex128 = dtype("complex128", np.dtype(np.complex128))
int64 = dtype("int64", np.dtype(np.int64))
int32 = dtype("int32", np.dtype(np.int32))
int16 = dtype("int16", np.dtype(np.int16))
int8 = dtype("int8", np.dtype(np.int8))
uint8 = dtype("uint8", np.dtype(np.uint8))
bool_ = dtype("bool", np.dtype(np.bool_))

_ALL = (float32, float64, float16, bfloat16, complex64, complex128)
_ALL += (int64, int32, int16, int8, uint8, bool_)
_BY_NAME = {d.name: d for d in _ALL}
_COMPUTED = (float32, float64, int64, int32, int16, int8, uint8, bool_)
_BY_NUMPY = {d.dtype: d for d in _COMPUTED}
_BY_NUMPY_NAMES = {d.name for d in _COMPUTED}


def _named(name: str) -> dtype:
    return _BY_NAME[name]


def as_dtype(numpy_dtype: np.dtype) -> dtype:
    """The ``dtype`` of a tensor holding an array of ``numpy_dtype``."""
    found = _BY_NUMPY.get(numpy_dtype)
    return found if found is not None else _BY_NUMPY[to_numpy(numpy_dtype)]


def to_numpy(value) -> np.dtype:
    """The NumPy dtype for ``value`` (a ``dtype``, a NumPy dtype or type, ``float``, ``int``,
    ``bool``); ``NotImplementedError`` for the dtypes tensors cannot hold."""
    if isinstance(value, dtype) and value.name in _BY_NUMPY_NAMES:
        return value.dtype
    try:
        numpy_dtype = np.dtype(value)
    except TypeError:
        raise TypeError(
            f"dtype must be a cnnlab dtype such as cnnlab.float32, got {value!r}"
        ) from None
    if numpy_dtype.isnative and numpy_dtype in _BY_NUMPY:
        return _BY_NUMPY[numpy_dtype].dtype
    if numpy_dtype.newbyteorder("=") in _BY_NUMPY:
        return numpy_dtype.newbyteorder("=")
    raise NotImplementedError(
        f"cnnlab tensors are float32, float64, integer or bool; {numpy_dtype} tensors are not "
        "supported"
    )


def torch_scalar_name(numpy_dtype: np.dtype) -> str:
    """PyTorch's name of an element type in messages: ``Float``, ``Long``, ``Bool``, ..."""
    return _SCALAR_NAMES.get(np.dtype(numpy_dtype).name, np.dtype(numpy_dtype).name)


def tensor_type_name(numpy_dtype: np.dtype) -> str:
    """``Tensor.type()``: ``'torch.FloatTensor'``, ``'torch.LongTensor'``, ... as PyTorch
    spells them, since programs compare against these strings."""
    return f"torch.{torch_scalar_name(numpy_dtype)}Tensor"


def from_type_name(name: str) -> np.dtype:
    """The dtype of a ``Tensor.type('torch.FloatTensor')`` argument."""
    stem = name.rsplit(".", 1)[-1].removesuffix("Tensor")
    for dtype_name, scalar in _SCALAR_NAMES.items():
        if scalar == stem:
            return to_numpy(_BY_NAME[dtype_name])
    raise ValueError(f"type: unknown tensor type {name!r} (expected e.g. 'torch.FloatTensor')")


class _Default:
    dtype = np.dtype(np.float32)


def default_dtype() -> np.dtype:
    """The dtype Python floats become: float32, as in PyTorch, unless set otherwise."""
    return _Default.dtype


def get_default_dtype() -> dtype:
    """``torch.get_default_dtype``: the dtype of new floating point tensors."""
    return as_dtype(_Default.dtype)


def set_default_dtype(d) -> None:
    """``torch.set_default_dtype``: float32 or float64 for new floating point tensors."""
    numpy_dtype = to_numpy(d)
    if numpy_dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating point dtypes are supported, got {d}")
    _Default.dtype = numpy_dtype


def dtype_name(numpy_dtype: np.dtype) -> str:
    return np.dtype(numpy_dtype).name


def is_floating(numpy_dtype: np.dtype) -> bool:
    return np.dtype(numpy_dtype).kind == "f"


def result_dtype(tensor_dtype: np.dtype, scalar: Number) -> np.dtype:
    """Dtype of ``tensor op scalar``: the tensor's, unless a float meets an integer tensor."""
    if is_floating(tensor_dtype):
        return tensor_dtype
    if isinstance(scalar, float | np.floating):
        return default_dtype()
    if np.dtype(tensor_dtype) == np.bool_ and not isinstance(scalar, bool | np.bool_):
        return np.dtype(np.int64)
    return tensor_dtype


def _category(numpy_dtype: np.dtype) -> int:
    """bool < integer < floating point: a higher category decides the result's kind."""
    return 0 if numpy_dtype == np.bool_ else 2 if is_floating(numpy_dtype) else 1


def promote(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """Dtype of ``tensor op tensor``, by PyTorch's rule: the higher category wins (a float
    meeting an integer keeps its own width); within one category a tensor with dimensions
    outranks a 0-d one, so ``float32 tensor * 0-d float64 tensor`` stays float32."""
    if _category(a.dtype) != _category(b.dtype):
        return a.dtype if _category(a.dtype) > _category(b.dtype) else b.dtype
    if (a.ndim == 0) != (b.ndim == 0):
        return b.dtype if a.ndim == 0 else a.dtype
    return np.promote_types(a.dtype, b.dtype)


class finfo:
    """``torch.finfo``: the limits of a floating point dtype (``eps``, ``max``, ``min``,
    ``tiny``, ``smallest_normal``, ``resolution``, ``bits``)."""

    def __init__(self, type=None) -> None:
        info = np.finfo(np.dtype(type) if type is not None else _Default.dtype)
        self.bits, self.eps, self.resolution = info.bits, float(info.eps), float(info.resolution)
        self.max, self.min = float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.dtype = info.dtype.name


class iinfo:
    """``torch.iinfo``: the limits of an integer dtype (``max``, ``min``, ``bits``)."""

    def __init__(self, type) -> None:
        info = np.iinfo(np.dtype(type))
        self.bits, self.max, self.min = info.bits, int(info.max), int(info.min)
        self.dtype = info.dtype.name
