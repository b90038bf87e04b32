"""Adam (Kingma and Ba, 2015) with PyTorch's bias correction and AMSGrad, and AdamW
(Loshchilov and Hutter, 2019), whose weight decay shrinks the parameters directly."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.tensor import Tensor
from cnnlab.optim.optimizer import (
    Optimizer,
    advance_step,
    check_range,
    hyperparameters,
    lerp_,
    scalar_step,
    zeros_like,
)


def apply_weight_decay(group: dict, p: Tensor, grad: np.ndarray) -> np.ndarray:
    """L2 decay added to the gradient, or (``decoupled_weight_decay``) ``p`` shrunk by
    ``1 - lr weight_decay`` in place; returns the gradient to use."""
    decay = group["weight_decay"]
    if decay != 0 and group.get("decoupled_weight_decay"):
        p._data *= 1 - group["lr"] * decay
    elif decay != 0:
        grad = grad + decay * p._data
    return grad


def new_moments(state: dict, p: Tensor) -> None:
    """Zero first and second moments ``exp_avg`` and ``exp_avg_sq`` shaped like ``p``."""
    state["exp_avg"] = zeros_like(p)
    state["exp_avg_sq"] = zeros_like(p)


def update_moments(state: dict, grad: np.ndarray, beta1: float, beta2: float):
    """``m = b1 m + (1 - b1) g`` and ``v = b2 v + (1 - b2) g^2`` in place; returns (m, v)."""
    exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
    lerp_(exp_avg, grad, 1 - beta1)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * grad * grad
    return exp_avg, exp_avg_sq


class Adam(Optimizer):
    r"""Adam as PyTorch computes it (``torch.optim.Adam``): with ``g = grad + weight_decay * p``
    (or, with ``decoupled_weight_decay``, ``p = p (1 - lr weight_decay)`` first, as AdamW),
    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2`` (AMSGrad: ``v_max = max(v_max, v)``
    used for ``v``), and at step t
    ``p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)``.

    ``foreach``, ``fused``, ``capturable`` and ``differentiable`` choose PyTorch's
    implementation, not the result; only their CPU defaults are accepted."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = hyperparameters(locals())
        owner = type(self).__name__
        for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
            check_range(owner, name, value)
        if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"{owner}: betas must be two numbers in [0, 1), got {betas}")
        super().__init__(params, defaults)

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, amsgrad = group["lr"], group["amsgrad"]
            for p, grad in self._params_with_grad(group):
                state = self.state[p]
                if not state:
                    state["step"] = scalar_step()
                    new_moments(state, p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = zeros_like(p)
                step = advance_step(state)
                grad = apply_weight_decay(group, p, grad)
                exp_avg, exp_avg_sq = update_moments(state, grad, beta1, beta2)
                if amsgrad:
                    largest = state["max_exp_avg_sq"]._data
                    np.maximum(largest, exp_avg_sq, out=largest)
                    exp_avg_sq = largest
                step_size = lr / (1 - beta1**step)
                denom = np.sqrt(exp_avg_sq) / (1 - beta2**step) ** 0.5 + group["eps"]
                p._data -= step_size * exp_avg / denom
        return loss


class AdamW(Adam):
    r"""AdamW (``torch.optim.AdamW``): Adam whose weight decay is decoupled from the gradient,
    ``p = p (1 - lr weight_decay)`` before the Adam update; ``weight_decay`` defaults to 0.01."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def _after_load(self) -> None:
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
