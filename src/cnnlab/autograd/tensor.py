"""``Tensor``: a NumPy array that remembers how it was computed, with PyTorch's method names.

The class is assembled from one mixin per concern: ``shaping`` (views, reshapes, indexing,
splitting), ``arithmetic`` (operators and elementwise functions), ``comparison``,
``reductions`` (sums, extremes, sorting), ``selection`` (gather, scatter, masks, ``new_*``),
``conversion`` (to NumPy, Python and other dtypes) and ``inplace_methods`` (every ``*_``
method, through ``Tensor._apply_inplace``, see ``inplace``). This module holds what a tensor
is, its attributes, and its part in autograd.
"""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.arithmetic import ArithmeticMethods
from cnnlab.autograd.comparison import ComparisonMethods
from cnnlab.autograd.conversion import ConversionMethods
from cnnlab.autograd.errors import RuntimeTypeError, missing
from cnnlab.autograd.inplace_methods import InplaceMethods
from cnnlab.autograd.printing import format_tensor
from cnnlab.autograd.reductions import ReductionMethods
from cnnlab.autograd.selection import SelectionMethods
from cnnlab.autograd.shaping import ShapeMethods, _axis, _unwrap
from cnnlab.autograd.size import Size
from cnnlab.autograd.types import (
    as_dtype,
    default_dtype,
    is_floating,
    to_numpy,
)
from cnnlab.autograd.versions import state, version


class Tensor(
    ShapeMethods,
    ArithmeticMethods,
    ComparisonMethods,
    ReductionMethods,
    SelectionMethods,
    InplaceMethods,
    ConversionMethods,
):
    """An n-dimensional array with an optional gradient.

    ``requires_grad`` leaves collect ``.grad`` when ``backward()`` runs on a result computed from
    them; ``grad_fn`` is the op that produced a non-leaf tensor.
    """

    __slots__ = ("__weakref__", "_data", "_meta", "_retains_grad", "grad", "grad_fn")
    __slots__ += ("requires_grad",)

    def __init__(self, data=(), *, dtype=None, requires_grad: bool = False) -> None:
        self._data = _to_array(data, dtype)
        self.grad = None
        self.grad_fn = None
        self._retains_grad = False
        self._meta = None
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
        t._meta = None
        t.requires_grad = requires_grad
        return t

    # ----- what it is
    @property
    def data(self) -> Tensor:
        """The same values, detached from the graph (shares memory; changes made through it are
        not seen by autograd's version checks, as in PyTorch)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value) -> None:
        self._data = _unwrap(value)

    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def dtype(self):
        return as_dtype(self._data.dtype)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def device(self):
        from cnnlab.autograd.devices import CPU

        return CPU

    is_cuda = is_sparse = is_quantized = is_meta = is_mps = False

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def _version(self) -> int:
        """How many times the memory of this tensor was changed in place."""
        return version(self)

    @property
    def T(self) -> Tensor:
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:
        return self.transpose(-2, -1)

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def element_size(self) -> int:
        return self._data.itemsize

    def size(self, dim: int | None = None):
        """The shape, or the length of dimension ``dim``."""
        if dim is None:
            return self.shape
        return self._data.shape[_axis(dim, self._data.ndim)]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def contiguous(self, memory_format=None) -> Tensor:
        return self

    def is_floating_point(self) -> bool:
        return is_floating(self._data.dtype)

    def is_complex(self) -> bool:
        return False

    def data_ptr(self) -> int:
        return int(self._data.__array_interface__["data"][0])

    def get_device(self) -> int:
        return -1

    # ----- autograd
    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and not is_floating(self._data.dtype):
            raise RuntimeTypeError(
                f"only tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def detach(self) -> Tensor:
        """The same memory, outside the graph (changes to it are seen by version checks)."""
        return inplace.alias(self)

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self.requires_grad = False
        return self

    def clone(self, memory_format=None) -> Tensor:
        return ops.Clone.apply(self)

    def backward(
        self,
        gradient=None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs=None,
    ) -> None:
        """Accumulate d(self)/d(leaf) into the ``.grad`` of every leaf that requires it."""
        if create_graph:
            raise NotImplementedError("backward(create_graph=True): higher-order gradients")
        if inputs is not None:
            raise NotImplementedError("backward(inputs=...)")
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
        run_backward(self, grad, bool(retain_graph))

    def register_hook(self, hook):
        """Call ``hook(grad)`` with this tensor's gradient during backward; a tensor it returns
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            if self.grad_fn.hooks is None:
                self.grad_fn.hooks = []
            hooks = self.grad_fn.hooks
        else:
            meta = state(self)
            if meta.hooks is None:
                meta.hooks = []
            hooks = meta.hooks
            LeafGradients.active = True
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def _accumulate_grad(self, grad: np.ndarray) -> None:
        if self.grad is None:
            self.grad = Tensor._wrap(np.array(grad, dtype=self._data.dtype, copy=True))
        else:
            self.grad._data = self.grad._data + grad

    def _apply_inplace(self, compute, *operands) -> Tensor:
        """Change this tensor to ``compute(source)`` in place, ``source`` standing for its old
        value (see ``cnnlab.autograd.inplace``); ``operands``: the other tensors ``compute``
        uses."""
        return inplace.apply_inplace(self, compute, *operands)

    def __deepcopy__(self, memo) -> Tensor:
        if not self.is_leaf:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment"
            )
        copy = object.__new__(type(self))
        copy._data = self._data.copy()
        copy.grad = None if self.grad is None else Tensor._wrap(self.grad._data.copy())
        copy.grad_fn, copy._retains_grad, copy._meta = None, False, None
        copy.requires_grad = self.requires_grad
        memo[id(self)] = copy
        return copy

    def __getattr__(self, name: str):
        # only reached when nothing of that name exists: a PyTorch method cnnlab lacks
        missing(name, "Tensor")

    # ----- printing
    def __repr__(self) -> str:
        return format_tensor(self)


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` takes the hook out again."""

    def __init__(self, hooks: list, hook) -> None:
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


# ----- helpers
def _to_array(data, dtype) -> np.ndarray:
    """Copy ``data`` into a fresh array; Python floats become the default float dtype."""
    if isinstance(data, Tensor):
        data = data._data
    elif isinstance(data, list | tuple) and any(isinstance(v, Tensor) for v in data):
        data = [_to_array(v, None) if isinstance(v, Tensor | list | tuple) else v for v in data]
    if dtype is not None:
        return np.array(data, dtype=to_numpy(dtype))
    array = np.array(data)
    if array.dtype == np.float64 and not isinstance(data, np.ndarray | np.floating):
        return array.astype(default_dtype())
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(f"tensor: could not make a numeric tensor from {type(data).__name__}")
    return array.astype(to_numpy(array.dtype), copy=False)


from cnnlab.autograd import inplace  # noqa: E402  (these modules refer to Tensor)
from cnnlab.autograd import math_ops as ops  # noqa: E402
from cnnlab.autograd.function import LeafGradients, run_backward  # noqa: E402
