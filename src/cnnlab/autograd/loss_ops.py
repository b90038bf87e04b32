"""Binary cross entropy of probabilities and of logits as graph nodes, differentiable in the
input and the target (math in ``cnnlab.ops.binary_loss``)."""

from __future__ import annotations

from cnnlab.autograd.function import Function
from cnnlab.autograd.math_ops import unbroadcast
from cnnlab.ops import binary_loss


class BinaryCrossEntropy(Function):
    def forward(self, p, y, weight, reduction):
        self.p, self.y, self.weight, self.reduction = p, y, weight, reduction
        return binary_loss.reduce(binary_loss.binary_cross_entropy(p, y, weight), reduction)

    def backward(self, grad):
        scale = binary_loss.reduction_scale(grad, self.p.shape, self.reduction)
        grad_p, grad_y = binary_loss.binary_cross_entropy_backward(
            scale, self.p, self.y, self.weight
        )
        return unbroadcast(grad_p, self.p.shape), unbroadcast(grad_y, self.y.shape), None


class BinaryCrossEntropyWithLogits(Function):
    def forward(self, x, y, weight, pos_weight, reduction):
        self.x, self.y, self.reduction = x, y, reduction
        self.weight, self.pos_weight = weight, pos_weight
        losses = binary_loss.binary_cross_entropy_with_logits(x, y, weight, pos_weight)
        self.shape = losses.shape
        return binary_loss.reduce(losses, reduction)

    def backward(self, grad):
        scale = binary_loss.reduction_scale(grad, self.shape, self.reduction)
        grad_x, grad_y = binary_loss.binary_cross_entropy_with_logits_backward(
            scale, self.x, self.y, self.weight, self.pos_weight
        )
        return unbroadcast(grad_x, self.x.shape), unbroadcast(grad_y, self.y.shape), None, None
