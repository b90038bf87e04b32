"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from cnnlab.autograd.tensor import Tensor
from cnnlab.optim.optimizer import Optimizer, check_range, hyperparameters


class SGD(Optimizer):
    r"""SGD as PyTorch defines it (``torch.optim.SGD``): with ``g = grad + weight_decay * p``
    (``-grad`` under ``maximize``), ``b = momentum * b + (1 - dampening) * g`` (``b = g`` on the
    first step), ``g = g + momentum * b`` (Nesterov) or ``g = b``, then ``p = p - lr * g``.

    ``foreach``, ``fused`` and ``differentiable`` choose PyTorch's implementation, not the
    result; only their CPU defaults are accepted."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = hyperparameters(locals())
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
            check_range("SGD", name, value)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
            for p, grad in self._params_with_grad(group):
                if decay != 0:
                    grad = grad + decay * p._data
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = Tensor._wrap(grad.copy())
                    else:
                        buf._data *= momentum
                        buf._data += (1 - group["dampening"]) * grad
                    grad = grad + momentum * buf._data if group["nesterov"] else buf._data
                p._data -= lr * grad
        return loss
