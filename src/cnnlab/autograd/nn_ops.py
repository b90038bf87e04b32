"""The chapter's layers as graph nodes: forward and backward call the math in ``cnnlab.ops``."""

from __future__ import annotations

from cnnlab.autograd.function import Function
from cnnlab.ops import activation, conv, loss, norm, pool, threads


class Linear(Function):
    """``y = x W^T + b``; x (N, *, in), W (out, in), b (out,)."""

    def forward(self, x, weight, bias):
        self.x, self.weight = x, weight
        y = threads.matmul(x.reshape(-1, x.shape[-1]), weight.T)
        if bias is not None:
            y += bias
        return y.reshape(*x.shape[:-1], weight.shape[0])

    def backward(self, grad):
        need_x, need_w, need_b = self.needs_input_grad
        rows = grad.reshape(-1, grad.shape[-1])
        grad_x = threads.matmul(rows, self.weight).reshape(self.x.shape) if need_x else None
        grad_w = threads.matmul(rows.T, self.x.reshape(-1, self.x.shape[-1])) if need_w else None
        grad_b = rows.sum(axis=0) if need_b else None
        return grad_x, grad_w, grad_b


class Conv2d(Function):
    """Convolution, eq. (8.2); ``method='loop'`` also backpropagates by the chapter's (8.12)."""

    def forward(self, x, weight, bias, stride, padding, dilation, method):
        geom = conv.conv_geometry(x.shape, weight.shape, stride, padding, dilation)
        self.geom, self.weight, self.method = geom, weight, method
        if method == "loop":
            self.x = x
            return conv.conv2d_loop(x, weight, bias, geom.stride, geom.padding, geom.dilation)
        z, saved = conv.conv2d_train_forward(x, weight, bias, geom)
        self.saved = saved if self.needs_input_grad[1] else None
        return z

    def backward(self, grad):
        if self.method == "loop":
            g = self.geom
            return conv.conv2d_backward_chapter(
                self.x, self.weight, grad, g.stride, g.padding, g.dilation
            )
        return conv.conv2d_train_backward(
            grad, self.saved, self.weight, self.geom, self.needs_input_grad
        )


class MaxPool2d(Function):
    """Max pooling, eq. (8.13); the gradient goes to the maximum's position, eq. (8.15)."""

    def forward(self, x, kernel_size, stride, padding, dilation, ceil_mode):
        self.shape = x.shape
        out, self.indices = pool.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)
        return out

    def backward(self, grad):
        return pool.max_pool2d_backward(grad, self.indices, self.shape)


class AvgPool2d(Function):
    """Average pooling, eq. (8.16); the gradient is spread evenly, eq. (8.17)."""

    def forward(self, x, **options):
        self.shape, self.options = x.shape, options
        return pool.avg_pool2d(x, **options)

    def backward(self, grad):
        return pool.avg_pool2d_backward(grad, self.shape, **self.options)


class BatchNorm(Function):
    """Batch normalization, eq. (8.18); running statistics are updated in place."""

    def forward(self, x, weight, bias, running_mean, running_var, training, momentum, eps):
        self.weight, self.training = weight, training
        y, self.saved = norm.batch_norm(
            x, running_mean, running_var, weight, bias, training, momentum, eps
        )
        return y

    def backward(self, grad):
        return norm.batch_norm_backward(
            grad, self.saved, self.weight, self.training, self.needs_input_grad
        )


class Dropout(Function):
    """Zero each element with probability p and scale the rest by 1 / (1 - p); with
    ``mask_shape`` (N, C, 1, 1) whole channels at once (``dropout2d``)."""

    def forward(self, x, p, rng, mask_shape=None):
        self.mask = activation.dropout_mask(mask_shape or x.shape, p, rng, x.dtype)
        return x * self.mask

    def backward(self, grad):
        return grad * self.mask


class CrossEntropy(Function):
    """Cross entropy of class scores against class indices (log-softmax then negative log)."""

    def forward(self, logits, weight, target, ignore_index, reduction):
        out, self.log_p, self.sample_weight = loss.cross_entropy(
            logits, target, weight, ignore_index, reduction
        )
        self.target, self.shape, self.reduction = target, logits.shape, reduction
        return out

    def backward(self, grad):
        grad_logits = loss.cross_entropy_backward(
            grad, self.log_p, self.sample_weight, self.target, self.shape, self.reduction
        )
        return grad_logits, None
