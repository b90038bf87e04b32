"""Differentiable ops that move elements without computing new ones: reshape, permute,
expand, indexing, joining, repeating, flipping.

Each class is one op: ``forward`` on arrays next to the ``backward`` that the chain rule gives it.
"""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.function import Function
from cnnlab.autograd.math_ops import unbroadcast


class Reshape(Function):
    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.shape)


class Permute(Function):
    def forward(self, x, dims):
        self.inverse = tuple(np.argsort(dims))
        return x.transpose(dims)

    def backward(self, grad):
        return grad.transpose(self.inverse)


class Expand(Function):
    def forward(self, x, shape):
        self.shape = x.shape
        return np.broadcast_to(x, shape).copy()

    def backward(self, grad):
        return unbroadcast(grad, self.shape)


def _is_basic_index(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, int | slice | type(None) | type(Ellipsis)) for p in parts)


class GetItem(Function):
    def forward(self, x, index):
        self.shape, self.index, self.dtype = x.shape, index, x.dtype
        return x[index]

    def backward(self, grad):
        out = np.zeros(self.shape, dtype=grad.dtype)
        if _is_basic_index(self.index):
            out[self.index] += grad
        else:
            np.add.at(out, self.index, grad)
        return out


class Cat(Function):
    def forward(self, *arrays, dim):
        self.dim = dim
        self.bounds = np.cumsum([a.shape[dim] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=dim)

    def backward(self, grad):
        return tuple(np.split(grad, self.bounds, axis=self.dim))


class Stack(Function):
    def forward(self, *arrays, dim):
        self.dim = dim
        return np.stack(arrays, axis=dim)

    def backward(self, grad):
        return tuple(np.moveaxis(grad, self.dim, 0))


class Repeat(Function):
    """``x.repeat(*sizes)``: ``x`` tiled ``sizes[i]`` times along each dimension (leading
    dimensions added as needed); the gradient sums the copies."""

    def forward(self, x, sizes):
        padded = (1,) * (len(sizes) - x.ndim) + x.shape
        self.shape, self.padded, self.sizes = x.shape, padded, sizes
        return np.tile(x.reshape(padded), sizes)

    def backward(self, grad):
        split = [n for pair in zip(self.sizes, self.padded, strict=True) for n in pair]
        copies = tuple(range(0, 2 * len(self.sizes), 2))
        return grad.reshape(split).sum(axis=copies).reshape(self.shape)


class Flip(Function):
    """``x`` with the order of elements reversed along ``dims``."""

    def forward(self, x, dims):
        self.dims = dims
        return np.flip(x, dims).copy()

    def backward(self, grad):
        return np.flip(grad, self.dims)


class Roll(Function):
    """``x`` shifted circularly by ``shifts`` along ``dims``."""

    def forward(self, x, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return np.roll(x, shifts, dims)

    def backward(self, grad):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return np.roll(grad, back, self.dims)


class Triangle(Function):
    """``tril``/``triu``: the elements on and below (``upper``: above) diagonal ``diagonal``."""

    def forward(self, x, diagonal, upper):
        self.diagonal, self.upper = diagonal, upper
        return np.triu(x, diagonal) if upper else np.tril(x, diagonal)

    def backward(self, grad):
        return np.triu(grad, self.diagonal) if self.upper else np.tril(grad, self.diagonal)
