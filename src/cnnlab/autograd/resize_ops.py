"""Adaptive pooling, interpolation and padding as graph nodes (math in ``cnnlab.ops``)."""

from __future__ import annotations

from cnnlab.autograd.function import Function
from cnnlab.ops import adaptive, interpolate, padding, pool


class AdaptiveAvgPool2d(Function):
    """The mean of each adaptive bin; the gradient is spread evenly over the bin."""

    def forward(self, x, output_size):
        self.shape = x.shape
        return adaptive.adaptive_avg_pool2d(x, output_size)

    def backward(self, grad):
        return adaptive.adaptive_avg_pool2d_backward(grad, self.shape)


class AdaptiveMaxPool2d(Function):
    """The maximum of each adaptive bin; the gradient goes to its position, eq. (8.15)."""

    def forward(self, x, output_size):
        self.shape = x.shape
        out, self.indices = adaptive.adaptive_max_pool2d(x, output_size)
        return out

    def backward(self, grad):
        return pool.max_pool2d_backward(grad, self.indices, self.shape)


class Interpolate(Function):
    """Nearest or bilinear resizing; the backward applies the transposed interpolation."""

    def forward(self, x, size, mode, align_corners, scale_factors):
        self.shape, self.options = x.shape, (mode, align_corners, scale_factors)
        return interpolate.interpolate(x, size, mode, align_corners, scale_factors)

    def backward(self, grad):
        return interpolate.interpolate_backward(grad, self.shape, *self.options)


class Pad(Function):
    """Constant, reflect, replicate or circular padding; the gradient returns to the position
    each padded value was read from."""

    def forward(self, x, pad, mode, value):
        self.shape, self.pad, self.mode = x.shape, pad, mode
        return padding.pad(x, pad, mode, value)

    def backward(self, grad):
        return padding.pad_backward(grad, self.shape, self.pad, self.mode)
