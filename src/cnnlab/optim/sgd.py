"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from cnnlab.optim.optimizer import Optimizer


class SGD(Optimizer):
    r"""SGD as PyTorch defines it: with ``g = grad + weight_decay * p``,
    ``b = momentum * b + (1 - dampening) * g`` (``b = g`` on the first step),
    ``g = g + momentum * b`` (Nesterov) or ``g = b``, then ``p = p - lr * g``."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
            if value < 0:
                raise ValueError(f"SGD: {name} must be >= 0, got {value}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
            ),
        )

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, momentum, decay = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = -p.grad._data if group["maximize"] else p.grad._data
                if decay != 0:
                    grad = grad + decay * p._data
                if momentum != 0:
                    state = self._state_of(p)
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = grad.copy()
                    else:
                        buf *= momentum
                        buf += (1 - group["dampening"]) * grad
                    grad = grad + momentum * buf if group["nesterov"] else buf
                p._data -= lr * grad
        return loss
