"""The global random generator behind initialization, dropout and shuffling."""

from __future__ import annotations

import numpy as np

_state = {"generator": np.random.default_rng()}


def generator() -> np.random.Generator:
    """The generator all of cnnlab draws from unless given its own."""
    return _state["generator"]


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the global generator: the same seed gives the same weights, batches and masks."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    _state["generator"] = np.random.default_rng(int(seed))
    return _state["generator"]


def get_rng_state() -> dict:
    """The global generator's state, to store in a checkpoint."""
    return _state["generator"].bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state from :func:`get_rng_state`."""
    _state["generator"].bit_generator.state = state
