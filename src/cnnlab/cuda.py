"""``cnnlab.cuda``: there is no GPU here. ``is_available()`` is False and ``device_count()`` 0,
so programs that choose their device with them run on the CPU; seeding is accepted (there is
nothing to seed); anything that needs a GPU raises a clear error."""

from __future__ import annotations

from cnnlab import amp
from cnnlab.autograd.errors import missing_in


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Nothing to seed without a GPU (as PyTorch, which ignores it then)."""


manual_seed_all = manual_seed


def empty_cache() -> None:
    """Nothing is cached without a GPU."""


def _no_gpu(what: str):
    raise RuntimeError(f"cnnlab.cuda.{what}: cnnlab computes on the CPU only; there is no GPU")


def current_device() -> int:
    _no_gpu("current_device()")


def get_device_name(device=None) -> str:
    _no_gpu("get_device_name()")


def synchronize(device=None) -> None:
    _no_gpu("synchronize()")


def set_device(device) -> None:
    _no_gpu("set_device()")


__all__ = ["amp", "device_count", "empty_cache", "is_available", "manual_seed"]

# a torch name this module does not have raises NotImplementedError naming it
__getattr__ = missing_in("cnnlab.cuda")
