"""The arguments of ``Module.to()``: a device, a dtype, a tensor, or keywords. The device is
checked by the engine's ``check_device``: the CPU, or a clear error."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.devices import DEVICE_TYPES, check_device, device
from cnnlab.autograd.tensor import Tensor


def is_device(value) -> bool:
    """A ``cnnlab.device``, a device string (``'cpu'``, ``'cuda:0'``) or a ``torch.device``."""
    if isinstance(value, device):
        return True
    kind = getattr(value, "type", value)
    return isinstance(kind, str) and kind.split(":")[0] in DEVICE_TYPES


def parse_to(*args, **kwargs) -> np.dtype | None:
    """The dtype asked of ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` or
    keywords; the device must be the CPU."""
    dtype = kwargs.pop("dtype", None)
    target = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif is_device(arg):
            target = arg
        elif isinstance(arg, bool):
            continue  # non_blocking given positionally
        elif arg is not None:
            dtype = arg
    if target is not None:
        check_device(target if isinstance(target, device | str) else str(target), "Module.to")
    return None if dtype is None else np.dtype(dtype)
