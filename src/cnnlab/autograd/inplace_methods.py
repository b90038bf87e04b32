"""The in-place methods of ``Tensor`` (``add_``, ``relu_``, ``x[i] = v``, ``+=``, ``fill_``,
``normal_``, ...): each is its out-of-place op run through ``Tensor._apply_inplace``, so they
share PyTorch's semantics (gradients through non-leaf tensors, the leaf error, version checks;
see ``inplace``)."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.grad_mode import _GradMode
from cnnlab.autograd.shaping import _unwrap, _unwrap_index


class InplaceMethods:
    """Mixed into ``Tensor``."""

    __slots__ = ()

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ifloordiv__(self, other):
        return self.div_(other, rounding_mode="floor")

    def __imod__(self, other):
        return self.remainder_(other)

    def __ipow__(self, exponent):
        return self.pow_(exponent)

    def __iand__(self, other):
        return self._apply_inplace(lambda s: s & other)

    def __ior__(self, other):
        return self._apply_inplace(lambda s: s | other)

    def __ixor__(self, other):
        return self._apply_inplace(lambda s: s ^ other)

    # ----- placing values
    def index_fill_(self, dim: int, index, value):
        def fill(s):
            shape = [1] * s.ndim
            shape[dim] = s.shape[dim]
            mask = np.zeros(s.shape[dim], dtype=bool)
            mask[np.asarray(_unwrap(index))] = True
            return s.masked_fill(type(s)._wrap(mask.reshape(shape)), value)

        return self._apply_inplace(fill, value)

    def __setitem__(self, index, value) -> None:
        """``self[index] = value``, in place (recorded when ``value`` or ``self`` needs it)."""
        index = _unwrap_index(index)
        recorded = _GradMode.enabled and (
            self.requires_grad or getattr(value, "requires_grad", False)
        )
        if not recorded:
            inplace.write_at(self, index, _unwrap(value))
            return
        source = value if isinstance(value, InplaceMethods) else type(self)._wrap(np.asarray(value))
        self._apply_inplace(lambda s: inplace.SetItem.apply(s, source, index=index), source)

    def copy_(self, src, non_blocking: bool = False):
        """Overwrite the values with ``src`` (broadcast, converted to this dtype); the gradient
        goes to ``src``."""
        if not isinstance(src, InplaceMethods):
            src = type(self)._wrap(np.asarray(src))
        return self._apply_inplace(lambda s: inplace.Overwrite.apply(s, src), src)

    def fill_(self, value):
        if isinstance(value, InplaceMethods) and value.requires_grad:
            return self.copy_(value)
        inplace.overwrite(self, _unwrap(value))
        return self

    def zero_(self):
        inplace.overwrite(self, 0)
        return self

    # ----- random values (nn.init and dropout-style masks); ``generator``: a cnnlab.Generator
    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
        return self._random(lambda g, shape: g.uniform(a, b, shape), generator)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
        return self._random(lambda g, shape: g.normal(mean, std, shape), generator)

    def bernoulli_(self, p: float = 0.5, *, generator=None):
        return self._random(lambda g, shape: g.random(shape) < _unwrap(p), generator)

    def exponential_(self, lambd: float = 1.0, *, generator=None):
        return self._random(lambda g, shape: g.exponential(1.0 / lambd, shape), generator)

    def random_(self, from_: int = 0, to: int | None = None, *, generator=None):
        """Integers uniform in ``[from_, to)`` (``random_(to)``: in ``[0, to)``)."""
        if to is None:
            from_, to = 0, from_ or 2**24
        return self._random(lambda g, shape: g.integers(from_, to, shape), generator)

    def _random(self, draw, generator):
        inplace.overwrite(self, draw(random.generator(generator), self._data.shape))
        return self


from cnnlab.autograd import inplace, random  # noqa: E402  (inplace needs Tensor)


def in_place(name: str):
    """``t.<name>_(...)``: ``t.<name>(...)`` written into ``t`` (the arguments may be tensors)."""

    def method(self, *args, **kwargs):
        def compute(source):
            return getattr(source, name)(*args, **kwargs)

        return self._apply_inplace(compute, *args, *kwargs.values())

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = f"In place: ``t.{name}(...)`` written into ``t``."
    return method


IN_PLACE = """
add sub mul div pow remainder addcmul addcdiv lerp clamp clip clamp_min clamp_max relu sigmoid
tanh exp log sqrt rsqrt abs neg square reciprocal sign floor ceil round trunc masked_fill
scatter scatter_add
""".split()  # noqa: SIM905  (names read better as words)
for _name in IN_PLACE:
    setattr(InplaceMethods, _name + "_", in_place(_name))
