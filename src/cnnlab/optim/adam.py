"""Adam (Kingma and Ba, 2015) with PyTorch's bias correction and optional AMSGrad."""

from __future__ import annotations

import numpy as np

from cnnlab.optim.optimizer import Optimizer


class Adam(Optimizer):
    r"""Adam as PyTorch computes it: with ``g = grad + weight_decay * p``,
    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``, and at step t
    ``p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError(
                f"Adam: lr, eps and weight_decay must be >= 0, got {lr}, {eps}, {weight_decay}"
            )
        if not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Adam: betas must be in [0, 1), got {betas}")
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=tuple(betas),
                eps=eps,
                weight_decay=weight_decay,
                amsgrad=amsgrad,
                maximize=maximize,
            ),
        )

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = -p.grad._data if group["maximize"] else p.grad._data
                if group["weight_decay"] != 0:
                    grad = grad + group["weight_decay"] * p._data
                state = self._state_of(p)
                if not state:
                    state["step"] = np.array(0.0)
                    state["exp_avg"] = np.zeros_like(p._data)
                    state["exp_avg_sq"] = np.zeros_like(p._data)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = np.zeros_like(p._data)
                state["step"] += 1
                step = float(state["step"])
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg += (grad - exp_avg) * (1 - beta1)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                if group["amsgrad"]:
                    np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                    exp_avg_sq = state["max_exp_avg_sq"]
                step_size = group["lr"] / (1 - beta1**step)
                denom = np.sqrt(exp_avg_sq) / (1 - beta2**step) ** 0.5 + group["eps"]
                p._data -= step_size * exp_avg / denom
        return loss
