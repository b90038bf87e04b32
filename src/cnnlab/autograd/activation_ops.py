"""The nonlinearities of ``cnnlab.ops.pointwise`` as graph nodes, one Function each."""

from __future__ import annotations

from cnnlab.autograd.function import Function
from cnnlab.ops import activation, binary_loss, pointwise


class LeakyReLU(Function):
    def forward(self, x, negative_slope):
        self.x, self.slope = x, negative_slope
        return pointwise.leaky_relu(x, negative_slope)

    def backward(self, grad):
        return pointwise.leaky_relu_backward(grad, self.x, self.slope)


class Hardtanh(Function):
    """``clamp(x, min_val, max_val)``; also ReLU6."""

    def forward(self, x, min_val, max_val):
        self.x, self.bounds = x, (min_val, max_val)
        return pointwise.hardtanh(x, min_val, max_val)

    def backward(self, grad):
        return pointwise.hardtanh_backward(grad, self.x, *self.bounds)


class ELU(Function):
    def forward(self, x, alpha):
        self.x, self.alpha = x, alpha
        return pointwise.elu(x, alpha)

    def backward(self, grad):
        return pointwise.elu_backward(grad, self.x, self.alpha)


class CELU(Function):
    def forward(self, x, alpha):
        self.x, self.alpha = x, alpha
        return pointwise.celu(x, alpha)

    def backward(self, grad):
        return pointwise.celu_backward(grad, self.x, self.alpha)


class GELU(Function):
    def forward(self, x, approximate):
        self.x, self.approximate = x, approximate
        return pointwise.gelu(x, approximate)

    def backward(self, grad):
        return pointwise.gelu_backward(grad, self.x, self.approximate)


class SiLU(Function):
    def forward(self, x):
        self.x, self.sigmoid_x = x, activation.sigmoid(x)
        return pointwise.silu(x, self.sigmoid_x)

    def backward(self, grad):
        return pointwise.silu_backward(grad, self.x, self.sigmoid_x)


class Hardswish(Function):
    def forward(self, x):
        self.x = x
        return pointwise.hardswish(x)

    def backward(self, grad):
        return pointwise.hardswish_backward(grad, self.x)


class Hardsigmoid(Function):
    def forward(self, x):
        self.x = x
        return pointwise.hardsigmoid(x)

    def backward(self, grad):
        return pointwise.hardsigmoid_backward(grad, self.x)


class Softplus(Function):
    def forward(self, x, beta, threshold):
        self.x, self.options = x, (beta, threshold)
        return pointwise.softplus(x, beta, threshold)

    def backward(self, grad):
        return pointwise.softplus_backward(grad, self.x, *self.options)


class Mish(Function):
    def forward(self, x):
        self.x = x
        return pointwise.mish(x)

    def backward(self, grad):
        return pointwise.mish_backward(grad, self.x)


class PReLU(Function):
    """Leaky ReLU with a learned slope: gradients for the input and the slope."""

    def forward(self, x, weight):
        self.x, self.weight = x, weight
        return pointwise.prelu(x, weight)

    def backward(self, grad):
        return pointwise.prelu_backward(grad, self.x, self.weight)


class LogSigmoid(Function):
    """``log sigmoid(x)``, stably; its derivative is ``sigmoid(-x)``."""

    def forward(self, x):
        self.x = x
        return binary_loss.log_sigmoid(x)

    def backward(self, grad):
        return grad * activation.sigmoid(-self.x)
