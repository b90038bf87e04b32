"""The transform classes: torchvision's arguments and documented behaviour, checked against
the same computation done with PIL and NumPy; the random ones by their distribution."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import cnnlab
from cnnlab.vision import transforms
from cnnlab.vision.transforms import functional as F


def array(img) -> np.ndarray:
    return img.numpy() if isinstance(img, cnnlab.Tensor) else np.asarray(img)


def test_to_tensor_scales_bytes_and_moves_channels_first(grey_image, rgb_image):
    grey = transforms.ToTensor()(grey_image)
    assert grey.shape == (1, 12, 17) and grey.dtype == cnnlab.float32
    np.testing.assert_array_equal(grey.numpy()[0], np.asarray(grey_image) / np.float32(255))
    rgb = transforms.ToTensor()(rgb_image).numpy()
    np.testing.assert_array_equal(rgb, np.asarray(rgb_image).transpose(2, 0, 1) / np.float32(255))
    floats = np.random.default_rng(0).random((4, 5, 2))
    kept = transforms.ToTensor()(floats).numpy()  # not bytes: not scaled, as torchvision
    assert kept.dtype == np.float64 and np.array_equal(kept, floats.transpose(2, 0, 1))
    binary = transforms.ToTensor()(grey_image.convert("1")).numpy()
    assert set(np.unique(binary)) <= {0.0, 1.0}
    with pytest.raises(TypeError, match="pic should be a PIL Image or ndarray"):
        transforms.ToTensor()([1, 2])


def test_normalize_is_per_channel_and_checks_its_input(rgb_image):
    tensor = transforms.ToTensor()(rgb_image)
    out = transforms.Normalize((0.5, 0.4, 0.3), (0.5, 0.2, 0.1))(tensor).numpy()
    mean = np.array([0.5, 0.4, 0.3], np.float32)[:, None, None]
    std = np.array([0.5, 0.2, 0.1], np.float32)[:, None, None]
    np.testing.assert_array_equal(out, (tensor.numpy() - mean) / std)
    assert out.dtype == np.float32
    with pytest.raises(ValueError, match="std evaluated to zero"):
        transforms.Normalize((0.5,), (0.0,))(tensor)
    with pytest.raises(TypeError, match="should be a float tensor, got uint8"):
        transforms.Normalize((0.5,), (0.5,))(cnnlab.tensor(np.zeros((1, 2, 2), np.uint8)))
    with pytest.raises(TypeError, match="tensor should be a Tensor"):
        transforms.Normalize((0.5,), (0.5,))(rgb_image)


def test_compose_chains_in_order_and_lambda_applies_a_function(grey_image):
    chain = transforms.Compose(
        [transforms.Lambda(lambda img: img.rotate(90, expand=True)), transforms.ToTensor()]
    )
    out = chain(grey_image)
    assert out.shape == (1, 17, 12)
    np.testing.assert_array_equal(out.numpy()[0] * 255, np.rot90(np.asarray(grey_image)))
    assert repr(chain).startswith("Compose(\n    Lambda()\n    ToTensor()")
    with pytest.raises(TypeError, match="argument should be callable"):
        transforms.Lambda(3)


def every_crop_offset(image: np.ndarray, out: np.ndarray, padding: int) -> tuple[int, int]:
    """The (top, left) at which ``out`` is a window of ``image`` zero-padded by ``padding``."""
    padded = np.pad(image, padding)
    height, width = out.shape
    found = [
        (top, left)
        for top in range(padded.shape[0] - height + 1)
        for left in range(padded.shape[1] - width + 1)
        if np.array_equal(padded[top : top + height, left : left + width], out)
    ]
    assert found, "the crop is no window of the padded image"
    return found[0]


def test_random_crop_picks_every_window_of_the_padded_image_uniformly():
    rng = np.random.default_rng(2)
    image = rng.integers(1, 256, (6, 6), dtype=np.uint8)  # no zeros: windows are unique
    crop = transforms.RandomCrop(6, padding=1)
    cnnlab.manual_seed(1)
    offsets = [every_crop_offset(image, array(crop(Image.fromarray(image))), 1) for _ in range(450)]
    counts = np.zeros((3, 3))
    for top, left in offsets:
        counts[top, left] += 1
    assert counts.min() > 25 and counts.max() < 75  # 50 expected in each of the 9
    cnnlab.manual_seed(1)
    again = [every_crop_offset(image, array(crop(Image.fromarray(image))), 1) for _ in range(5)]
    assert again == offsets[:5]
    tensor_out = crop(cnnlab.tensor(image[None].astype(np.float32)))
    assert tensor_out.shape == (1, 6, 6)
    every_crop_offset(image, tensor_out.numpy()[0].astype(np.uint8), 1)


def test_random_crop_pads_if_needed_and_refuses_too_large_crops(grey_image):
    out = transforms.RandomCrop((20, 20), pad_if_needed=True)(grey_image)
    assert out.size == (20, 20)
    same = transforms.RandomCrop((12, 17))(grey_image)
    np.testing.assert_array_equal(array(same), array(grey_image))
    with pytest.raises(ValueError, match=r"crop size \(20, 20\) is larger than the input"):
        transforms.RandomCrop(20)(grey_image)


def test_random_horizontal_flip_mirrors_with_probability_p(grey_image):
    mirrored = np.asarray(grey_image)[:, ::-1]
    np.testing.assert_array_equal(array(transforms.RandomHorizontalFlip(1.0)(grey_image)), mirrored)
    np.testing.assert_array_equal(
        array(transforms.RandomHorizontalFlip(0.0)(grey_image)), array(grey_image)
    )
    cnnlab.manual_seed(3)
    flips = [
        np.array_equal(array(transforms.RandomHorizontalFlip()(grey_image)), mirrored)
        for _ in range(400)
    ]
    assert 160 < sum(flips) < 240
    tensor = transforms.ToTensor()(grey_image)
    flipped = transforms.RandomHorizontalFlip(1.0)(tensor).numpy()
    np.testing.assert_array_equal(flipped, tensor.numpy()[..., ::-1])


def shifted(image: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """``image`` moved right by ``dx`` and down by ``dy``, zeros coming in."""
    out = np.zeros_like(image)
    height, width = image.shape
    out[max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = image[
        max(-dy, 0) : height - max(dy, 0), max(-dx, 0) : width - max(dx, 0)
    ]
    return out


def test_random_affine_with_translate_shifts_by_whole_pixels_within_the_range():
    image = np.random.default_rng(4).integers(1, 256, (20, 30), dtype=np.uint8)
    affine = transforms.RandomAffine(degrees=0, translate=(0.1, 0.2))
    cnnlab.manual_seed(5)
    moves = set()
    for _ in range(200):
        out = array(affine(Image.fromarray(image)))
        move = next(
            (dx, dy)
            for dx in range(-3, 4)
            for dy in range(-4, 5)
            if np.array_equal(out, shifted(image, dx, dy))
        )
        moves.add(move)
    assert {dx for dx, _ in moves} == set(range(-3, 4))  # up to 0.1 * 30 pixels
    assert {dy for _, dy in moves} == set(range(-4, 5))  # up to 0.2 * 20 pixels


def test_random_affine_parameters_are_drawn_in_their_ranges():
    cnnlab.manual_seed(6)
    draws = [
        transforms.RandomAffine.get_params(
            (-10.0, 10.0), (0.1, 0.1), (0.9, 1.1), (-5.0, 5.0, 1.0, 2.0), [28, 28]
        )
        for _ in range(300)
    ]
    angles = [angle for angle, *_ in draws]
    assert -10 <= min(angles) < -8 and 8 < max(angles) <= 10
    assert all(abs(tx) <= 3 and abs(ty) <= 3 for _, (tx, ty), _, _ in draws)
    assert all(0.9 <= scale <= 1.1 for *_, scale, _ in draws)
    assert all(-5 <= sx <= 5 and 1 <= sy <= 2 for *_, (sx, sy) in draws)
    assert transforms.RandomAffine(15).degrees == (-15.0, 15.0)
    assert transforms.RandomAffine(0, shear=8).shear == (-8.0, 8.0)
    with pytest.raises(ValueError, match="it must be positive"):
        transforms.RandomAffine(-1)
    with pytest.raises(ValueError, match="translation values should be between 0 and 1"):
        transforms.RandomAffine(0, translate=(0.5, 1.5))
    with pytest.raises(ValueError, match="scale values should be positive"):
        transforms.RandomAffine(0, scale=(0, 1))


def test_resize_matches_pillow_and_keeps_the_aspect_ratio(rgb_image):
    out = transforms.Resize(6)(rgb_image)  # 17 x 12 (w x h): the shorter side becomes 6
    assert out.size == (int(6 * 17 / 12), 6)
    expected = rgb_image.resize(out.size, Image.Resampling.BILINEAR)
    np.testing.assert_array_equal(array(out), array(expected))
    exact = transforms.Resize((5, 9), interpolation=transforms.InterpolationMode.NEAREST)
    np.testing.assert_array_equal(
        array(exact(rgb_image)), array(rgb_image.resize((9, 5), Image.Resampling.NEAREST))
    )
    assert transforms.Resize(12)(rgb_image) is rgb_image
    assert transforms.Resize(6, max_size=7)(rgb_image).size == (7, int(7 * 6 / 8))
    with pytest.raises(NotImplementedError, match="resize of a tensor"):
        transforms.Resize(6)(transforms.ToTensor()(rgb_image))


def test_grayscale_is_pillow_luma_on_images_and_torchvisions_weights_on_tensors(rgb_image):
    grey = transforms.Grayscale()(rgb_image)
    assert grey.mode == "L"
    np.testing.assert_array_equal(array(grey), array(rgb_image.convert("L")))
    three = array(transforms.Grayscale(3)(rgb_image))
    assert three.shape == (12, 17, 3) and (three == array(grey)[..., None]).all()
    tensor = transforms.ToTensor()(rgb_image)
    out = transforms.Grayscale(3)(tensor).numpy()
    r, g, b = tensor.numpy()
    expected = (0.2989 * r + 0.587 * g + 0.114 * b).astype(np.float32)
    assert out.shape == (3, 12, 17)
    np.testing.assert_allclose(out, np.stack([expected] * 3), rtol=1e-6)
    with pytest.raises(ValueError, match="num_output_channels should be either 1 or 3"):
        transforms.Grayscale(2)(rgb_image)


def test_center_crop_and_pad_follow_torchvision_s_rules(grey_image):
    pixels = np.asarray(grey_image)
    crop = array(transforms.CenterCrop((5, 8))(grey_image))
    top, left = round((12 - 5) / 2), round((17 - 8) / 2)
    np.testing.assert_array_equal(crop, pixels[top : top + 5, left : left + 8])
    larger = array(transforms.CenterCrop(20)(grey_image))  # padded with zeros first
    np.testing.assert_array_equal(larger[4:16, 1:18], pixels)
    assert larger.shape == (20, 20) and larger[:4].sum() == 0
    padded = array(transforms.Pad((1, 2, 3, 4))(grey_image))  # left, top, right, bottom
    np.testing.assert_array_equal(padded, np.pad(pixels, ((2, 4), (1, 3))))
    both = array(transforms.Pad((2, 1), fill=7)(grey_image))  # left/right, top/bottom
    np.testing.assert_array_equal(both, np.pad(pixels, ((1, 1), (2, 2)), constant_values=7))
    row = Image.fromarray(np.array([[1, 2, 3, 4]], np.uint8))
    reflect = array(transforms.Pad((2, 0), padding_mode="reflect")(row))[0]
    symmetric = array(transforms.Pad((2, 0), padding_mode="symmetric")(row))[0]
    assert reflect.tolist() == [3, 2, 1, 2, 3, 4, 3, 2]  # torchvision's documented examples
    assert symmetric.tolist() == [2, 1, 1, 2, 3, 4, 4, 3]
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        transforms.Pad(1, padding_mode="wrap")


def test_affine_by_90_degrees_turns_the_image_clockwise():
    image = np.arange(36, dtype=np.uint8).reshape(6, 6)
    turned = F.affine(Image.fromarray(image), 90, [0, 0], 1.0, 0.0)
    np.testing.assert_array_equal(np.asarray(turned), np.rot90(image, k=-1))
    moved = F.affine(Image.fromarray(image), 0, [2, -1], 1.0, 0.0)
    np.testing.assert_array_equal(np.asarray(moved), shifted(image, 2, -1))
    with pytest.raises(NotImplementedError, match="affine of a tensor"):
        F.affine(cnnlab.tensor(image), 0, [0, 0], 1.0, 0.0)
