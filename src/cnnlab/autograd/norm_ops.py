"""Layer and group normalization as graph nodes (math in ``cnnlab.ops.layer_norm``)."""

from __future__ import annotations

from cnnlab.autograd.function import Function
from cnnlab.ops import layer_norm


class LayerNorm(Function):
    """Standardize over the last dimensions, then scale and shift elementwise."""

    def forward(self, x, weight, bias, normalized_shape, eps):
        self.weight, self.normalized_shape = weight, normalized_shape
        y, self.saved = layer_norm.layer_norm(x, normalized_shape, weight, bias, eps)
        return y

    def backward(self, grad):
        return layer_norm.layer_norm_backward(
            grad, self.saved, self.normalized_shape, self.weight, self.needs_input_grad
        )


class GroupNorm(Function):
    """Standardize each group of channels of each sample, then scale and shift per channel."""

    def forward(self, x, weight, bias, num_groups, eps):
        self.weight = weight
        y, self.saved = layer_norm.group_norm(x, num_groups, weight, bias, eps)
        return y

    def backward(self, grad):
        return layer_norm.group_norm_backward(grad, self.saved, self.weight, self.needs_input_grad)
