"""Random numbers: ``Generator`` (as ``torch.Generator``), the global one behind
initialization, dropout and shuffling, and ``manual_seed``.

The streams are NumPy's (PCG64), not PyTorch's: the same seed gives the same numbers on every
run of cnnlab, but not the numbers PyTorch would draw.
"""

from __future__ import annotations

import numpy as np


class Generator:
    """A random stream of its own: ``g = Generator().manual_seed(0)``, then
    ``cnnlab.randn(3, generator=g)``. NumPy's generator methods (``permutation``, ``integers``,
    ``random``, ...) are available on it directly."""

    def __init__(self, device="cpu") -> None:
        from cnnlab.autograd.devices import check_device

        check_device(device, "Generator")
        self._seed = int(np.random.SeedSequence().entropy % 2**63)
        self._rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns the generator (so calls chain)."""
        self._seed = _checked_seed(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self) -> int:
        """Restart from a fresh random seed; returns it."""
        seed = int(np.random.SeedSequence().entropy % 2**63)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self._rng.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        self._rng.bit_generator.state = state
        return self

    @property
    def device(self):
        from cnnlab.autograd.devices import CPU

        return CPU

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._rng, name)


default_generator = Generator()


def _checked_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    return int(seed)


def generator(chosen: Generator | None = None) -> np.random.Generator:
    """The NumPy generator to draw from: ``chosen``'s, else the global one's."""
    if chosen is None:
        return default_generator._rng
    if not isinstance(chosen, Generator):
        raise TypeError(f"generator must be a cnnlab.Generator, got {type(chosen).__name__}")
    return chosen._rng


def manual_seed(seed: int) -> Generator:
    """Reseed the global generator: the same seed gives the same weights, batches and masks."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Reseed the global generator from fresh entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> dict:
    """The global generator's state, to store in a checkpoint."""
    return default_generator.get_state()


def set_rng_state(state: dict) -> None:
    """Restore a state from :func:`get_rng_state`."""
    default_generator.set_state(state)
