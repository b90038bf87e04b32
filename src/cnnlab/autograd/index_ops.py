"""Differentiable ops that pick or place elements by index or mask: ``where``, ``gather``,
``scatter``, ``scatter_add``, ``index_select``, ``masked_fill``.

Each class is one op: ``forward`` on arrays next to the ``backward`` that the chain rule gives it.
"""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.function import Function
from cnnlab.autograd.math_ops import _same_dtype, unbroadcast


def along(index: np.ndarray, dim: int) -> tuple:
    """The NumPy index that picks, for every position of ``index``, element ``index[...]``
    along ``dim`` and the same position along the other dimensions (``gather``'s rule)."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


class Where(Function):
    """``a`` where ``condition`` holds, else ``b`` (all three broadcast)."""

    def forward(self, a, b, condition):
        self.condition = condition
        self.shapes = a.shape, b.shape
        return np.where(condition, *_same_dtype(a, b))

    def backward(self, grad):
        zero = np.zeros((), dtype=grad.dtype)
        return (
            unbroadcast(np.where(self.condition, grad, zero), self.shapes[0]),
            unbroadcast(np.where(self.condition, zero, grad), self.shapes[1]),
        )


class Gather(Function):
    """``out[i][j] = x[index[i][j]][j]`` for ``dim = 0`` (and so on): ``index`` has ``x``'s
    number of dimensions and may be smaller along the others. Repeated indices add up their
    gradients."""

    def forward(self, x, index, dim):
        self.shape, self.where = x.shape, along(index, dim)
        return x[self.where]

    def backward(self, grad):
        out = np.zeros(self.shape, dtype=grad.dtype)
        np.add.at(out, self.where, grad)
        return out


class Scatter(Function):
    """``x`` with ``source`` written (``add``: added) at ``index`` along ``dim``: the inverse of
    ``gather``. ``source`` may be larger than ``index``; its first ``index.shape`` elements go."""

    def forward(self, x, source, index, dim, add):
        self.where, self.add = along(index, dim), add
        self.index_shape, self.source_shape = index.shape, source.shape
        out = x.copy()
        values = source[tuple(slice(0, n) for n in index.shape)].astype(x.dtype, copy=False)
        if add:
            np.add.at(out, self.where, values)
        else:
            out[self.where] = values
        return out

    def backward(self, grad):
        grad_x = grad_source = None
        if self.needs_input_grad[0]:
            grad_x = grad
            if not self.add:
                grad_x = grad.copy()
                grad_x[self.where] = 0
        if self.needs_input_grad[1]:
            grad_source = np.zeros(self.source_shape, dtype=grad.dtype)
            grad_source[tuple(slice(0, n) for n in self.index_shape)] = grad[self.where]
        return grad_x, grad_source


class IndexSelect(Function):
    """The slices ``index`` (1-D) of ``x`` along ``dim``; repeated indices add up gradients."""

    def forward(self, x, index, dim):
        self.shape, self.index, self.dim = x.shape, index, dim
        return np.take(x, index, axis=dim)

    def backward(self, grad):
        out = np.zeros(self.shape, dtype=grad.dtype)
        np.add.at(np.moveaxis(out, self.dim, 0), self.index, np.moveaxis(grad, self.dim, 0))
        return out


class MaskedFill(Function):
    """``x`` with ``value`` (a 0-d tensor) where ``mask`` (broadcast to ``x``) holds."""

    def forward(self, x, value, mask):
        self.mask = np.broadcast_to(mask, x.shape)
        return np.where(self.mask, value.astype(x.dtype), x)

    def backward(self, grad):
        grad_x = np.where(self.mask, np.zeros((), grad.dtype), grad)
        grad_value = None
        if self.needs_input_grad[1]:
            grad_value = np.asarray(grad[self.mask].sum(), dtype=grad.dtype)
        return grad_x, grad_value
