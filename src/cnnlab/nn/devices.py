"""The one device cnnlab computes on, and the arguments of ``to()``: a device, a dtype, a
tensor, or keywords."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.tensor import Tensor

_DEVICES = ("cuda", "mps", "xpu", "xla", "meta", "hip", "vulkan", "ipu", "hpu", "mtia")


def device_type(device) -> str:
    """``'cpu'`` for the one device cnnlab has; a clear error for any other."""
    kind = getattr(device, "type", device)
    kind = str(kind).split(":")[0]
    if kind != "cpu":
        raise RuntimeError(
            f"cnnlab computes on the CPU only: cannot move to device {str(device)!r} "
            "(cnnlab.cuda.is_available() is False)"
        )
    return kind


def _is_device(value) -> bool:
    if hasattr(value, "type") and not isinstance(value, np.dtype | type):
        return True
    return isinstance(value, str) and value.split(":")[0] in ("cpu", *_DEVICES)


def parse_to(*args, **kwargs) -> np.dtype | None:
    """The dtype asked of ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(tensor)`` or
    keywords; the device must be the CPU."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif _is_device(arg):
            device = arg
        elif isinstance(arg, bool):
            continue  # non_blocking given positionally
        elif arg is not None:
            dtype = arg
    if device is not None:
        device_type(device)
    return None if dtype is None else np.dtype(dtype)
