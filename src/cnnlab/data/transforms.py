"""Batch transforms on NumPy image batches of shape (N, C, H, W).

Each transform is a callable ``t(batch, rng) -> batch``. The random ones draw everything they need
for the whole batch from ``rng`` (a ``numpy.random.Generator``) at once and apply it with one
fancy-indexing gather, with no Python loop over samples: the same seed gives the same output.
The deterministic ones ignore ``rng``.

Example:
    >>> rng = np.random.default_rng(0)
    >>> augment = Compose([RandomCrop(32, padding=4), RandomHorizontalFlip()])
    >>> normalize = Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    >>> batch = normalize(augment(to_float(np.zeros((8, 3, 32, 32), np.uint8)), rng), rng)
    >>> batch.shape, batch.dtype
    ((8, 3, 32, 32), dtype('float32'))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Transform = Callable[[np.ndarray, np.random.Generator], np.ndarray]


def check_batch(name: str, batch: np.ndarray) -> None:
    """Raise unless ``batch`` is a 4-D NumPy array (N, C, H, W)."""
    if not isinstance(batch, np.ndarray):
        raise TypeError(f"{name}: batch must be a numpy array, got {type(batch).__name__}")
    if batch.ndim != 4:
        raise ValueError(f"{name}: batch must have shape (N, C, H, W), got shape {batch.shape}")


def check_rng(name: str, rng: object) -> None:
    """Raise TypeError unless ``rng`` is a ``numpy.random.Generator``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name}: rng must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {type(rng).__name__}"
        )


def check_non_negative_int(name: str, argument: str, value: object) -> int:
    """Return ``value`` if it is an int >= 0, else raise naming ``argument``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name}: {argument} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{name}: {argument} must be >= 0, got {value}")
    return int(value)


def to_float(images: np.ndarray) -> np.ndarray:
    """Convert ``uint8`` images to ``float32`` in [0, 1] (as torchvision's ``ToTensor``).

    Shapes: ``(N, H, W)`` becomes ``(N, 1, H, W)``; ``(N, C, H, W)`` is kept.
    """
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        kind = images.dtype if isinstance(images, np.ndarray) else type(images).__name__
        raise TypeError(f"to_float: images must be a uint8 numpy array, got {kind}")
    if images.ndim == 3:
        images = images[:, np.newaxis]
    elif images.ndim != 4:
        raise ValueError(
            f"to_float: images must have shape (N, H, W) or (N, C, H, W), got {images.shape}"
        )
    return images.astype(np.float32) / np.float32(255)


def pad_and_crop(
    batch: np.ndarray, padding: int, tops: np.ndarray, lefts: np.ndarray, size: tuple[int, int]
) -> np.ndarray:
    """Zero-pad ``batch`` by ``padding`` on each side, then crop ``size`` at per-sample offsets.

    Sample ``n`` of the output is ``padded[n, :, tops[n]:tops[n]+h, lefts[n]:lefts[n]+w]``,
    gathered for the whole batch with one fancy index.
    """
    n, c = batch.shape[:2]
    height, width = size
    pad = ((0, 0), (0, 0), (padding, padding), (padding, padding))
    padded = np.pad(batch, pad) if padding else batch
    rows = tops[:, np.newaxis] + np.arange(height)
    cols = lefts[:, np.newaxis] + np.arange(width)
    return padded[
        np.arange(n)[:, None, None, None],
        np.arange(c)[None, :, None, None],
        rows[:, None, :, None],
        cols[:, None, None, :],
    ]


def shift(batch: np.ndarray, dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """Translate each sample by integer offsets, filling with zeros.

    ``out[n, c, y, x] = batch[n, c, y - dy[n], x - dx[n]]`` where that index is inside the image,
    else 0: a positive ``dy`` moves the content down, a positive ``dx`` to the right.
    """
    check_batch("shift", batch)
    dy, dx = np.asarray(dy, dtype=np.int64), np.asarray(dx, dtype=np.int64)
    if dy.shape != (len(batch),) or dx.shape != (len(batch),):
        raise ValueError(
            f"shift: dy and dx must have shape ({len(batch)},), got {dy.shape} and {dx.shape}"
        )
    margin = int(max(np.abs(dy).max(initial=0), np.abs(dx).max(initial=0)))
    return pad_and_crop(batch, margin, margin - dy, margin - dx, batch.shape[2:])


class Normalize:
    """Per-channel normalization ``out[:, c] = (batch[:, c] - mean[c]) / std[c]``.

    The chapter uses ``Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))``, mapping [0, 1] to [-1, 1].
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        self.mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        self.std = np.asarray(std, dtype=np.float64).reshape(-1)
        if self.mean.size == 0 or self.mean.shape != self.std.shape:
            raise ValueError(
                f"Normalize: mean and std must have one value per channel and the same length, "
                f"got {len(self.mean)} and {len(self.std)} values"
            )
        if not np.all(self.std > 0):
            raise ValueError(f"Normalize: std must be > 0, got {tuple(self.std.tolist())}")

    def __call__(self, batch: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        check_batch("Normalize", batch)
        if batch.shape[1] != len(self.mean):
            raise ValueError(
                f"Normalize: batch has {batch.shape[1]} channels (shape {batch.shape}) but mean "
                f"and std have {len(self.mean)} values"
            )
        dtype = batch.dtype if np.issubdtype(batch.dtype, np.floating) else np.float32
        mean = self.mean.astype(dtype)[:, None, None]
        std = self.std.astype(dtype)[:, None, None]
        return ((batch - mean) / std).astype(dtype, copy=False)

    def __repr__(self) -> str:
        return f"Normalize(mean={tuple(self.mean.tolist())}, std={tuple(self.std.tolist())})"


class RandomCrop:
    """Zero-pad by ``padding`` then crop ``size`` at a random position per sample.

    As torchvision's ``RandomCrop(32, padding=4)``: offsets uniform in
    ``0 .. H + 2*padding - size``. Output: ``(N, C, size_h, size_w)``.
    """

    def __init__(self, size: int | tuple[int, int], padding: int = 0) -> None:
        if isinstance(size, int | np.integer):
            sizes = (size, size)
        elif isinstance(size, Sequence) and len(size) == 2:
            sizes = tuple(size)
        else:
            raise TypeError(f"RandomCrop: size must be an int or (height, width), got {size!r}")
        self.size = tuple(check_non_negative_int("RandomCrop", "size", s) for s in sizes)
        if min(self.size) == 0:
            raise ValueError(f"RandomCrop: size must be positive, got {size!r}")
        self.padding = check_non_negative_int("RandomCrop", "padding", padding)

    def __call__(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        check_batch("RandomCrop", batch)
        check_rng("RandomCrop", rng)
        room = [batch.shape[axis] + 2 * self.padding - self.size[axis - 2] for axis in (2, 3)]
        if min(room) < 0:
            raise ValueError(
                f"RandomCrop: crop size {self.size} is larger than the padded image "
                f"{tuple(s + 2 * self.padding for s in batch.shape[2:])} (batch shape "
                f"{batch.shape}, padding {self.padding})"
            )
        tops = rng.integers(0, room[0] + 1, size=len(batch))
        lefts = rng.integers(0, room[1] + 1, size=len(batch))
        return pad_and_crop(batch, self.padding, tops, lefts, self.size)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror each sample left-right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p}")
        self.p = float(p)

    def __call__(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        check_batch("RandomHorizontalFlip", batch)
        check_rng("RandomHorizontalFlip", rng)
        flip = rng.random(len(batch)) < self.p
        return np.where(flip[:, None, None, None], batch[..., ::-1], batch)

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class RandomShift:
    """Translate each sample by a random integer offset in ``-max_shift .. max_shift`` per axis.

    The image size is kept and uncovered pixels are zero (small shifts for MNIST).
    """

    def __init__(self, max_shift: int = 2) -> None:
        self.max_shift = check_non_negative_int("RandomShift", "max_shift", max_shift)

    def __call__(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        check_batch("RandomShift", batch)
        check_rng("RandomShift", rng)
        dy, dx = rng.integers(-self.max_shift, self.max_shift + 1, size=(2, len(batch)))
        return shift(batch, dy, dx)

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift})"


class Compose:
    """Apply transforms in order, passing the same ``rng`` to each."""

    def __init__(self, transforms: Sequence[Transform]) -> None:
        self.transforms = list(transforms)
        for index, transform in enumerate(self.transforms):
            if not callable(transform):
                raise TypeError(
                    f"Compose: transforms[{index}] must be callable as t(batch, rng), "
                    f"got {transform!r}"
                )

    def __call__(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for transform in self.transforms:
            batch = transform(batch, rng)
        return batch

    def __repr__(self) -> str:
        inner = "".join(f"\n    {transform!r}," for transform in self.transforms)
        return f"Compose([{inner}\n])"
