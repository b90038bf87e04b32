"""Adadelta (Zeiler, 2012): step sizes from running averages of squared gradients and updates."""

from __future__ import annotations

import numpy as np

from cnnlab.optim.optimizer import (
    Optimizer,
    advance_step,
    check_range,
    hyperparameters,
    scalar_step,
    zeros_like,
)


class Adadelta(Optimizer):
    r"""Adadelta as PyTorch computes it (``torch.optim.Adadelta``): with
    ``g = grad + weight_decay * p``, ``v = rho v + (1 - rho) g^2``,
    ``delta = sqrt(u + eps) / sqrt(v + eps) * g``, ``u = rho u + (1 - rho) delta^2``,
    then ``p = p - lr * delta``.

    ``foreach``, ``capturable`` and ``differentiable`` choose PyTorch's implementation, not the
    result; only their CPU defaults are accepted."""

    def __init__(
        self,
        params,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = hyperparameters(locals())
        for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
            check_range("Adadelta", name, value)
        check_range("Adadelta", "rho", rho, 0.0, 1.0)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, rho, eps, decay = group["lr"], group["rho"], group["eps"], group["weight_decay"]
            for p, grad in self._params_with_grad(group):
                state = self.state[p]
                if not state:
                    state["step"] = scalar_step()
                    state["square_avg"] = zeros_like(p)
                    state["acc_delta"] = zeros_like(p)
                advance_step(state)
                if decay != 0:
                    grad = grad + decay * p._data
                square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
                square_avg *= rho
                square_avg += (1 - rho) * grad * grad
                delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
                acc_delta *= rho
                acc_delta += (1 - rho) * delta * delta
                p._data -= lr * delta
        return loss
