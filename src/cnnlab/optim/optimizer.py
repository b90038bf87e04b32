"""``Optimizer``: parameter groups, per-parameter state, and saving both."""

from __future__ import annotations

import copy
from collections.abc import Iterable

import numpy as np

from cnnlab.autograd.tensor import Tensor


class Optimizer:
    """Holds ``param_groups`` (lists of parameters with their hyperparameters) and ``state``
    (per-parameter buffers such as momentum); subclasses define ``step``."""

    def __init__(self, params: Iterable, defaults: dict) -> None:
        self.defaults = defaults
        self.state: dict[int, dict] = {}
        self.param_groups: list[dict] = []
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        group = dict(group)
        params = group["params"]
        group["params"] = [params] if isinstance(params, Tensor) else list(params)
        for p in group["params"]:
            if not isinstance(p, Tensor) or not p.is_leaf:
                raise TypeError(
                    f"{type(self).__name__} can only optimize leaf Tensors, got {type(p).__name__}"
                )
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.zero_()

    def _state_of(self, p: Tensor) -> dict:
        return self.state.setdefault(id(p), {})

    def step(self, closure=None):
        raise NotImplementedError

    def _params(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self) -> dict:
        """``{'state': {index: {...}}, 'param_groups': [...]}`` with parameters as indices,
        PyTorch's layout; arrays are copies."""
        index = {id(p): i for i, p in enumerate(self._params())}
        groups = []
        for group in self.param_groups:
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = [index[id(p)] for p in group["params"]]
            groups.append(saved)
        state = {
            index[key]: {k: np.array(v, copy=True) for k, v in entry.items()}
            for key, entry in self.state.items()
            if key in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
            len(g["params"]) != len(own["params"])
            for g, own in zip(groups, self.param_groups, strict=False)
        ):
            raise ValueError(
                "loaded optimizer state does not match this optimizer's parameter groups"
            )
        params = self._params()
        for group, own in zip(groups, self.param_groups, strict=True):
            own.update({k: copy.deepcopy(v) for k, v in group.items() if k != "params"})
        self.state = {}
        for i, entry in state_dict["state"].items():
            p = params[int(i)]
            self.state[id(p)] = {
                k: np.array(_values(v), dtype=p._data.dtype if k != "step" else np.float64)
                for k, v in entry.items()
            }


def _values(value):
    if isinstance(value, Tensor):
        return value._data
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    return value
