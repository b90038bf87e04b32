"""Differentiable reductions: sums, means, products, variances, extremes, cumulative sums.

Each class is one op: ``forward`` on arrays next to the ``backward`` that the chain rule gives it.
"""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.function import Function


def _reduced_axes(dim, ndim: int) -> tuple[int, ...]:
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
    return tuple(d % max(ndim, 1) for d in dims)


class Sum(Function):
    def forward(self, x, dim, keepdim):
        self.shape, self.axes, self.keepdim = x.shape, _reduced_axes(dim, x.ndim), keepdim
        return np.asarray(x.sum(axis=self.axes, keepdims=keepdim))

    def backward(self, grad):
        if not self.keepdim:
            grad = np.expand_dims(grad, self.axes)
        return np.broadcast_to(grad, self.shape)


class EuclideanNorm(Function):
    """``sqrt(sum(x ** 2))`` over ``dim``; its gradient ``x / norm`` is 0 where the norm is 0
    (a zero slice), as in PyTorch, not the 0/0 of differentiating the square root."""

    def forward(self, x, dim, keepdim):
        self.axes, self.keepdim = _reduced_axes(dim, x.ndim), keepdim
        self.x = x
        self.norm = np.sqrt(np.square(x).sum(axis=self.axes, keepdims=True))
        return self.norm if keepdim else np.squeeze(self.norm, self.axes)

    def backward(self, grad):
        if not self.keepdim:
            grad = np.expand_dims(grad, self.axes)
        zero = self.norm == 0
        scale = grad / np.where(zero, 1, self.norm)
        return self.x * np.where(zero, 0, scale).astype(self.x.dtype, copy=False)


class Mean(Function):
    def forward(self, x, dim, keepdim):
        self.shape, self.axes, self.keepdim = x.shape, _reduced_axes(dim, x.ndim), keepdim
        self.count = int(np.prod([x.shape[a] for a in self.axes]))
        return np.asarray(x.mean(axis=self.axes, keepdims=keepdim))

    def backward(self, grad):
        if not self.keepdim:
            grad = np.expand_dims(grad, self.axes)
        return np.broadcast_to(grad / self.count, self.shape)


class AMax(Function):
    """The largest (``smallest``: the smallest) element over ``dim``; its gradient is shared
    evenly among ties, as in PyTorch."""

    def forward(self, x, dim=None, keepdim=False, smallest=False):
        self.axes, self.keepdim = _reduced_axes(dim, x.ndim), keepdim
        out = (x.min if smallest else x.max)(axis=self.axes, keepdims=True)
        self.winners = x == out
        return np.asarray(out if keepdim else out.squeeze(self.axes))

    def backward(self, grad):
        if not self.keepdim:
            grad = np.expand_dims(grad, self.axes)
        count = self.winners.sum(axis=self.axes, keepdims=True)
        return self.winners * (grad / count).astype(grad.dtype)


class TakeAlong(Function):
    """Values at ``index`` along ``dim`` (max/min over a dimension); gradient goes back there."""

    def forward(self, x, index, dim):
        self.shape, self.index, self.dim = x.shape, index, dim
        return np.take_along_axis(x, index, axis=dim)

    def backward(self, grad):
        out = np.zeros(self.shape, dtype=grad.dtype)
        np.put_along_axis(out, self.index, grad, axis=self.dim)
        return out


class Prod(Function):
    """The product over ``dim``; d/dx_i is the product of the others, computed from prefix and
    suffix products so zeros get their exact gradient (as in PyTorch)."""

    def forward(self, x, dim, keepdim):
        self.x, self.axes, self.keepdim = x, _reduced_axes(dim, x.ndim), keepdim
        return np.asarray(x.prod(axis=self.axes, keepdims=keepdim))

    def backward(self, grad):
        x, axes = self.x, self.axes
        rest = [a for a in range(x.ndim) if a not in axes]
        moved = np.transpose(x, rest + list(axes))
        rows = moved.reshape(*moved.shape[: len(rest)], -1)
        ones = np.ones_like(rows[..., :1])
        before = np.cumprod(np.concatenate([ones, rows[..., :-1]], axis=-1), axis=-1)
        after = np.cumprod(np.concatenate([ones, rows[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = (before * after).reshape(moved.shape)
        others = np.transpose(others, np.argsort(rest + list(axes)))
        if not self.keepdim:
            grad = np.expand_dims(grad, axes)
        return grad * others


class Var(Function):
    """``sum((x - mean)^2) / (n - correction)`` over ``dim``; d/dx = 2 (x - mean) / (n - c)."""

    def forward(self, x, dim, correction, keepdim):
        axes = _reduced_axes(dim, x.ndim)
        count = int(np.prod([x.shape[a] for a in axes]))
        self.centered = x - x.mean(axis=axes, keepdims=True)
        self.axes, self.keepdim = axes, keepdim
        self.divisor = max(count - correction, 0)
        squares = np.square(self.centered).sum(axis=axes, keepdims=keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(squares / np.asarray(self.divisor, dtype=x.dtype))

    def backward(self, grad):
        if not self.keepdim:
            grad = np.expand_dims(grad, self.axes)
        scale = np.asarray(2 / self.divisor if self.divisor else np.nan, dtype=grad.dtype)
        return grad * scale * self.centered


class CumSum(Function):
    """Running sums along ``dim``; the gradient is the running sum of the gradient from the
    other end."""

    def forward(self, x, dim):
        self.dim = dim
        return np.cumsum(x, axis=dim)

    def backward(self, grad):
        reversed_grad = np.flip(grad, self.dim)
        return np.flip(np.cumsum(reversed_grad, axis=self.dim), self.dim)
