"""Grouped, depthwise and transposed convolution as graph nodes (math in ``cnnlab.ops``)."""

from __future__ import annotations

from cnnlab.autograd.function import Function
from cnnlab.ops import conv_groups, conv_transpose


class GroupedConv2d(Function):
    """Convolution with ``groups > 1``: the direct depthwise method when each group holds one
    input channel, else one im2col and a block-diagonal matrix product."""

    def forward(self, x, weight, bias, stride, padding, dilation, groups):
        geom = conv_groups.grouped_geometry(
            x.shape, weight.shape, stride, padding, dilation, groups
        )
        self.geom, self.weight, self.groups = geom, weight, groups
        self.depthwise = conv_groups.is_depthwise(geom, groups)
        if self.depthwise:
            z, self.saved = conv_groups.depthwise_conv2d(x, weight, bias, geom)
        else:
            z, self.saved = conv_groups.conv2d_grouped_forward(x, weight, bias, geom, groups)
        return z

    def backward(self, grad):
        if self.depthwise:
            return conv_groups.depthwise_conv2d_backward(
                grad, self.saved, self.weight, self.geom, self.needs_input_grad
            )
        return conv_groups.conv2d_grouped_backward(
            grad, self.saved, self.weight, self.geom, self.groups, self.needs_input_grad
        )


class ConvTranspose2d(Function):
    """Transposed convolution: col2im of ``W_row^T x`` forward, a convolution backward."""

    def forward(self, x, weight, bias, stride, padding, output_padding, groups, dilation):
        geom = conv_transpose.transposed_geometry(
            x.shape, weight.shape, stride, padding, output_padding, groups, dilation
        )
        self.geom, self.x, self.weight, self.groups = geom, x, weight, groups
        return conv_transpose.conv_transpose2d(x, weight, bias, geom, groups)

    def backward(self, grad):
        return conv_transpose.conv_transpose2d_backward(
            grad, self.x, self.weight, self.geom, self.groups, self.needs_input_grad
        )
