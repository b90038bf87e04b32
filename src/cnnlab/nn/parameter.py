"""``Parameter``, and the placeholders a lazy module holds until its first call
(``UninitializedParameter``, ``UninitializedBuffer``), as ``torch.nn.parameter``."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.tensor import Tensor, format_tensor
from cnnlab.autograd.types import default_dtype


class Parameter(Tensor):
    """A tensor that a ``Module`` registers as learnable; requires grad by default and shares
    memory with the data it wraps."""

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        array = np.zeros(0, np.float32) if data is None else as_array(data)
        self._data = array
        self.grad = None
        self.grad_fn = None
        self._retains_grad = False
        self.requires_grad = False
        self.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + format_tensor(self)


class _Uninitialized:
    """Shape and values are unknown until ``materialize``; reading them is an error."""

    __slots__ = ()
    cls_to_become: type = Tensor

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Become a ``cls_to_become`` of ``shape``, uninitialized (its module initializes it)."""
        if device not in (None, "cpu"):
            raise RuntimeError(f"materialize: cnnlab runs on the CPU only, got device={device!r}")
        self._data = np.empty(tuple(shape), np.dtype(dtype or self._data.dtype))
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes."
        )

    def _refuse(self, *args, **kwargs):
        raise ValueError(
            f"Attempted to use an uninitialized parameter of a lazy module ({type(self).__name__})"
            ". Call `forward` with a dummy batch to initialize the parameters first."
        )

    numel = size = dim = numpy = item = tolist = _refuse

    @property
    def ndim(self) -> int:
        self._refuse()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter of a lazy module before its first call."""

    __slots__ = ()
    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        Parameter.__init__(self, Tensor._wrap(np.empty(0, np.dtype(dtype or default_dtype()))))
        self.requires_grad = requires_grad


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer of a lazy module before its first call."""

    __slots__ = ()
    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None) -> None:
        Tensor.__init__(self, np.empty(0, np.dtype(dtype or default_dtype())))


def is_lazy(value) -> bool:
    """True for an ``UninitializedParameter`` or ``UninitializedBuffer``."""
    return isinstance(value, _Uninitialized)


def as_array(value) -> np.ndarray:
    """The values of a cnnlab tensor, a PyTorch tensor, a NumPy array or a number."""
    if isinstance(value, Tensor):
        return value._data
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()
    return np.asarray(value)
