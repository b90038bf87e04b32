"""``Conv2d``: the convolution layer of Section 8.2."""

from __future__ import annotations

import math

import numpy as np

from cnnlab.autograd.tensor import Tensor
from cnnlab.autograd.types import default_dtype
from cnnlab.nn import functional as F
from cnnlab.nn import init
from cnnlab.nn.module import Module, Parameter
from cnnlab.ops.shapes import pair


class Conv2d(Module):
    r"""2-D convolution over a batch of images, eq. (8.2).

    ``z(k, i, j) = b(k) + sum_{k', u, v} x(k', i*s + u*d, j*s + v*d) W(k, k', u, v)``

    Args:
        in_channels: channels of the input, ``n_c^[l-1]``.
        out_channels: number of filters, ``n_c^[l]``.
        kernel_size: filter size f (int or (kh, kw)).
        stride: s (default 1). padding: p, an int, a pair, ``'same'`` or ``'valid'``.
        dilation: spacing between filter taps (default 1). bias: learn b (default True).
        method: ``'im2col'`` (Fig. 8.9, default) or ``'loop'`` (eq. 8.2 and 8.12 literally).

    Shapes:
        Input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, H_out, W_out) with
        ``H_out = floor((H + 2p - d(kh - 1) - 1) / s + 1)`` (eq. 8.1).

    Weight (C_out, C_in, kh, kw) and bias (C_out,) start uniform on
    ``(-1/sqrt(fan_in), 1/sqrt(fan_in))``, ``fan_in = C_in * kh * kw``, as in PyTorch.

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
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Conv2d: {name} must be a positive int, got {value!r}")
        if groups != 1:
            raise ValueError(f"Conv2d: only groups=1 is supported, got groups={groups}")
        if padding_mode != "zeros":
            raise ValueError(
                f"Conv2d: only padding_mode='zeros' is supported, got {padding_mode!r}"
            )
        if method not in ("loop", "im2col"):
            raise ValueError(f"Conv2d: method must be 'loop' or 'im2col', got {method!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride, "stride")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Conv2d: padding must be an int, a pair, 'same' or 'valid', got {padding!r}"
                )
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"Conv2d: padding='same' needs stride 1, got stride={self.stride}")
            self.padding = padding
        else:
            self.padding = pair(padding, "padding", minimum=0)
        self.dilation = pair(dilation, "dilation")
        self.groups, self.padding_mode, self.method = groups, padding_mode, method
        dtype = np.dtype(dtype or default_dtype())
        shape = (out_channels, in_channels, *self.kernel_size)
        self.weight = Parameter(Tensor._wrap(np.empty(shape, dtype)))
        if bias:
            self.bias = Parameter(Tensor._wrap(np.empty(out_channels, dtype)))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.conv2d(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            method=self.method,
        )

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        if self.method != "im2col":
            s += f", method={self.method!r}"
        return s
