"""``cnnlab.amp`` (also ``cnnlab.cuda.amp``): mixed precision, which cnnlab does not have (it
computes in float32 and float64).

As PyTorch does on a machine without a GPU, ``autocast("cuda")`` and ``GradScaler()`` warn and
disable themselves, so programs written for a GPU run unchanged; CPU autocast, which would
really compute in bfloat16, raises ``NotImplementedError``.
"""

from __future__ import annotations

import functools
import warnings


class autocast:
    """A context (and decorator) that computes in full precision: ``autocast("cuda")`` is
    disabled with a warning (no GPU), ``autocast("cpu")`` is not available."""

    def __init__(self, device_type: str = "cuda", dtype=None, enabled: bool = True, **options):
        if enabled and device_type == "cpu":
            raise NotImplementedError("autocast('cpu'): mixed precision (bfloat16) computation")
        if enabled:
            warnings.warn(
                f"autocast: device_type {device_type!r} is not available (cnnlab computes on the "
                "CPU); disabling autocast",
                stacklevel=2,
            )

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc) -> None:
        return None

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return func(*args, **kwargs)

        return wrapper


class GradScaler:
    """A loss scaler, always disabled (with a warning if asked for): ``scale`` returns the loss
    as it is and ``step`` calls ``optimizer.step()``."""

    def __init__(self, device: str = "cuda", init_scale: float = 65536.0, enabled=True, **options):
        if enabled:
            warnings.warn(
                "GradScaler is enabled, but there is no GPU (cnnlab computes on the CPU); "
                "disabling it",
                stacklevel=2,
            )

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer) -> None:
        return None

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        return None

    def is_enabled(self) -> bool:
        return False

    def get_scale(self) -> float:
        return 1.0

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        return None
