"""Making tensors: from data, filled, ranges and ``*_like`` (random ones: ``sampling``; joined
ones: ``joining``).

Every factory takes PyTorch's keywords (``Options``): the shape as separate ints, one tuple or
``size=``; ``dtype=``; ``device=`` (the CPU only); ``requires_grad=``; ``generator=`` for random
ones; ``layout``, ``memory_format`` and ``pin_memory`` are accepted; ``out=`` is not available.
"""

from __future__ import annotations

import numpy as np

from cnnlab.autograd import random
from cnnlab.autograd.devices import check_device
from cnnlab.autograd.shaping import _sizes
from cnnlab.autograd.tensor import Tensor, _to_array
from cnnlab.autograd.types import default_dtype, to_numpy


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays, tensors);
    Python floats become float32, ints int64, bools bool."""
    check_device(device, "tensor")
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor`, but shares memory with a tensor or NumPy array of the right dtype."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None else data.type(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or to_numpy(dtype) == data.dtype):
        return from_numpy(data)
    return Tensor._wrap(_to_array(data, dtype))


asarray = as_tensor


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array``, keeping its dtype."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    native = to_numpy(array.dtype)
    return Tensor._wrap(array if native == array.dtype else array.astype(native))


KEYWORDS = {"dtype", "device", "requires_grad", "generator", "size", "out", "layout"}
KEYWORDS |= {"memory_format", "pin_memory"}


class Options:
    """The keywords of a factory called ``name``, checked: ``dtype`` (a NumPy dtype, or
    ``default`` when not given), ``requires_grad``, ``generator`` (a NumPy generator)."""

    def __init__(self, name: str, options: dict, default=None) -> None:
        unknown = sorted(set(options) - KEYWORDS)
        if unknown:
            raise TypeError(f"{name}() got an unexpected keyword argument {unknown[0]!r}")
        if options.get("out") is not None:
            raise NotImplementedError(f"{name}(out=...): results are always new tensors")
        check_device(options.get("device"), name)
        self.name = name
        dtype = options.get("dtype")
        if dtype is not None:
            self.dtype = to_numpy(dtype)
        else:
            self.dtype = default_dtype() if default is None else default
        self.requires_grad = bool(options.get("requires_grad", False))
        self.generator = random.generator(options.get("generator"))
        self.size = options.get("size")

    def shape(self, size: tuple) -> tuple[int, ...]:
        """The shape from ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``."""
        if self.size is not None:
            if size:
                raise TypeError(f"{self.name}() got the shape both as arguments and as size=")
            size = (self.size,)
        try:
            return _sizes(size)
        except TypeError:
            raise TypeError(
                f"{self.name}(): size must be ints or one tuple of ints, got {size}"
            ) from None

    def floating(self) -> Options:
        """Refuse an integer or bool dtype, as PyTorch's samplers of real numbers do."""
        if self.dtype.kind != "f":
            raise NotImplementedError(
                f"{self.name}(dtype={np.dtype(self.dtype).name}): samples of real numbers need a "
                "floating point dtype (PyTorch has no such kernel either)"
            )
        return self

    def make(self, values) -> Tensor:
        """A new tensor of ``values`` converted to the dtype."""
        t = Tensor._wrap(np.asarray(values).astype(self.dtype, copy=False))
        return t.requires_grad_(True) if self.requires_grad else t


def zeros(*size, **options) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros(size=(2, 3))``."""
    o = Options("zeros", options)
    return o.make(np.zeros(o.shape(size), o.dtype))


def ones(*size, **options) -> Tensor:
    """A tensor of ones."""
    o = Options("ones", options)
    return o.make(np.ones(o.shape(size), o.dtype))


def empty(*size, **options) -> Tensor:
    """A tensor to be filled (zeros here: NumPy memory is not left uninitialized)."""
    o = Options("empty", options)
    return o.make(np.zeros(o.shape(size), o.dtype))


def full(size, fill_value, **options) -> Tensor:
    """A tensor of ``fill_value``; its dtype follows the value (bool, int64, float32), as in
    PyTorch."""
    o = Options("full", options, default=Tensor(fill_value)._data.dtype)
    return o.make(np.full(_sizes((size,)), fill_value, o.dtype))


def eye(n: int, m: int | None = None, **options) -> Tensor:
    """The ``n`` x ``m`` identity (ones on the diagonal)."""
    o = Options("eye", options)
    return o.make(np.eye(n, m, dtype=o.dtype))


def arange(start=0, end=None, step=1, **options) -> Tensor:
    """``start, start + step, ...`` below ``end``; int64 unless a bound or the step is a float."""
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    floating = any(isinstance(v, float | np.floating) for v in (start, end, step))
    o = Options("arange", options, default=None if floating else np.dtype(np.int64))
    return o.make(np.arange(start, end, step))


def linspace(start, end, steps: int, **options) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    return Options("linspace", options).make(np.linspace(float(start), float(end), int(steps)))


def logspace(start, end, steps: int, base: float = 10.0, **options) -> Tensor:
    """``base ** linspace(start, end, steps)``."""
    values = np.logspace(float(start), float(end), int(steps), base=base)
    return Options("logspace", options).make(values)


def _like(name: str, input: Tensor, options: dict, make) -> Tensor:
    """A new tensor of ``input``'s shape (and dtype, unless given): ``make(options, shape)``."""
    o = Options(name, options, default=input._data.dtype)
    return o.make(make(o, input._data.shape))


def zeros_like(input: Tensor, **options) -> Tensor:
    return _like("zeros_like", input, options, lambda o, shape: np.zeros(shape, o.dtype))


def ones_like(input: Tensor, **options) -> Tensor:
    return _like("ones_like", input, options, lambda o, shape: np.ones(shape, o.dtype))


def empty_like(input: Tensor, **options) -> Tensor:
    return _like("empty_like", input, options, lambda o, shape: np.zeros(shape, o.dtype))


def full_like(input: Tensor, fill_value, **options) -> Tensor:
    return _like("full_like", input, options, lambda o, shape: np.full(shape, fill_value, o.dtype))
