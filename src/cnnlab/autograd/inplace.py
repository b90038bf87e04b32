"""In-place operations with PyTorch's semantics, all through one function: ``apply_inplace``.

``t._apply_inplace(compute, *operands)`` (``Tensor._apply_inplace``) changes ``t`` to
``compute(source)``, where ``compute`` is any out-of-place computation on tensors and
``source`` stands for the old value of ``t``; ``operands`` are the other tensors ``compute``
uses (they decide whether the change is recorded for backward). Every in-place method (``add_``,
``mul_``, ``clamp_``, ``relu_``, ``x[i] = v``, ``+=``, ``copy_``, ...) is one line on it, e.g.
``t._apply_inplace(lambda s: s.relu())``; an ``inplace=True`` activation is the same line.

- The new values are written into ``t``'s own memory: views of ``t`` and NumPy arrays sharing
  it see them, as in PyTorch.
- Recorded (grad mode on, and ``t`` or an operand requires grad): ``source`` is a copy of the
  old values that carries the old history, so the gradient goes through ``compute`` to whatever
  made the old value, and ``t`` takes the new history. Writing into a view also gives its base
  (``ViewWrite``) and the other views of that base (``ViewOf``) their new histories.
- A leaf that requires grad, or a view of one, refuses a recorded in-place change with PyTorch's
  error; under ``no_grad`` the change is a plain write (optimizer steps, ``nn.init``).
- The version of the memory goes up (``versions``): a backward that needs values saved before
  the change raises PyTorch's error instead of using the changed ones.
"""

from __future__ import annotations

import weakref

import numpy as np

from cnnlab.autograd.function import Function
from cnnlab.autograd.grad_mode import _GradMode, no_grad
from cnnlab.autograd.math_ops import unbroadcast
from cnnlab.autograd.types import torch_scalar_name
from cnnlab.autograd.versions import bump, mark_overwritten, owner, state


def apply_inplace(t, compute, *operands):
    """Change ``t`` to ``compute(source)`` in place (see the module docstring); returns ``t``."""
    recorded = _GradMode.enabled and (
        t.requires_grad or any(getattr(o, "requires_grad", False) for o in operands)
    )
    if not recorded:
        if _GradMode.enabled:
            with no_grad():
                values = compute(t)._data
        else:
            values = compute(t)._data
        store(t, values)
        return t
    refuse_leaf(t)
    source = type(t)._wrap(t._data.copy(), t.requires_grad)
    source.grad_fn = t.grad_fn
    result = compute(source)
    store(t, result._data, history=result.grad_fn)
    _keep_saved_output(result.grad_fn, result._data, t._data)
    return t


def overwrite(t, values) -> None:
    """Write constant ``values`` (an array or a number, broadcast) into ``t``: ``fill_``,
    ``zero_``, ``uniform_``, ..."""
    if _GradMode.enabled and t.requires_grad:
        constant = type(t)._wrap(np.asarray(values))
        apply_inplace(t, lambda s: Overwrite.apply(s, constant))
    else:
        store(t, values)


def write_at(t, index, values) -> None:
    """``t[index] = values`` outside the graph (nothing to record): NumPy's assignment, which
    converts to ``t``'s dtype as PyTorch's does, then the version bump."""
    if not t._data.flags.writeable:
        store(t, t._data)  # raises the read-only error
    t._data[index] = values
    _after_write(t)


def refuse_leaf(t) -> None:
    """PyTorch's errors for a recorded in-place change of a leaf that requires grad."""
    base = owner(t)
    if base.requires_grad and base.grad_fn is None:
        if base is t:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )


def store(t, values, history=None) -> None:
    """Write ``values`` into ``t``'s memory, bump its version, and give ``t`` (and its base and
    the base's other views) the new ``history`` when the change is recorded."""
    data = t._data
    values = np.asarray(values)
    if values.shape != data.shape and np.broadcast_shapes(values.shape, data.shape) != data.shape:
        raise RuntimeError(
            f"output with shape {list(data.shape)} doesn't match the broadcast shape "
            f"{list(np.broadcast_shapes(values.shape, data.shape))}"
        )
    if values.dtype != data.dtype and not np.can_cast(values.dtype, data.dtype, "same_kind"):
        raise RuntimeError(
            f"result type {torch_scalar_name(values.dtype)} can't be cast to the desired "
            f"output type {torch_scalar_name(data.dtype)}"
        )
    if not data.flags.writeable:
        raise RuntimeError(
            "in-place operation on a tensor whose memory cannot be written (an expanded "
            "tensor, or a read-only NumPy array); clone() it first"
        )
    np.copyto(data, values, casting="unsafe")
    views = _after_write(t)
    if history is not None:
        _rewrite_histories(t, owner(t), views, history)


def _after_write(t) -> list:
    """Bump the version of ``t``'s memory and make the backward of every op that saved that
    memory fail; returns the live views of its base."""
    bump(t)
    base = owner(t)
    views = _live_views(base)
    for holder in (base, *views):
        mark_overwritten(holder.grad_fn, holder)
    return views


def _rewrite_histories(t, base, views, history) -> None:
    t.grad_fn, t.requires_grad = history, True
    if base is not t:
        view_fn = state(t).view_fn
        if view_fn is None:  # a detached alias: its base's history does not include it
            return
        handle = type(base)._wrap(base._data, base.requires_grad)
        handle.grad_fn = base.grad_fn
        base.grad_fn = ViewWrite.apply(handle, t, view_fn=view_fn).grad_fn
        base.requires_grad = True
    for view in views:
        if view is not t:
            view.grad_fn = ViewOf.apply(base, view_fn=state(view).view_fn).grad_fn
            view.requires_grad = True


def _live_views(base) -> list:
    meta = getattr(base, "_meta", None)
    if meta is None or not meta.views:
        return []
    return [v for v in (ref() for ref in list(meta.views.values())) if v is not None]


def _keep_saved_output(fn, output: np.ndarray, memory: np.ndarray) -> None:
    """``fn`` may have saved its output array; the tensor's own memory now holds those values:
    point ``fn`` there, so a later in-place change of the tensor is seen by its backward."""
    if fn is None:
        return
    for name, value in list(vars(fn).items()):
        if value is output:
            setattr(fn, name, memory)
        elif isinstance(value, tuple) and any(v is output for v in value):
            setattr(fn, name, tuple(memory if v is output else v for v in value))


def mark_view(view, source, view_fn):
    """Record that ``view`` shares ``source``'s memory, ``view_fn(array of source)`` being its
    array (``view``, ``reshape``, ``permute``, basic indexing, ...). Returns ``view``."""
    if not np.may_share_memory(view._data, source._data):
        return view  # the op had to copy: not a view
    source_meta = getattr(source, "_meta", None)
    base = owner(source)
    meta = state(view)
    meta.base = base
    inner = None if source_meta is None else source_meta.view_fn
    if inner is None and source is not base:  # a view of a detached alias: no differentiable path
        return view
    meta.view_fn = view_fn if inner is None else _composed(inner, view_fn)
    if view.requires_grad:
        base_meta = state(base)
        if base_meta.views is None:
            base_meta.views = {}
        key = id(view)
        base_meta.views[key] = weakref.ref(view, lambda _, views=base_meta.views: views.pop(key))
    return view


def alias(t):
    """A tensor sharing ``t``'s memory and version counter, outside the graph (``detach``)."""
    other = type(t)._wrap(t._data)
    state(other).base = owner(t)
    return other


def _composed(first, then):
    return lambda array: then(first(array))


def _positions(view_fn, shape: tuple[int, ...]) -> np.ndarray:
    """Where each element of the view sits in its base, as flat indices (shape of the view)."""
    return np.asarray(view_fn(np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)))


class ViewOf(Function):
    """A view of ``base`` remade after ``base`` changed in place; the gradient goes back to the
    positions of the view in the base."""

    def forward(self, base, view_fn):
        self.shape, self.view_fn = base.shape, view_fn
        return view_fn(base)

    def backward(self, grad):
        out = np.zeros(int(np.prod(self.shape)), dtype=grad.dtype)
        out[_positions(self.view_fn, self.shape)] = grad
        return out.reshape(self.shape)


class ViewWrite(Function):
    """``base`` after its view ``view`` was written in place (its memory already holds it): the
    gradient of the view's positions goes to the view's new value, the rest to the old base."""

    def forward(self, base, view, view_fn):
        self.shape, self.view_fn = base.shape, view_fn
        return base

    def backward(self, grad):
        positions = _positions(self.view_fn, self.shape)
        flat = np.array(grad).reshape(-1)
        grad_view = flat[positions]
        flat[positions] = 0
        return flat.reshape(self.shape), grad_view


class Overwrite(Function):
    """``t.copy_(source)``: ``source`` broadcast to ``t``'s shape and dtype; the old values of
    ``t`` get no gradient."""

    def forward(self, old, source):
        self.source_shape, self.source_dtype = source.shape, source.dtype
        try:
            values = np.broadcast_to(source, old.shape)
        except ValueError:
            raise RuntimeError(
                f"copy_: the source of shape {list(source.shape)} cannot be broadcast to the "
                f"tensor's shape {list(old.shape)}"
            ) from None
        return values.astype(old.dtype)

    def backward(self, grad):
        return None, unbroadcast(grad, self.source_shape).astype(self.source_dtype, copy=False)


class SetItem(Function):
    """``x[index] = value`` as a new tensor (``Tensor.__setitem__`` writes it in place): the
    gradient of the assigned positions goes to ``value``, the rest to ``x``."""

    def forward(self, x, value, index):
        self.index, self.value_shape, self.value_dtype = index, value.shape, value.dtype
        out = x.copy()
        out[index] = value
        return out

    def backward(self, grad):
        grad_x = grad_value = None
        if self.needs_input_grad[0]:
            grad_x = grad.copy()
            grad_x[self.index] = 0
        if self.needs_input_grad[1]:
            picked = np.asarray(grad[self.index])
            grad_value = assigned_gradient(picked, self.value_shape).astype(
                self.value_dtype, copy=False
            )
        return grad_x, grad_value


def assigned_gradient(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient of a value of ``shape`` that an assignment broadcast to ``grad.shape`` (NumPy
    and PyTorch first drop leading dimensions of length 1 the target does not have)."""
    kept = tuple(shape)
    while len(kept) > grad.ndim and kept[0] == 1:
        kept = kept[1:]
    return unbroadcast(grad, kept).reshape(shape)
