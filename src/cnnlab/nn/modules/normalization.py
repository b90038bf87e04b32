"""Normalization layers: ``BatchNorm1d`` and ``BatchNorm2d`` (eq. 8.18, per feature or channel),
their lazy forms, ``LayerNorm`` and ``GroupNorm``."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.tensor import Tensor
from cnnlab.autograd.types import default_dtype
from cnnlab.nn import functional as F
from cnnlab.nn.functional_norm import normalized_shape_of
from cnnlab.nn.module import Module
from cnnlab.nn.modules.lazy import LazyModuleMixin
from cnnlab.nn.parameter import Parameter, UninitializedBuffer, UninitializedParameter


def register_scale_and_shift(
    module: Module, shape: tuple[int, ...], affine: bool, bias: bool, dtype: np.dtype
) -> None:
    """``weight`` (gamma, ones) and ``bias`` (beta, zeros) of ``shape``, or None where the
    layer has none, registered in PyTorch's order."""
    weight = Parameter(Tensor._wrap(np.ones(shape, dtype))) if affine else None
    module.register_parameter("weight", weight)
    shift = Parameter(Tensor._wrap(np.zeros(shape, dtype))) if affine and bias else None
    module.register_parameter("bias", shift)


class _BatchNorm(Module):
    expected_dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        lowest = 0 if isinstance(self, LazyModuleMixin) else 1
        if (
            isinstance(num_features, bool)
            or not isinstance(num_features, int)
            or num_features < lowest
        ):
            raise ValueError(
                f"{type(self).__name__}: num_features must be a positive int, got {num_features!r}"
            )
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = np.dtype(dtype or default_dtype())
        register_scale_and_shift(self, (num_features,), affine, bias, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._wrap(np.zeros(num_features, dtype)))
            self.register_buffer("running_var", Tensor._wrap(np.ones(num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor._wrap(np.array(0, np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self) -> None:
        """Running statistics to (0, 1), gamma to ones and beta to zeros."""
        self.reset_running_stats()
        if self.weight is not None:
            self.weight._data[...] = 1
        if self.bias is not None:
            self.bias._data[...] = 0

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args) -> None:
        """A checkpoint without ``num_batches_tracked`` (written before PyTorch had it, or by
        hand) keeps the current count, as in PyTorch."""
        key = prefix + "num_batches_tracked"
        version = local_metadata.get("version")
        if (version is None or version < 2) and self.track_running_stats:
            state_dict.setdefault(key, self.num_batches_tracked)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, *args)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self.expected_dims:
            dims = " or ".join(f"{d}-D" for d in self.expected_dims)
            raise ValueError(
                f"{type(self).__name__}: expected {dims} input, got shape {tuple(input.shape)}"
            )
        if self.num_features and input.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}: input has {input.shape[1]} channels but the layer has "
                f"num_features={self.num_features}"
            )
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked._data += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked._data)
        use_batch_stats = self.training or not self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if not self.training or self.track_running_stats else None,
            self.running_var if not self.training or self.track_running_stats else None,
            self.weight,
            self.bias,
            use_batch_stats,
            momentum,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L): one mean, variance, gamma, beta per feature."""

    expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) per channel, eq. (8.18a)-(8.18d)."""

    expected_dims = (4,)


class _LazyBatchNorm(LazyModuleMixin):
    """``num_features`` read from the first input's channels; see :class:`LazyModuleMixin`."""

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(0, eps, momentum, False, False, dtype=dtype)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(dtype=dtype)
            self.running_var = UninitializedBuffer(dtype=dtype)
            self.num_batches_tracked = Tensor._wrap(np.array(0, np.int64))

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        self.num_features = input.shape[1]
        for name in ("weight", "bias", "running_mean", "running_var"):
            placeholder = getattr(self, name)
            if placeholder is not None:
                placeholder.materialize((self.num_features,))
        self.reset_parameters()


class LazyBatchNorm1d(_LazyBatchNorm, BatchNorm1d):
    """``BatchNorm1d`` whose ``num_features`` is read from its first input."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm, BatchNorm2d):
    """``BatchNorm2d`` whose ``num_features`` is read from its first input (d2l's
    ``nn.LazyBatchNorm2d()``)."""

    cls_to_become = BatchNorm2d


class InstanceNorm2d(_BatchNorm):
    r"""Standardize each channel of each image over its positions (style transfer), then
    optionally scale and shift per channel; running statistics only with
    ``track_running_stats=True``.

    Shapes: input (N, C, H, W) or (C, H, W), output the same.
    """

    expected_dims = (3, 4)

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype=dtype)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in self.expected_dims:
            raise ValueError(
                f"{type(self).__name__}: expected 3-D or 4-D input, got shape {tuple(input.shape)}"
            )
        if input.ndim == 3:
            return self.forward(input.unsqueeze(0)).squeeze(0)
        if input.shape[1] != self.num_features and self.affine:
            raise ValueError(
                f"{type(self).__name__}: expected input's size at dim=1 to match num_features "
                f"({self.num_features}), but got: {input.shape[1]}."
            )
        return F.instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )


class LocalResponseNorm(Module):
    """AlexNet's local response normalization across ``size`` neighbouring channels."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class LayerNorm(Module):
    r"""Standardize each sample over its last dimensions (``normalized_shape``), then scale and
    shift elementwise: ``y = (x - mean) / sqrt(var + eps) * weight + bias``.

    Shapes: input (*, *normalized_shape), output the same; weight and bias
    ``normalized_shape``, starting at ones and zeros.
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.normalized_shape = normalized_shape_of(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dtype = np.dtype(dtype or default_dtype())
        register_scale_and_shift(self, self.normalized_shape, elementwise_affine, bias, dtype)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    r"""Standardize each group of ``num_channels / num_groups`` channels of each sample, then
    scale and shift per channel.

    Shapes: input (N, C, *), output the same; weight and bias (C,), starting at ones and zeros.
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})"
            )
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups,
            num_channels,
            eps,
            affine,
        )
        dtype = np.dtype(dtype or default_dtype())
        register_scale_and_shift(self, (num_channels,), affine, bias, dtype)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )
