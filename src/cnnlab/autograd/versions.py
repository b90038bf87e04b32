"""Version counters: what an in-place change did to memory that a backward still needs.

Every in-place write bumps the version of the tensor that owns the memory (a view shares its
base's counter, as in PyTorch) and stamps it with the time of the write (``Clock.now``, one
counter for the whole process). A recorded op keeps the time it was recorded (``fn.stamp``). At
backward, an op recorded before the latest write (``fn.stamp < Clock.now``: no cost at all when
nothing was written in place) checks whether an array it saved overlaps memory written since;
if so it raises PyTorch's error instead of computing a gradient from the changed values.

The state lives in ``TensorState``, created only for tensors that take part in an in-place
write, a view or a hook (``Tensor._meta`` stays ``None`` otherwise).
"""

from __future__ import annotations

import numpy as np


class Clock:
    """The time of the latest in-place write anywhere (0: there was none)."""

    now = 0

    @classmethod
    def tick(cls) -> int:
        cls.now += 1
        return cls.now


class TensorState:
    """In-place bookkeeping of one tensor.

    ``version``/``stamp``: how many writes its memory had and when the last was (kept on the
    tensor owning the memory); ``base``: that owner, for a view or a detached alias;
    ``view_fn``: array of the base -> array of this view, for a view that is part of the graph;
    ``views``: weak references to the views of this base that are part of the graph;
    ``hooks``: the hooks of a leaf (``Tensor.register_hook``).
    """

    __slots__ = ("base", "hooks", "stamp", "version", "view_fn", "views")

    def __init__(self) -> None:
        self.version = 0
        self.stamp = 0
        self.base = None
        self.view_fn = None
        self.views = None
        self.hooks = None


def state(t) -> TensorState:
    """``t``'s state, created on first use."""
    meta = getattr(t, "_meta", None)  # a Parameter made without Tensor.__init__ has no slot set
    if meta is None:
        meta = t._meta = TensorState()
    return meta


def owner(t):
    """The tensor whose memory ``t`` uses: its base for a view, else itself."""
    meta = getattr(t, "_meta", None)
    return t if meta is None or meta.base is None else meta.base


def bump(t) -> None:
    """Record an in-place write to ``t``'s memory."""
    meta = state(owner(t))
    meta.version += 1
    meta.stamp = Clock.tick()


def version(t) -> int:
    meta = getattr(owner(t), "_meta", None)
    return 0 if meta is None else meta.version


def saved_arrays(fn):
    """The arrays ``fn`` keeps for its backward (attributes, and inside tuples and lists)."""
    for value in vars(fn).values():
        if isinstance(value, np.ndarray):
            yield value
        elif isinstance(value, tuple | list):
            yield from (v for v in value if isinstance(v, np.ndarray))


def holds(fn, buffer: np.ndarray) -> bool:
    """Whether ``fn`` saved an array sharing memory with ``buffer``."""
    return any(np.may_share_memory(a, buffer) for a in saved_arrays(fn))


def mark_overwritten(fn, t) -> None:
    """``fn`` made ``t`` and saved it; ``t`` is being written in place: its backward must fail."""
    if fn is not None and holds(fn, owner(t)._data):
        fn.overwritten = describe(t, "output 0 of " + fn.name)


def describe(t, role: str) -> str:
    from cnnlab.autograd.types import tensor_type_name

    shape = ", ".join(map(str, t._data.shape))
    return f"[{tensor_type_name(t._data.dtype)} [{shape}]], which is {role}, is at version " + str(
        version(t)
    )


def check_saved(fn) -> None:
    """Raise PyTorch's error if memory ``fn`` saved was written in place after ``fn`` ran."""
    found = getattr(fn, "overwritten", None)
    if found is None:
        for t in fn.inputs:
            if t is None:
                continue
            base = owner(t)
            meta = getattr(base, "_meta", None)
            if meta is not None and meta.stamp > fn.stamp and holds(fn, base._data):
                found = describe(t, "an input of " + fn.name)
                break
    if found is not None:
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {found}; it was saved at an earlier version. Hint: compute it "
            "out of place (x = x + y instead of x += y) or clone() it before the change."
        )
