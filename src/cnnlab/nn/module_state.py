"""``state_dict`` and ``load_state_dict`` of ``Module``, with PyTorch's key names, its
missing/unexpected-key bookkeeping and its error messages."""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

import numpy as np

from cnnlab.autograd.size import Size
from cnnlab.autograd.tensor import Tensor
from cnnlab.nn.parameter import Parameter, as_array, is_lazy


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (
            f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
            f"unexpected_keys={self.unexpected_keys})"
        )


def _is_array_like(value) -> bool:
    return isinstance(value, Tensor | np.ndarray | np.generic | int | float) or (
        hasattr(value, "detach") and hasattr(value, "numpy")
    )


class StateDictMixin:
    """Saving and loading the parameters and persistent buffers of a module tree."""

    def _local_state(self) -> dict:
        """This module's own parameters and persistent buffers that are not None."""
        state = {k: v for k, v in self._parameters.items() if v is not None}
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers:
                state[name] = buffer
        return state

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        for name, value in self._local_state().items():
            lazy_or_kept = keep_vars or is_lazy(value)
            destination[prefix + name] = value if lazy_or_kept else value.detach()

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """Parameters and persistent buffers by PyTorch's key names (``conv1.weight``, ...),
        detached but sharing memory with the module."""
        if args:  # the deprecated positional form (destination, prefix, keep_vars)
            destination, prefix, keep_vars = (*args, destination, prefix, keep_vars)[:3]
        destination = OrderedDict() if destination is None else destination
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        return destination

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, errors
    ) -> None:
        """Copy this module's own entries of ``state_dict``; record what is missing or extra."""
        local_state = self._local_state()
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not _is_array_like(value):
                errors.append(
                    f'While copying the parameter named "{key}", expected a Tensor or an array '
                    f"from checkpoint but received {type(value)}"
                )
                continue
            array = as_array(value)
            target_shape = param._data.shape
            if target_shape == () and array.shape == (1,):
                array = array[0]
            if array.shape != target_shape:
                errors.append(
                    f"size mismatch for {key}: copying a param with shape {Size(array.shape)} "
                    f"from checkpoint, the shape in current model is {Size(target_shape)}."
                )
                continue
            if assign:
                self._assign(name, param, array)
            else:
                param._data[...] = array
        if strict:
            for key in state_dict:
                if not key.startswith(prefix):
                    continue
                head, *rest = key[len(prefix) :].split(".", 1)
                if (rest and head not in self._modules) or (not rest and head not in local_state):
                    unexpected_keys.append(key)

    def _assign(self, name: str, current: Tensor, array: np.ndarray) -> None:
        """``load_state_dict(assign=True)``: the loaded values replace the tensor itself."""
        value = Tensor._wrap(np.array(array, copy=True))
        if isinstance(current, Parameter):
            self._parameters[name] = Parameter(value, requires_grad=current.requires_grad)
        else:
            self._buffers[name] = value

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Copy values into the parameters and buffers; values may be cnnlab or PyTorch tensors
        or NumPy arrays. With ``strict``, missing or unexpected keys are an error. Returns
        ``(missing_keys, unexpected_keys)``."""
        if not hasattr(state_dict, "items"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        metadata = getattr(state_dict, "_metadata", None) or {}
        state_dict = OrderedDict(state_dict)
        missing: list[str] = []
        unexpected: list[str] = []
        errors: list[str] = []

        def load(module, local_state_dict: dict, prefix: str = "") -> None:
            local_metadata = dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = True
            module._load_from_state_dict(
                local_state_dict, prefix, local_metadata, True, missing, unexpected, errors
            )
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_state = {
                        k: v for k, v in local_state_dict.items() if k.startswith(child_prefix)
                    }
                    load(child, child_state, child_prefix)

        load(self, state_dict)
        if strict:
            if unexpected:
                listed = ", ".join(f'"{k}"' for k in unexpected)
                errors.insert(0, f"Unexpected key(s) in state_dict: {listed}. ")
            if missing:
                listed = ", ".join(f'"{k}"' for k in missing)
                errors.insert(0, f"Missing key(s) in state_dict: {listed}. ")
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        return IncompatibleKeys(missing, unexpected)
