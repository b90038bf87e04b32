"""Adam's relatives in ``torch.optim``: Adamax (infinity norm), NAdam (Nesterov momentum) and
RAdam (rectified variance), each as PyTorch computes it."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.tensor import Tensor
from cnnlab.optim.adam import apply_weight_decay, new_moments, update_moments
from cnnlab.optim.optimizer import (
    Optimizer,
    advance_step,
    check_range,
    hyperparameters,
    lerp_,
    scalar_step,
    zeros_like,
)


def _check_adam_arguments(owner: str, lr, betas, eps, weight_decay) -> None:
    for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
        check_range(owner, name, value)
    if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
        raise ValueError(f"{owner}: betas must be two numbers in [0, 1), got {betas}")


class Adamax(Optimizer):
    r"""Adamax (``torch.optim.Adamax``): ``m = b1 m + (1 - b1) g``,
    ``u = max(b2 u, |g| + eps)``, ``p = p - lr / (1 - b1^t) * m / u``."""

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        defaults = hyperparameters(locals())
        _check_adam_arguments("Adamax", lr, betas, eps, weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p, grad in self._params_with_grad(group):
                state = self.state[p]
                if not state:
                    state["step"] = scalar_step()
                    state["exp_avg"] = zeros_like(p)
                    state["exp_inf"] = zeros_like(p)
                step = advance_step(state)
                grad = apply_weight_decay(group, p, grad)
                exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
                lerp_(exp_avg, grad, 1 - beta1)
                exp_inf *= beta2
                np.maximum(exp_inf, np.abs(grad) + group["eps"], out=exp_inf)
                p._data -= group["lr"] / (1 - beta1**step) * exp_avg / exp_inf
        return loss


class NAdam(Optimizer):
    r"""NAdam (``torch.optim.NAdam``): Adam with Nesterov momentum whose coefficient
    ``mu_t = b1 (1 - 0.96^(t momentum_decay) / 2)`` warms up; the product of the ``mu`` is kept
    in float32, as PyTorch keeps it."""

    def __init__(
        self,
        params,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = hyperparameters(locals())
        _check_adam_arguments("NAdam", lr, betas, eps, weight_decay)
        check_range("NAdam", "momentum_decay", momentum_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, decay_rate = group["lr"], group["momentum_decay"]
            for p, grad in self._params_with_grad(group):
                state = self.state[p]
                if not state:
                    state["step"] = scalar_step()
                    state["mu_product"] = Tensor._wrap(np.ones((), dtype=np.float32))
                    new_moments(state, p)
                step = advance_step(state)
                grad = apply_weight_decay(group, p, grad)
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * decay_rate))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * decay_rate))
                state["mu_product"]._data *= mu
                mu_product = float(state["mu_product"]._data)
                exp_avg, exp_avg_sq = update_moments(state, grad, beta1, beta2)
                denom = np.sqrt(exp_avg_sq / (1 - beta2**step)) + group["eps"]
                p._data += (-lr * (1.0 - mu) / (1.0 - mu_product)) * grad / denom
                p._data += (-lr * mu_next / (1.0 - mu_product * mu_next)) * exp_avg / denom
        return loss


class RAdam(Optimizer):
    r"""RAdam (``torch.optim.RAdam``): Adam whose adaptive step is switched on, and scaled by
    the rectification ``r_t``, once the variance estimate is tractable (``rho_t > 5``)."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        defaults = hyperparameters(locals())
        _check_adam_arguments("RAdam", lr, betas, eps, weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr = group["lr"]
            for p, grad in self._params_with_grad(group):
                state = self.state[p]
                if not state:
                    state["step"] = scalar_step()
                    new_moments(state, p)
                step = advance_step(state)
                grad = apply_weight_decay(group, p, grad)
                exp_avg, exp_avg_sq = update_moments(state, grad, beta1, beta2)
                correction2 = 1 - beta2**step
                corrected_avg = exp_avg / (1 - beta1**step)
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * beta2**step / correction2
                if rho_t > 5.0:
                    rect = (
                        (rho_t - 4)
                        * (rho_t - 2)
                        * rho_inf
                        / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                    ) ** 0.5
                    adaptive = correction2**0.5 / (np.sqrt(exp_avg_sq) + group["eps"])
                    p._data -= corrected_avg * lr * adaptive * rect
                else:
                    p._data -= corrected_avg * lr
        return loss
