"""The chapter's math on NumPy arrays, forward and backward; no tensors, no graph.

Shapes are (N, C, H, W) throughout. Each function's docstring names its equation.
"""

from cnnlab.ops.activation import log_softmax, relu, sigmoid, softmax
from cnnlab.ops.conv import (
    col2im,
    conv2d,
    conv2d_backward_chapter,
    conv2d_backward_im2col,
    conv2d_im2col,
    conv2d_loop,
    conv_geometry,
    dilate,
    full_convolution,
    im2col,
    rotate180,
)
from cnnlab.ops.loss import cross_entropy, mse_loss
from cnnlab.ops.norm import batch_norm, batch_norm_backward
from cnnlab.ops.pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from cnnlab.ops.shapes import (
    batch_norm_parameter_count,
    conv_parameter_count,
    linear_parameter_count,
    output_size,
)

__all__ = [
    "avg_pool2d",
    "avg_pool2d_backward",
    "batch_norm",
    "batch_norm_backward",
    "batch_norm_parameter_count",
    "col2im",
    "conv2d",
    "conv2d_backward_chapter",
    "conv2d_backward_im2col",
    "conv2d_im2col",
    "conv2d_loop",
    "conv_geometry",
    "conv_parameter_count",
    "cross_entropy",
    "dilate",
    "full_convolution",
    "im2col",
    "linear_parameter_count",
    "log_softmax",
    "max_pool2d",
    "max_pool2d_backward",
    "mse_loss",
    "output_size",
    "relu",
    "rotate180",
    "sigmoid",
    "softmax",
]
