"""``Tensor``: a NumPy array that remembers how it was computed, with PyTorch's method names."""

from __future__ import annotations

from collections import namedtuple
from numbers import Number

import numpy as np

from cnnlab.autograd.grad_mode import _GradMode
from cnnlab.autograd.printing import format_tensor
from cnnlab.autograd.shaping import ShapeMethods, _axis, _unwrap
from cnnlab.autograd.size import Size
from cnnlab.autograd.types import default_dtype, is_floating, result_dtype

MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


class Tensor(ShapeMethods):
    """An n-dimensional array with an optional gradient.

    ``requires_grad`` leaves collect ``.grad`` when ``backward()`` runs on a result computed from
    them; ``grad_fn`` is the op that produced a non-leaf tensor.
    """

    __slots__ = ("__weakref__", "_data", "_retains_grad", "grad", "grad_fn", "requires_grad")

    def __init__(self, data=(), *, dtype=None, requires_grad: bool = False) -> None:
        self._data = _to_array(data, dtype)
        self.grad = None
        self.grad_fn = None
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, array: np.ndarray, requires_grad: bool = False) -> Tensor:
        """A tensor around ``array`` without copying or checking (internal constructor)."""
        t = object.__new__(Tensor)
        t._data = array
        t.grad = None
        t.grad_fn = None
        t._retains_grad = False
        t.requires_grad = requires_grad
        return t

    # ----- what it is
    @property
    def data(self) -> Tensor:
        """The same values, detached from the graph (shares memory)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value) -> None:
        self._data = _unwrap(value)

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def device(self) -> str:
        return "cpu"

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:
        return self.permute(*reversed(range(self.ndim)))

    def size(self, dim: int | None = None):
        return self.shape if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    # ----- conversions
    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on a Tensor that requires grad. Use tensor.detach().numpy()"
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self):
        if self._data.size != 1:
            raise ValueError(
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
        if self._data.ndim != 0 or not np.issubdtype(self._data.dtype, np.integer):
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self._data)

    def __hash__(self) -> int:
        return id(self)

    def to(self, dtype=None, *args, **kwargs) -> Tensor:
        """Cast to ``dtype`` (devices other than the CPU are not supported)."""
        if isinstance(dtype, str) and dtype == "cpu":
            return self
        return self.type(dtype) if dtype is not None else self

    def type(self, dtype) -> Tensor:
        dtype = np.dtype(dtype)
        if dtype == self._data.dtype:
            return self
        return ops.Cast.apply(self, dtype=dtype)

    def float(self) -> Tensor:
        return self.type(np.float32)

    def double(self) -> Tensor:
        return self.type(np.float64)

    def long(self) -> Tensor:
        return self.type(np.int64)

    def int(self) -> Tensor:
        return self.type(np.int32)

    def bool(self) -> Tensor:
        return self.type(np.bool_)

    def cpu(self) -> Tensor:
        return self

    def contiguous(self) -> Tensor:
        return self

    # ----- autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and not is_floating(self._data.dtype):
            raise TypeError(
                f"only tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        self._retains_grad = True

    def detach(self) -> Tensor:
        return Tensor._wrap(self._data)

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self.requires_grad = False
        return self

    def clone(self) -> Tensor:
        return ops.Clone.apply(self)

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires it."""
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            grad = np.ones_like(self._data)
        else:
            grad = np.asarray(_unwrap(gradient), dtype=self._data.dtype)
            if grad.shape != self._data.shape:
                raise ValueError(
                    f"backward: gradient has shape {grad.shape} but the tensor has shape "
                    f"{self._data.shape}"
                )
        run_backward(self, grad, retain_graph)

    def _accumulate_grad(self, grad: np.ndarray) -> None:
        if self.grad is None:
            self.grad = Tensor._wrap(np.array(grad, dtype=self._data.dtype, copy=True))
        else:
            self.grad._data = self.grad._data + grad

    # ----- in-place updates of values (outside the graph)
    def zero_(self) -> Tensor:
        self._data[...] = 0
        return self

    def fill_(self, value) -> Tensor:
        self._data[...] = _unwrap(value)
        return self

    def copy_(self, source) -> Tensor:
        self._data[...] = _unwrap(source)
        return self

    def add_(self, other, alpha=1) -> Tensor:
        self._data += alpha * _unwrap(other)
        return self

    def mul_(self, other) -> Tensor:
        self._data *= _unwrap(other)
        return self

    def _update(self, other, ufunc) -> Tensor:
        """``self op= other`` on the values, e.g. a manual SGD step under ``no_grad``."""
        if self.requires_grad and _GradMode.enabled:
            raise RuntimeError(
                "a tensor that requires grad is being used in an in-place operation; "
                "update it inside `with cnnlab.no_grad():`"
            )
        ufunc(self._data, _unwrap(other), out=self._data, casting="same_kind")
        return self

    def __iadd__(self, other):
        return self._update(other, np.add)

    def __isub__(self, other):
        return self._update(other, np.subtract)

    def __imul__(self, other):
        return self._update(other, np.multiply)

    def __itruediv__(self, other):
        return self._update(other, np.true_divide)

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Tensor:
        self._data[...] = random.generator().uniform(a, b, self._data.shape)
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        self._data[...] = random.generator().normal(mean, std, self._data.shape)
        return self

    # ----- arithmetic (broadcasting, as NumPy and PyTorch)
    def __add__(self, other):
        return ops.Add.apply(self, _operand(other, self))

    def __radd__(self, other):
        return ops.Add.apply(_operand(other, self), self)

    def __sub__(self, other):
        return ops.Sub.apply(self, _operand(other, self))

    def __rsub__(self, other):
        return ops.Sub.apply(_operand(other, self), self)

    def __mul__(self, other):
        return ops.Mul.apply(self, _operand(other, self))

    def __rmul__(self, other):
        return ops.Mul.apply(_operand(other, self), self)

    def __truediv__(self, other):
        return ops.Div.apply(self, _operand(other, self))

    def __rtruediv__(self, other):
        return ops.Div.apply(_operand(other, self), self)

    def __neg__(self):
        return ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        if isinstance(exponent, Tensor):
            return ops.PowTensor.apply(self, exponent)
        return ops.Pow.apply(_floated(self, exponent), exponent=exponent)

    def __rpow__(self, base):
        return ops.PowTensor.apply(_operand(base, self), self)

    def __matmul__(self, other):
        return ops.MatMul.apply(self, other)

    def __rmatmul__(self, other):
        return ops.MatMul.apply(_operand(other, self), self)

    def __abs__(self):
        return self.abs()

    add, sub, mul, div, matmul, neg = __add__, __sub__, __mul__, __truediv__, __matmul__, __neg__
    multiply, subtract, divide = mul, sub, div

    def pow(self, exponent):
        return self**exponent

    # ----- comparisons (no gradient)
    def _compare(self, other, op) -> Tensor:
        return Tensor._wrap(np.asarray(op(self._data, _unwrap(other))))

    def __eq__(self, other):  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other):  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __and__(self, other):
        return self._compare(other, np.logical_and)

    def __or__(self, other):
        return self._compare(other, np.logical_or)

    def __invert__(self):
        return Tensor._wrap(np.logical_not(self._data))

    def equal(self, other) -> bool:
        return self.shape == other.shape and bool(np.array_equal(self._data, _unwrap(other)))

    # ----- elementwise functions
    def exp(self):
        return ops.Exp.apply(self)

    def log(self):
        return ops.Log.apply(self)

    def sqrt(self):
        return ops.Sqrt.apply(self)

    def abs(self):
        return ops.Abs.apply(self)

    def tanh(self):
        return ops.Tanh.apply(self)

    def sigmoid(self):
        return ops.Sigmoid.apply(self)

    def relu(self):
        return ops.ReLU.apply(self)

    def clamp(self, min=None, max=None):
        low, high = _unwrap(min), _unwrap(max)
        source = _floated(_floated(self, low), high)
        return ops.Clamp.apply(source, low=low, high=high)

    clip = clamp

    def softmax(self, dim: int):
        return ops.Softmax.apply(_floating(self, "softmax"), dim=_axis(dim, self.ndim))

    def log_softmax(self, dim: int):
        return ops.LogSoftmax.apply(_floating(self, "log_softmax"), dim=_axis(dim, self.ndim))

    # ----- reductions
    def sum(self, dim=None, keepdim: bool = False, dtype=None):
        source = self if dtype is None else self.type(dtype)
        if not is_floating(source.dtype) and dtype is None:
            return Tensor._wrap(np.asarray(self._data.sum(axis=dim, keepdims=keepdim), np.int64))
        return ops.Sum.apply(source, dim=dim, keepdim=keepdim)

    def mean(self, dim=None, keepdim: bool = False, dtype=None):
        source = self if dtype is None else self.type(dtype)
        if not is_floating(source.dtype):
            raise TypeError(f"mean(): expected a floating point tensor, got {source.dtype}")
        return ops.Mean.apply(source, dim=dim, keepdim=keepdim)

    def max(self, dim=None, keepdim: bool = False):
        """The largest value; along ``dim``, the values and their (first) indices."""
        if isinstance(dim, Tensor):
            return ops.Maximum.apply(self, dim)
        if dim is None:
            return ops.AMax.apply(self)
        return MaxResult(*self._take_extreme(dim, keepdim, np.argmax))

    def min(self, dim=None, keepdim: bool = False):
        """The smallest value; along ``dim``, the values and their (first) indices."""
        if isinstance(dim, Tensor):
            return ops.Maximum.apply(self, dim, smallest=True)
        if dim is None:
            return ops.AMax.apply(self, smallest=True)
        return MinResult(*self._take_extreme(dim, keepdim, np.argmin))

    def _take_extreme(self, dim: int, keepdim: bool, find) -> tuple[Tensor, Tensor]:
        dim = _axis(dim, self.ndim)
        if self.ndim == 0:  # a 0-d tensor is its own maximum, at index 0
            return self.clone(), Tensor._wrap(np.asarray(0, dtype=np.int64))
        index = np.expand_dims(find(self._data, axis=dim), dim)
        values = ops.TakeAlong.apply(self, index=index, dim=dim)
        if not keepdim:
            values = values.squeeze(dim)
            index = index.squeeze(dim)
        return values, Tensor._wrap(index.astype(np.int64, copy=False))

    def argmax(self, dim=None, keepdim: bool = False) -> Tensor:
        return Tensor._wrap(_arg_reduce(self._data, dim, keepdim, np.argmax))

    def argmin(self, dim=None, keepdim: bool = False) -> Tensor:
        return Tensor._wrap(_arg_reduce(self._data, dim, keepdim, np.argmin))

    # ----- printing
    def __repr__(self) -> str:
        return format_tensor(self)


# ----- helpers
def _to_array(data, dtype) -> np.ndarray:
    """Copy ``data`` into a fresh array; Python floats become the default float dtype."""
    if isinstance(data, Tensor):
        data = data._data
    if dtype is not None:
        return np.array(data, dtype=np.dtype(dtype))
    array = np.array(data)
    if array.dtype == np.float64 and not isinstance(data, np.ndarray | np.floating):
        return array.astype(default_dtype())
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(f"tensor: could not make a numeric tensor from {type(data).__name__}")
    return array


def _floating(t: Tensor, name: str) -> Tensor:
    if not is_floating(t._data.dtype):
        raise TypeError(f"{name}: expected a floating point tensor, got dtype {t.dtype}")
    return t


def _floated(t: Tensor, value) -> Tensor:
    """``t`` as the default float dtype when a float ``value`` meets an integer tensor."""
    floating = isinstance(value, float | np.floating) or (
        isinstance(value, np.ndarray) and is_floating(value.dtype)
    )
    if floating and not is_floating(t._data.dtype):
        return t.type(default_dtype())
    return t


def _operand(value, like: Tensor) -> Tensor:
    """Turn a Python number or array into a constant tensor of the dtype PyTorch would pick."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, Number | np.number | bool):
        return Tensor._wrap(np.asarray(value, dtype=result_dtype(like._data.dtype, value)))
    return Tensor._wrap(np.asarray(value))


def _arg_reduce(data: np.ndarray, dim, keepdim: bool, find) -> np.ndarray:
    if dim is None:
        return np.asarray(find(data), dtype=np.int64)
    index = find(data, axis=dim).astype(np.int64)
    return np.expand_dims(index, dim) if keepdim else index


from cnnlab.autograd import math_ops as ops  # noqa: E402  (the two modules refer to each other)
from cnnlab.autograd import random  # noqa: E402
from cnnlab.autograd.function import run_backward  # noqa: E402
