"""Random tensors: ``rand``, ``randn``, ``randint``, ``randperm``, ``normal``, ``bernoulli`` and
their ``*_like`` forms, drawn from ``generator=`` (a ``cnnlab.Generator``) or the global one.
They take the keywords of every factory (``creation.Options``)."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.creation import Options, _like
from cnnlab.autograd.shaping import _sizes
from cnnlab.autograd.tensor import Tensor

INT64 = np.dtype(np.int64)


def rand(*size, **options) -> Tensor:
    """Uniform samples in [0, 1)."""
    o = Options("rand", options).floating()
    return o.make(o.generator.random(o.shape(size)))


def randn(*size, **options) -> Tensor:
    """Standard normal samples."""
    o = Options("randn", options).floating()
    return o.make(o.generator.standard_normal(o.shape(size)))


def randint(low, high=None, size=None, **options) -> Tensor:
    """Integers uniform in ``[low, high)``: ``randint(10, (3,))`` or ``randint(0, 10, (3,))``."""
    if size is None and "size" in options:
        size = options.pop("size")
    if size is None:
        if not isinstance(high, tuple | list):
            raise TypeError("randint() missing the size argument (a tuple)")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    o = Options("randint", options, default=INT64)
    return o.make(o.generator.integers(low, high, size=_sizes((size,))))


def randperm(n: int, **options) -> Tensor:
    """A random permutation of ``0 .. n - 1``."""
    o = Options("randperm", options, default=INT64)
    return o.make(o.generator.permutation(int(n)))


def normal(mean=0.0, std=1.0, size=None, **options) -> Tensor:
    """Normal samples: elementwise ``mean`` and ``std`` (tensors or numbers, broadcast), or of
    ``size`` for numbers."""
    means, stds = np.asarray(_value(mean)), np.asarray(_value(std))
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    o = Options("normal", options, default=None if like is None else like._data.dtype)
    shape = _sizes((size,)) if size is not None else np.broadcast_shapes(means.shape, stds.shape)
    return o.make(o.generator.normal(means, stds, shape))


def bernoulli(input: Tensor, p=None, **options) -> Tensor:
    """1 with probability ``input`` (elementwise, or ``p``), else 0, in ``input``'s dtype."""
    o = Options("bernoulli", options, default=input._data.dtype)
    chance = input._data if p is None else p
    return o.make(o.generator.random(input._data.shape) < chance)


def _value(x):
    return x._data if isinstance(x, Tensor) else x


def rand_like(input: Tensor, **options) -> Tensor:
    return _like("rand_like", input, options, lambda o, shape: o.floating().generator.random(shape))


def randn_like(input: Tensor, **options) -> Tensor:
    return _like(
        "randn_like", input, options, lambda o, shape: o.floating().generator.standard_normal(shape)
    )


def randint_like(input: Tensor, low, high=None, **options) -> Tensor:
    low, high = (0, low) if high is None else (low, high)
    return _like("randint_like", input, options, lambda o, s: o.generator.integers(low, high, s))
