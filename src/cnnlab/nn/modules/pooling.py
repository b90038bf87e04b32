"""``MaxPool2d`` and ``AvgPool2d``: the pooling layers of Section 8.3.1."""

from __future__ import annotations

from cnnlab.autograd.tensor import Tensor
from cnnlab.nn import functional as F
from cnnlab.nn.module import Module
from cnnlab.ops.shapes import pair


class MaxPool2d(Module):
    r"""Max pooling, eq. (8.13): the largest value of each f x f window, channel by channel.

    Args: kernel_size f; stride s (defaults to f); padding (implicit -inf); dilation; ceil_mode;
    return_indices (also return the position of each maximum, eq. 8.14b).

    Shapes: input (N, C, H, W), output (N, C, H_out, W_out),
    ``H_out = floor((H + 2p - d(f - 1) - 1) / s + 1)`` (ceil under ``ceil_mode``).
    """

    def __init__(
        self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False
    ) -> None:
        super().__init__()
        pair(kernel_size, "kernel_size")
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        pair(self.stride, "stride")
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor):
        return F.max_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(Module):
    r"""Average pooling, eq. (8.16): the mean of each f x f window, channel by channel.

    Args: kernel_size f; stride s (defaults to f); padding (zeros); ceil_mode;
    count_include_pad (count padded zeros in the divisor, default True); divisor_override.

    Shapes: input (N, C, H, W), output (N, C, H_out, W_out),
    ``H_out = floor((H + 2p - f) / s + 1)`` (ceil under ``ceil_mode``).
    """

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ) -> None:
        super().__init__()
        pair(kernel_size, "kernel_size")
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        pair(self.stride, "stride")
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    r"""Average pooling to a fixed output size, whatever the input size (``(1, 1)``: global
    average pooling, as ResNet and NiN end).

    ``output_size`` is an int, a pair, or a pair with ``None`` (keep that input size). Bin i of
    an axis of n pooled to m covers ``[floor(i n / m), ceil((i + 1) n / m))``.

    Shapes: input (N, C, H, W) or (C, H, W), output (N, C, Ho, Wo).
    """

    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(AdaptiveAvgPool2d):
    r"""Max pooling to a fixed output size (bins as :class:`AdaptiveAvgPool2d`);
    ``return_indices`` also returns each maximum's flat position ``row * W + col``."""

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)
