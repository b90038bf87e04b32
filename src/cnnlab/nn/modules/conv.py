"""``Conv2d`` (the convolution layer of Section 8.2, with groups and padding modes),
``ConvTranspose2d``, and their lazy forms."""

from __future__ import annotations

import math

import numpy as np

from cnnlab.autograd.tensor import Tensor
from cnnlab.autograd.types import default_dtype
from cnnlab.nn import functional as F
from cnnlab.nn import init
from cnnlab.nn.module import Module
from cnnlab.nn.modules.lazy import LazyModuleMixin
from cnnlab.nn.parameter import Parameter, UninitializedParameter
from cnnlab.ops.shapes import conv_padding, pair

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What ``Conv2d`` and ``ConvTranspose2d`` share: arguments, parameters, initialization,
    printing."""

    transposed = False
    _allow_zero_channels = False

    def __init__(
        self,
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
        padding_mode, dtype, output_padding=0,
    ) -> None:  # fmt: skip
        super().__init__()
        name = type(self).__name__
        lowest = 0 if self._allow_zero_channels else 1
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
                raise ValueError(f"{name}: {arg} must be a positive int, got {value!r}")
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if value % groups:
                raise ValueError(f"{name}: {arg} ({value}) must be divisible by groups ({groups})")
        if padding_mode not in PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}"
            )
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        self.padding = self._padding_argument(padding)
        self.dilation = pair(dilation, "dilation")
        self.output_padding = pair(output_padding, "output_padding", minimum=0)
        self.groups, self.padding_mode = groups, padding_mode
        dtype = np.dtype(dtype or default_dtype())
        self.weight = Parameter(Tensor._wrap(np.empty(self._weight_shape(), dtype)))
        if bias:
            self.bias = Parameter(Tensor._wrap(np.empty(out_channels, dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _padding_argument(self, padding):
        name = type(self).__name__
        if not isinstance(padding, str):
            return pair(padding, "padding", minimum=0)
        if padding not in ("same", "valid") or self.transposed:
            raise ValueError(
                f"{name}: padding must be an int, a pair, 'same' or 'valid', got {padding!r}"
            )
        if padding == "same" and self.stride != (1, 1):
            raise ValueError(f"{name}: padding='same' needs stride 1, got stride={self.stride}")
        return padding

    def _weight_shape(self) -> tuple[int, ...]:
        if self.transposed:
            return (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)

    def reset_parameters(self) -> None:
        """PyTorch's default: weight and bias uniform on (-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0, 0):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv2d(_ConvNd):
    r"""2-D convolution over a batch of images, eq. (8.2).

    ``z(k, i, j) = b(k) + sum_{k', u, v} x(k', i*s + u*d, j*s + v*d) W(k, k', u, v)``

    Args:
        in_channels: channels of the input, ``n_c^[l-1]``.
        out_channels: number of filters, ``n_c^[l]``.
        kernel_size: filter size f (int or (kh, kw)).
        stride: s (default 1). padding: p, an int, a pair, ``'same'`` or ``'valid'``.
        dilation: spacing between filter taps (default 1).
        groups: split channels and filters into this many independent blocks (``groups =
            in_channels``: depthwise convolution, as MobileNet's).
        bias: learn b (default True).
        padding_mode: ``'zeros'`` (default), ``'reflect'``, ``'replicate'`` or ``'circular'``.
        method: ``'im2col'`` (Fig. 8.9, default) or ``'loop'`` (eq. 8.2 and 8.12 literally).

    Shapes:
        Input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, H_out, W_out) with
        ``H_out = floor((H + 2p - d(kh - 1) - 1) / s + 1)`` (eq. 8.1).

    Weight (C_out, C_in / groups, kh, kw) and bias (C_out,) start uniform on
    ``(-1/sqrt(fan_in), 1/sqrt(fan_in))``, ``fan_in = C_in / groups * kh * kw``, as in PyTorch.

    Example::

        >>> conv = nn.Conv2d(3, 16, kernel_size=3)
        >>> conv
        Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1))
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
        *,
        method: str = "im2col",
    ) -> None:
        if method not in ("loop", "im2col"):
            raise ValueError(f"Conv2d: method must be 'loop' or 'im2col', got {method!r}")
        object.__setattr__(self, "method", method)
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, dtype,
        )  # fmt: skip

    def _explicit_padding(self) -> tuple[int, int, int, int]:
        """``F.pad``'s (left, right, top, bottom) for a padding mode other than zeros."""
        (top, bottom), (left, right) = conv_padding(
            self.padding, self.kernel_size, self.dilation, self.stride
        )
        return left, right, top, bottom

    def forward(self, input: Tensor) -> Tensor:
        padding = self.padding
        if self.padding_mode != "zeros":
            input = F.pad(input, self._explicit_padding(), mode=self.padding_mode)
            padding = 0
        return F.conv2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            padding,
            self.dilation,
            self.groups,
            method=self.method,
        )

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s + f", method={self.method!r}" if self.method != "im2col" else s


class ConvTranspose2d(_ConvNd):
    r"""Transposed convolution: the input-gradient map of eq. (8.12) used as a layer, which
    grows an image (the decoder half of an autoencoder or U-Net).

    Shapes: input (N, C_in, H, W) or (C_in, H, W), output (N, C_out, H_out, W_out) with
    ``H_out = (H - 1) s - 2p + d (kh - 1) + output_padding + 1``; weight
    (C_in, C_out / groups, kh, kw), bias (C_out,), initialized as PyTorch's.
    """

    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        if padding_mode != "zeros":
            raise ValueError(
                f'Only "zeros" padding mode is supported for {type(self).__name__}, '
                f"got {padding_mode!r}"
            )
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
            padding_mode, dtype, output_padding,
        )  # fmt: skip

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        if output_size is not None:
            raise NotImplementedError("ConvTranspose2d: the output_size argument of forward")
        return F.conv_transpose2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )


class _LazyConv(LazyModuleMixin):
    """In-channels read from the first input; see :class:`LazyModuleMixin`."""

    _allow_zero_channels = True

    def _lazy_init(self, out_channels: int, bias: bool, dtype) -> None:
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        if input.ndim not in (3, 4):
            raise RuntimeError(
                f"Expected 3D (unbatched) or 4D (batched) input to {type(self).__name__}, but "
                f"got input of size: {input.shape}"
            )
        self.in_channels = input.shape[1] if input.ndim == 4 else input.shape[0]
        if self.in_channels % self.groups:
            raise ValueError(
                f"{type(self).__name__}: in_channels ({self.in_channels}) must be divisible by "
                f"groups ({self.groups})"
            )
        self.weight.materialize(self._weight_shape())
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class LazyConv2d(_LazyConv, Conv2d):
    """``Conv2d`` whose ``in_channels`` is the channel count of its first input (d2l's
    ``nn.LazyConv2d(out_channels, kernel_size)``); becomes a ``Conv2d`` at its first call."""

    cls_to_become = Conv2d

    def __init__(
        self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1, groups: int = 1,
        bias: bool = True, padding_mode: str = "zeros", device=None, dtype=None,
    ) -> None:  # fmt: skip
        super().__init__(
            0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode, dtype=dtype
        )
        self._lazy_init(out_channels, bias, dtype)


class LazyConvTranspose2d(_LazyConv, ConvTranspose2d):
    """``ConvTranspose2d`` whose ``in_channels`` is read from its first input."""

    cls_to_become = ConvTranspose2d

    def __init__(
        self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
        groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
        device=None, dtype=None,
    ) -> None:  # fmt: skip
        super().__init__(
            0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation,
            padding_mode, dtype=dtype,
        )  # fmt: skip
        self._lazy_init(out_channels, bias, dtype)
