"""RMSprop (Hinton's lecture notes, 2012): steps divided by a running root mean square of the
gradients, optionally centered and with momentum."""

from __future__ import annotations

import numpy as np

from cnnlab.optim.optimizer import (
    Optimizer,
    advance_step,
    check_range,
    hyperparameters,
    lerp_,
    scalar_step,
    zeros_like,
)


class RMSprop(Optimizer):
    r"""RMSprop as PyTorch computes it (``torch.optim.RMSprop``): with
    ``g = grad + weight_decay * p``, ``v = alpha v + (1 - alpha) g^2``; centered:
    ``m = alpha m + (1 - alpha) g`` and the root ``sqrt(v - m^2)``, else ``sqrt(v)``; with
    momentum ``b = momentum b + g / (root + eps)``, ``p = p - lr b``, else
    ``p = p - lr g / (root + eps)``.

    ``foreach``, ``capturable`` and ``differentiable`` choose PyTorch's implementation, not the
    result; only their CPU defaults are accepted."""

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = hyperparameters(locals())
        for name, value in (
            ("lr", lr),
            ("eps", eps),
            ("momentum", momentum),
            ("weight_decay", weight_decay),
            ("alpha", alpha),
        ):
            check_range("RMSprop", name, value)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, alpha, momentum = group["lr"], group["alpha"], group["momentum"]
            for p, grad in self._params_with_grad(group):
                state = self.state[p]
                if not state:
                    state["step"] = scalar_step()
                    state["square_avg"] = zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = zeros_like(p)
                advance_step(state)
                if group["weight_decay"] != 0:
                    grad = grad + group["weight_decay"] * p._data
                square_avg = state["square_avg"]._data
                square_avg *= alpha
                square_avg += (1 - alpha) * grad * grad
                if group["centered"]:
                    grad_avg = state["grad_avg"]._data
                    lerp_(grad_avg, grad, 1 - alpha)
                    root = np.sqrt(square_avg - grad_avg * grad_avg)
                else:
                    root = np.sqrt(square_avg)
                root += group["eps"]
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += grad / root
                    p._data -= lr * buf
                else:
                    p._data -= lr * grad / root
        return loss
