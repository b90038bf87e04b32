"""Adagrad (Duchi, Hazan and Singer, 2011): each coordinate's step divided by the root of its
summed squared gradients."""

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


class Adagrad(Optimizer):
    r"""Adagrad as PyTorch computes it (``torch.optim.Adagrad``): at step t, with
    ``g = grad + weight_decay * p``, ``lr_t = lr / (1 + (t - 1) lr_decay)``,
    ``s = s + g^2`` (``s`` starts at ``initial_accumulator_value``), then
    ``p = p - lr_t * g / (sqrt(s) + eps)``.

    As in PyTorch the state of every parameter exists from construction, and a group added
    later starts its sums at the optimizer's ``initial_accumulator_value``. ``foreach``,
    ``fused`` and ``differentiable`` choose PyTorch's implementation, not the result; only their
    CPU defaults are accepted."""

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = hyperparameters(locals())
        for name, value in (
            ("lr", lr),
            ("lr_decay", lr_decay),
            ("weight_decay", weight_decay),
            ("initial_accumulator_value", initial_accumulator_value),
            ("eps", eps),
        ):
            check_range("Adagrad", name, value)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(self.state[p], p)

    def _init_state(self, state: dict, p) -> None:
        state["step"] = scalar_step()
        state["sum"] = zeros_like(p, self.defaults["initial_accumulator_value"])

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            lr, decay = group["lr"], group["weight_decay"]
            for p, grad in self._params_with_grad(group):
                state = self.state[p]
                if not state:
                    self._init_state(state, p)
                step = advance_step(state)
                if decay != 0:
                    grad = grad + decay * p._data
                clr = lr / (1 + (step - 1) * group["lr_decay"])
                total = state["sum"]._data
                total += grad * grad
                p._data -= clr * grad / (np.sqrt(total) + group["eps"])
        return loss
