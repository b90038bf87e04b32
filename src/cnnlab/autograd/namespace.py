"""The functions of the top-level ``cnnlab`` namespace that are Tensor methods in function form:
``cnnlab.exp(t)`` is ``t.exp()``, ``cnnlab.max(t, 1)`` is ``t.max(1)``, as in ``torch``.

Each is made by :func:`method_as_function`, so its arguments and behaviour are the method's.
"""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.tensor import Tensor

METHODS = """
abs absolute exp exp2 expm1 log log2 log10 log1p sqrt rsqrt square sign sgn reciprocal sin cos
tanh sigmoid relu floor ceil round trunc fix frac neg negative clamp clip clamp_min clamp_max
maximum minimum softmax log_softmax sum nansum mean prod std var max min amax amin argmax argmin
all any count_nonzero norm logsumexp cumsum sort argsort topk kthvalue median flatten unflatten
reshape squeeze unsqueeze transpose swapaxes swapdims permute movedim moveaxis t flip fliplr
flipud roll tril triu narrow select unbind split chunk tensor_split tile gather take_along_dim
scatter scatter_add index_select masked_fill masked_select nonzero argwhere unique bincount
isnan isinf isfinite logical_and logical_or logical_xor logical_not bitwise_and bitwise_or
bitwise_xor bitwise_not eq ne lt le gt ge greater greater_equal less less_equal not_equal
isclose add sub subtract mul multiply div divide true_divide floor_divide remainder fmod
matmul mm bmm mv dot inner outer ger lerp addcmul addcdiv clone detach numel
""".split()  # noqa: SIM905  (150 names read better as words)


def method_as_function(name: str):
    """``cnnlab.<name>(input, *args, **kwargs)`` calling ``input.<name>(*args, **kwargs)``."""

    def function(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}"
            )
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"``cnnlab.{name}(input, ...)`` is ``input.{name}(...)``; see Tensor.{name}."
    return function


FUNCTIONS = {name: method_as_function(name) for name in METHODS}


def pow(input, exponent):
    """``input ** exponent``; either may be a number."""
    if not isinstance(input, Tensor):
        return exponent.__rpow__(input)
    return input**exponent


def equal(input: Tensor, other: Tensor) -> bool:
    """Whether both have the same shape and elements."""
    return input.equal(other)


def allclose(input: Tensor, other: Tensor, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    return input.allclose(other, rtol, atol, equal_nan)


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def std_mean(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(std, mean)`` over ``dim``."""
    std = input.std(dim, unbiased, keepdim, correction=correction)
    return std, input.mean(dim, keepdim)


def var_mean(input: Tensor, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """``(var, mean)`` over ``dim``."""
    var = input.var(dim, unbiased, keepdim, correction=correction)
    return var, input.mean(dim, keepdim)


def broadcast_shapes(*shapes) -> tuple[int, ...]:
    from cnnlab.autograd.size import Size

    return Size(
        np.broadcast_shapes(*(tuple(s) if not isinstance(s, int) else (s,) for s in shapes))
    )


def broadcast_tensors(*tensors):
    """The tensors expanded to their common shape."""
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t.expand(*shape) for t in tensors)


def meshgrid(*tensors, indexing: str = "ij"):
    """Coordinate grids from 1-D tensors (``indexing='ij'``, PyTorch's default, or ``'xy'``)."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    shape = [t.numel() for t in tensors]
    if indexing == "xy" and len(shape) >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    grids = []
    for i, t in enumerate(tensors):
        axis = {0: 1, 1: 0}.get(i, i) if indexing == "xy" and len(shape) >= 2 else i
        view = [1] * len(shape)
        view[axis] = -1
        grids.append(t.reshape(view).expand(*shape))
    return tuple(grids)
