"""Batch transforms: shapes, types, reproducibility, and each one against a reference."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from cnnlab.data import (
    Compose,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    RandomShift,
    shift,
    to_float,
)


def random_batch(shape: tuple[int, ...], seed: int = 0, dtype: type = np.float32) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def rolled_with_zero_fill(image: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Reference shift: np.roll, then zero the rows and columns that wrapped around."""
    out = np.roll(image, (dy, dx), axis=(-2, -1))
    if dy > 0:
        out[..., :dy, :] = 0
    elif dy < 0:
        out[..., dy:, :] = 0
    if dx > 0:
        out[..., :, :dx] = 0
    elif dx < 0:
        out[..., :, dx:] = 0
    return out


def crops_of(image: np.ndarray, padding: int, size: tuple[int, int]) -> list[np.ndarray]:
    """Every ``size`` window of ``image`` zero-padded by ``padding``."""
    padded = np.pad(image, ((0, 0), (padding, padding), (padding, padding)))
    rows = padded.shape[1] - size[0] + 1
    cols = padded.shape[2] - size[1] + 1
    return [
        padded[:, top : top + size[0], left : left + size[1]]
        for top, left in itertools.product(range(rows), range(cols))
    ]


def test_to_float_scales_and_adds_the_channel_axis() -> None:
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    result = to_float(images)
    assert result.shape == (1, 1, 2, 2) and result.dtype == np.float32
    np.testing.assert_allclose(result[0, 0], [[0.0, 1.0], [0.2, 0.4]], rtol=1e-6)
    colour = np.zeros((2, 3, 4, 5), dtype=np.uint8)
    assert to_float(colour).shape == (2, 3, 4, 5)


@pytest.mark.parametrize(
    ("images", "error", "problem"),
    [
        (np.zeros((2, 4, 4), dtype=np.float32), TypeError, "uint8"),
        ([[1, 2]], TypeError, "uint8 numpy array, got list"),
        (np.zeros((4, 4), dtype=np.uint8), ValueError, r"\(N, H, W\) or \(N, C, H, W\)"),
    ],
)
def test_to_float_rejects_bad_input(images: object, error: type, problem: str) -> None:
    with pytest.raises(error, match=problem):
        to_float(images)  # type: ignore[arg-type]


def test_normalize_matches_the_formula_per_channel() -> None:
    batch = random_batch((4, 3, 5, 5))
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    result = Normalize(mean, std)(batch)
    expected = np.stack([(batch[:, c] - mean[c]) / std[c] for c in range(3)], axis=1)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, expected, rtol=1e-6)


def test_normalize_chapter_values_map_unit_interval_to_minus_one_one() -> None:
    batch = np.array([0.0, 0.5, 1.0], dtype=np.float32).reshape(1, 3, 1, 1)
    result = Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))(batch, np.random.default_rng(0))
    np.testing.assert_array_equal(result.ravel(), [-1.0, 0.0, 1.0])


@pytest.mark.parametrize(
    ("mean", "std", "problem"),
    [
        ((0.5, 0.5), (0.5,), "same length, got 2 and 1"),
        ((), (), "one value per channel"),
        ((0.5,), (0.0,), "std must be > 0"),
    ],
)
def test_normalize_rejects_bad_arguments(mean: tuple, std: tuple, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Normalize(mean, std)


def test_normalize_names_channel_mismatch() -> None:
    with pytest.raises(ValueError, match=r"batch has 1 channels .* mean and std have 3 values"):
        Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))(random_batch((2, 1, 4, 4)))


def test_crop_of_full_size_without_padding_is_identity() -> None:
    batch = random_batch((5, 3, 8, 8))
    result = RandomCrop(8, padding=0)(batch, np.random.default_rng(0))
    np.testing.assert_array_equal(result, batch)


def test_crop_with_padding_picks_a_window_of_the_padded_image() -> None:
    batch = random_batch((20, 2, 6, 7))
    result = RandomCrop((6, 7), padding=2)(batch, np.random.default_rng(1))
    assert result.shape == batch.shape and result.dtype == batch.dtype
    offsets = set()
    for image, cropped in zip(batch, result, strict=True):
        matches = [
            i for i, c in enumerate(crops_of(image, 2, (6, 7))) if np.array_equal(c, cropped)
        ]
        assert matches, "each output is a window of the zero-padded input"
        offsets.add(matches[0])
    assert len(offsets) > 5, "offsets vary from sample to sample"


def test_crop_to_smaller_size() -> None:
    batch = random_batch((3, 1, 10, 10))
    assert RandomCrop(4)(batch, np.random.default_rng(0)).shape == (3, 1, 4, 4)


@pytest.mark.parametrize(
    ("arguments", "error", "problem"),
    [
        ({"size": 8, "padding": -1}, ValueError, "padding must be >= 0"),
        ({"size": 0}, ValueError, "size must be positive"),
        ({"size": 2.5}, TypeError, "size must be an int"),
        ({"size": (3, 3, 3)}, TypeError, r"\(height, width\)"),
        ({"size": 8, "padding": 1.0}, TypeError, "padding must be an int"),
    ],
)
def test_crop_rejects_bad_arguments(arguments: dict, error: type, problem: str) -> None:
    with pytest.raises(error, match=problem):
        RandomCrop(**arguments)


def test_crop_larger_than_padded_image_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"crop size \(12, 12\) is larger than the padded image"):
        RandomCrop(12, padding=1)(random_batch((1, 1, 8, 8)), np.random.default_rng(0))


def test_flip_with_p_one_mirrors_every_sample_and_p_zero_none() -> None:
    batch = random_batch((3, 2, 4, 5))
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(RandomHorizontalFlip(p=1.0)(batch, rng), batch[..., ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(p=0.0)(batch, rng), batch)


def test_flip_mirrors_some_samples_and_keeps_the_others() -> None:
    batch = random_batch((64, 1, 3, 4))
    result = RandomHorizontalFlip()(batch, np.random.default_rng(3))
    flipped = [np.array_equal(r, b[..., ::-1]) for r, b in zip(result, batch, strict=True)]
    kept = [np.array_equal(r, b) for r, b in zip(result, batch, strict=True)]
    assert all(f != k for f, k in zip(flipped, kept, strict=True))
    assert 10 < sum(flipped) < 54
    assert not np.shares_memory(result, batch)


def test_flip_rejects_bad_probability() -> None:
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\], got 1.5"):
        RandomHorizontalFlip(p=1.5)


@pytest.mark.parametrize(("dy", "dx"), [(0, 0), (1, 0), (0, -2), (2, 3), (-3, -1), (-4, 4)])
def test_shift_matches_roll_with_zero_fill(dy: int, dx: int) -> None:
    batch = random_batch((2, 3, 6, 7))
    result = shift(batch, np.array([dy, -dy]), np.array([dx, -dx]))
    np.testing.assert_array_equal(result[0], rolled_with_zero_fill(batch[0], dy, dx))
    np.testing.assert_array_equal(result[1], rolled_with_zero_fill(batch[1], -dy, -dx))


def test_shift_moves_a_pixel_down_and_right() -> None:
    batch = np.zeros((1, 1, 5, 5), dtype=np.float32)
    batch[0, 0, 1, 1] = 1.0
    moved = shift(batch, np.array([2]), np.array([1]))
    assert moved[0, 0, 3, 2] == 1.0 and moved.sum() == 1.0


def test_shift_checks_offset_shapes() -> None:
    with pytest.raises(ValueError, match=r"dy and dx must have shape \(2,\)"):
        shift(random_batch((2, 1, 4, 4)), np.array([1]), np.array([1, 2]))


def test_random_shift_applies_a_bounded_shift_per_sample() -> None:
    batch = random_batch((30, 1, 8, 8))
    result = RandomShift(max_shift=2)(batch, np.random.default_rng(5))
    offsets = set()
    for image, moved in zip(batch, result, strict=True):
        candidates = [
            (dy, dx)
            for dy, dx in itertools.product(range(-2, 3), repeat=2)
            if np.array_equal(moved, rolled_with_zero_fill(image, dy, dx))
        ]
        assert candidates, "each output is the input shifted by at most 2 pixels"
        offsets.add(candidates[0])
    assert len(offsets) > 5


def test_random_shift_of_zero_is_identity_and_bad_argument_is_an_error() -> None:
    batch = random_batch((4, 1, 5, 5))
    np.testing.assert_array_equal(RandomShift(0)(batch, np.random.default_rng(0)), batch)
    with pytest.raises(ValueError, match="max_shift must be >= 0, got -1"):
        RandomShift(-1)


@pytest.mark.parametrize(
    "transform", [RandomCrop(4, padding=1), RandomHorizontalFlip(), RandomShift(1)]
)
def test_random_transforms_require_a_generator(transform: object) -> None:
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator"):
        transform(random_batch((1, 1, 4, 4)), None)  # type: ignore[operator]


@pytest.mark.parametrize(
    "transform", [Normalize((0.0,), (1.0,)), RandomCrop(4), RandomHorizontalFlip(), RandomShift()]
)
def test_transforms_reject_batches_that_are_not_4d(transform: object) -> None:
    with pytest.raises(ValueError, match=r"batch must have shape \(N, C, H, W\)"):
        transform(random_batch((4, 4, 4)), np.random.default_rng(0))  # type: ignore[operator]


def test_compose_applies_in_order_with_the_same_rng() -> None:
    batch = random_batch((6, 3, 8, 8))
    steps = [RandomCrop(8, padding=2), RandomHorizontalFlip(), Normalize((1, 2, 3), (2, 2, 2))]
    composed = Compose(steps)(batch, np.random.default_rng(7))
    rng = np.random.default_rng(7)
    by_hand = batch
    for step in steps:
        by_hand = step(by_hand, rng)
    np.testing.assert_array_equal(composed, by_hand)
    assert "RandomCrop(size=(8, 8), padding=2)" in repr(Compose(steps))


def test_compose_rejects_non_callables() -> None:
    with pytest.raises(TypeError, match=r"transforms\[1\] must be callable"):
        Compose([RandomShift(), "flip"])  # type: ignore[list-item]


TRANSFORMS = [
    RandomCrop(6, padding=2),
    RandomHorizontalFlip(),
    RandomShift(2),
    Normalize((0.5,) * 2, (0.25,) * 2),
    Compose([RandomShift(1), RandomHorizontalFlip(0.3)]),
]


@settings(max_examples=50, deadline=None)
@given(
    batch=hnp.arrays(
        st.sampled_from([np.float32, np.float64]),
        st.tuples(st.integers(0, 5), st.just(2), st.integers(6, 9), st.integers(6, 9)),
        elements=st.floats(-10, 10, width=32),
    ),
    index=st.integers(0, len(TRANSFORMS) - 1),
    seed=st.integers(0, 2**32 - 1),
)
def test_transforms_keep_shape_and_type_and_repeat_under_a_seed(
    batch: np.ndarray, index: int, seed: int
) -> None:
    transform = TRANSFORMS[index]
    first = transform(batch, np.random.default_rng(seed))
    second = transform(batch, np.random.default_rng(seed))
    expected_shape = (len(batch), 2, 6, 6) if index == 0 else batch.shape
    assert first.shape == expected_shape
    assert first.dtype == batch.dtype
    np.testing.assert_array_equal(first, second)
