"""``Optimizer``: parameter groups, per-parameter state, hooks, and saving both in PyTorch's layout.

``param_groups`` is a list of dicts (``params`` plus that group's hyperparameters) that ``step``
reads afresh every time, so ``for g in opt.param_groups: g["lr"] = 0.01`` takes effect at the next
step, as in PyTorch. ``state`` maps each parameter to its buffers (``momentum_buffer``,
``exp_avg``, ``step``, ...), all cnnlab tensors; ``state_dict()`` numbers the parameters in group
order, so a state saved by PyTorch loads here and the other way round.
"""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from cnnlab.autograd.tensor import Tensor
from cnnlab.ops.floating import quietly
from cnnlab.optim.hooks import RemovableHandle


class _RequiredParameter:
    """Marks a hyperparameter without a default (``SGD``'s ``lr`` in old PyTorch versions)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

# PyTorch flags that choose an implementation rather than the mathematics, and the values under
# which PyTorch on the CPU runs its single-tensor path -- the one cnnlab computes.
IMPLEMENTATION_FLAGS = {
    "foreach": ((None, False), "the multi-tensor (foreach) implementation"),
    "fused": ((None, False), "the fused-kernel implementation"),
    "capturable": ((False,), "CUDA-graph capture"),
    "differentiable": ((False,), "differentiating through the optimizer step"),
}


def _with_hooks(step: Callable) -> Callable:
    """Run the step hooks around ``step`` and note that the optimizer has stepped (schedulers
    warn when they step first)."""

    @functools.wraps(step)
    @quietly
    def hooked_step(self, *args, **kwargs):
        if self.__dict__.get("_in_step"):
            return step(self, *args, **kwargs)
        self._in_step = True
        try:
            for hook in list(self._step_pre_hooks.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    args, kwargs = result
            out = step(self, *args, **kwargs)
            self._opt_called = True
            for hook in list(self._step_post_hooks.values()):
                hook(self, args, kwargs)
            return out
        finally:
            self._in_step = False

    hooked_step.hooked = True
    return hooked_step


class Optimizer:
    """Holds ``param_groups`` (lists of parameters with their hyperparameters) and ``state``
    (per-parameter buffers such as momentum); subclasses define ``step``.

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs (``named_parameters()``),
    or of dicts ``{"params": ..., "lr": ...}`` that each make a group with its own options.
    """

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _with_hooks(step)

    def __init__(self, params: Iterable, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._step_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._step_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._state_dict_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._state_dict_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._load_state_dict_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
        self._load_state_dict_post_hooks: OrderedDict[int, Callable] = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or dicts, "
                "got a single Tensor (wrap it in a list)"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"

    # ----- groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group (``{"params": [...], "lr": ...}``); options it leaves out take the
        optimizer's defaults. The dict itself becomes the group, as in PyTorch."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs; use a list instead"
            )
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names and len(names) != len(params):
            raise ValueError("all optimizer params should be with or without names")
        param_group["params"] = params
        if names:
            param_group["param_names"] = names
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{type(self).__name__} can only optimize Tensors, got {type(p).__name__}"
                )
            if not (p.is_leaf or p._retains_grad):
                raise ValueError(f"{type(self).__name__} can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required {name}")
            param_group.setdefault(name, default)
        self._check_group(param_group)
        if len({id(p) for p in params}) != len(params):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error",
                stacklevel=3,
            )
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for group in self.param_groups:
            if ("param_names" in group) != ("param_names" in param_group):
                raise ValueError("all optimizer param groups should be with or without names")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def _check_group(self, group: dict) -> None:
        """Refuse what cnnlab does not compute: implementation flags away from PyTorch's CPU
        path, and hyperparameters given as tensors."""
        owner = type(self).__name__
        for flag, (allowed, meaning) in IMPLEMENTATION_FLAGS.items():
            if flag in group and group[flag] not in allowed:
                raise NotImplementedError(
                    f"{owner}: {flag}={group[flag]!r} ({meaning}) is not supported; cnnlab "
                    f"computes PyTorch's single-tensor CPU path: leave {flag} at {allowed[0]!r}"
                )
        for key, value in group.items():
            values = value if isinstance(value, tuple) else (value,)
            if key != "params" and any(hasattr(v, "detach") for v in values):
                raise NotImplementedError(
                    f"{owner}: {key} given as a Tensor is not supported; give a Python float"
                )

    # ----- gradients and steps
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's ``.grad``: to None (the default) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.detach_()
                    p.grad.zero_()

    def step(self, closure: Callable | None = None):
        raise NotImplementedError

    @staticmethod
    def _params_with_grad(group: dict):
        """The group's parameters that have a gradient, with that gradient as an array
        (negated under ``maximize``)."""
        for p in group["params"]:
            if p.grad is not None:
                yield p, (-p.grad._data if group.get("maximize") else p.grad._data)

    # ----- hooks
    def _register(self, hooks: OrderedDict, hook: Callable, prepend: bool = False):
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` before each step; may return new (args, kwargs)."""
        return self._register(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """``hook(optimizer, args, kwargs)`` after each step."""
        return self._register(self._step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        return self._register(self._state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        return self._register(self._state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        return self._register(self._load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        return self._register(self._load_state_dict_post_hooks, hook, prepend)

    # ----- saving
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``, the
        parameters numbered in group order as PyTorch numbers them. Buffers are shared, not
        copied (as in PyTorch): the next step changes them."""
        for hook in self._state_dict_pre_hooks.values():
            hook(self)
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        result = {"state": state, "param_groups": groups}
        for hook in self._state_dict_post_hooks.values():
            result = hook(self, result) or result
        return result

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state from :meth:`state_dict`, cnnlab's or PyTorch's (its tensors become cnnlab
        tensors of each parameter's dtype; ``step`` keeps its own)."""
        state_dict = state_dict.copy()
        for hook in self._load_state_dict_pre_hooks.values():
            state_dict = hook(self, state_dict) or state_dict
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, this optimizer "
                f"has {len(self.param_groups)}"
            )
        for i, (saved, own) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(
                    f"loaded state dict's parameter group {i} has {len(saved['params'])} "
                    f"parameters, this optimizer's has {len(own['params'])}"
                )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in self.param_groups),
                strict=True,
            )
        )
        state: defaultdict[Any, dict] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                state[id_map[key]] = _cast_state(id_map[key], value)
            else:
                state[key] = value
        for own, saved in zip(self.param_groups, saved_groups, strict=True):
            saved["params"] = own["params"]
            if "param_names" in own and "param_names" not in saved:
                saved["param_names"] = own["param_names"]
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
            self._check_group(saved)
        self.state, self.param_groups = state, saved_groups
        self._after_load()
        for hook in self._load_state_dict_post_hooks.values():
            hook(self)

    def _after_load(self) -> None:
        """Subclasses restore group options a saved state may not carry (AdamW's decay)."""


def _cast_state(param: Tensor, value: Any, key: Any = None) -> Any:
    """``value`` with every tensor made a cnnlab tensor on the CPU; floating-point buffers take
    the parameter's dtype, ``step`` keeps its own (PyTorch's rule)."""
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_cast_state(param, v) for v in value)
    if isinstance(value, Tensor):
        array = value._data
    elif hasattr(value, "detach") or isinstance(value, np.ndarray):
        array = np.array(_plain_array(value))
    else:
        return value
    if key != "step" and np.dtype(param.dtype).kind == "f" and array.dtype != param.dtype:
        array = array.astype(param.dtype)
    return value if isinstance(value, Tensor) and array is value._data else Tensor._wrap(array)


def _plain_array(value: Any) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    return value.detach().cpu().numpy()


# ----- helpers the optimizers share


def check_range(owner: str, name: str, value: float, low: float = 0.0, high: float | None = None):
    """Raise ``ValueError`` naming ``name`` unless ``low <= value`` (and ``value <= high``)."""
    if hasattr(value, "detach"):
        return
    if value < low or (high is not None and value > high):
        bound = f">= {low:g}" if high is None else f"in [{low:g}, {high:g}]"
        raise ValueError(f"{owner}: {name} must be {bound}, got {value!r}")


def scalar_step() -> Tensor:
    """A fresh step counter: a 0-d float32 tensor, as PyTorch keeps it."""
    return Tensor._wrap(np.zeros((), dtype=np.float32))


def advance_step(state: dict) -> float:
    """Add one to ``state['step']`` (a tensor, or a number from an old saved state) and return
    the new count as a Python float."""
    step = state["step"]
    if isinstance(step, Tensor):
        step._data += 1
        return float(step._data)
    state["step"] = Tensor._wrap(np.array(float(step) + 1, dtype=np.float32))
    return float(state["step"]._data)


def zeros_like(p: Tensor, fill: float = 0.0) -> Tensor:
    """A buffer shaped and typed like parameter ``p``."""
    return Tensor._wrap(np.full_like(p._data, fill))


def lerp_(buffer: np.ndarray, end: np.ndarray, weight: float) -> None:
    """``buffer += weight * (end - buffer)`` in place, evaluated as PyTorch's ``lerp_`` does
    (from the nearer end: for ``weight >= 0.5`` as ``end - (end - buffer) * (1 - weight)``),
    so that a running average with ``beta = 0`` is the new value exactly."""
    weight = buffer.dtype.type(weight)
    if abs(weight) < 0.5:
        buffer += weight * (end - buffer)
    else:
        buffer[...] = end - (end - buffer) * (buffer.dtype.type(1) - weight)


def hyperparameters(arguments: dict) -> dict:
    """An optimizer's defaults: the keyword arguments of its ``__init__`` (``locals()`` taken
    first thing), without ``self`` and ``params``; betas become a tuple."""
    defaults = {k: v for k, v in arguments.items() if k not in ("self", "params", "__class__")}
    if "betas" in defaults:
        defaults["betas"] = tuple(defaults["betas"])
    return defaults
