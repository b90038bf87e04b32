"""Classifying image files: each made into what its model was trained on, every file answered."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import cnnlab
from cnnlab.data import Normalize, mnist_style
from cnnlab.train import TrainConfig, load_model, predict_images, train
from cnnlab.train.checkpoint import Checkpoint
from cnnlab.train.inference import LoadedModel
from cnnlab.train.predict import is_digit_model, model_input, read_image


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, digits):
    out = tmp_path_factory.mktemp("predict") / "run"
    train(TrainConfig(epochs=1, quiet=True, plots=False, out=str(out)), data=digits)
    return out / "checkpoint.npz"


def model_for(data: str, shape: tuple[int, int, int]) -> LoadedModel:
    """A LoadedModel as for a checkpoint of ``data`` with input ``shape`` (no weights needed to
    make its inputs)."""
    info = {"model": "lenet5", "data": data}
    checkpoint = Checkpoint(epoch=1, config={}, history=[], model={}, info=info)
    normalize = Normalize((0.5,) * shape[0], (0.5,) * shape[0])
    return LoadedModel(None, cnnlab, [], shape, normalize, checkpoint, None)


def test_digit_models_see_digits_placed_as_mnist_did(tmp_path):
    page = np.full((200, 150), 255, np.uint8)
    page[30:170, 60:80] = 0  # a "1", black on white
    Image.fromarray(page).save(tmp_path / "one.png")
    model = model_for("mnist", (1, 28, 28))
    assert is_digit_model(model) and is_digit_model(model_for("mnist5k", (1, 28, 28)))
    pixels, inverted = read_image(tmp_path / "one.png", model)
    expected, _ = mnist_style(page)
    assert inverted and pixels.shape == (1, 28, 28) and pixels.dtype == np.float32
    np.testing.assert_array_equal(pixels[0], expected)
    kept, inverted = read_image(tmp_path / "one.png", model, invert=False)
    assert not inverted and not np.array_equal(kept, pixels)


def test_fashion_models_see_the_whole_image_light_on_dark():
    model = model_for("fashion-mnist", (1, 28, 28))
    assert not is_digit_model(model)
    page = np.full((56, 56), 255, np.uint8)
    page[10:46, 20:36] = 0  # a dark trouser leg on white
    pixels, inverted = model_input(page, model)
    assert inverted and pixels.shape == (1, 28, 28)
    assert pixels[0, 0, 0] == 0 and pixels[0, 14, 14] == 1  # resized, not moved or rescaled
    assert pixels[0, 14, 8] == 0 and pixels[0, 14, 9] > 0
    same, inverted = model_input(255 - page, model)
    assert not inverted and np.array_equal(same, pixels)


def test_colour_models_see_rgb_on_white_never_inverted_unless_asked():
    model = model_for("cifar10", (3, 32, 32))
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[..., 0] = 255  # red where opaque
    rgba[:32, :, 3] = 255  # top half opaque, bottom half transparent
    pixels, inverted = model_input(rgba, model)
    assert not inverted and pixels.shape == (3, 32, 32)
    np.testing.assert_allclose(pixels[:, 4, 16], [1, 0, 0])
    np.testing.assert_allclose(pixels[:, 28, 16], [1, 1, 1])
    flipped, inverted = model_input(rgba, model, invert=True)
    assert inverted
    np.testing.assert_allclose(flipped, 1 - pixels, atol=1e-6)
    grey, _ = model_input(np.full((8, 8), 51, np.uint8), model)
    np.testing.assert_allclose(grey, 0.2, atol=1e-6)


def test_predictions_match_the_model_on_both_engines(tmp_path, checkpoint, digits):
    _, test = digits
    for index in range(3):
        Image.fromarray(test.images[index, 0]).save(tmp_path / f"{index}.png")
    files = [tmp_path / f"{index}.png" for index in range(3)]
    numpy_results = predict_images(checkpoint, files)
    torch_results = predict_images(checkpoint.parent, files, engine="torch")
    loaded = load_model(checkpoint)
    placed = np.stack([mnist_style(test.images[i, 0])[0][np.newaxis] for i in range(3)])
    expected = loaded.scores(placed).argmax(axis=1)
    assert [r["index"] for r in numpy_results] == expected.tolist()
    assert not any(r["inverted"] for r in numpy_results)  # MNIST's own polarity
    for mine, theirs in zip(numpy_results, torch_results, strict=True):
        assert mine["class"] == theirs["class"]
        assert mine["probability"] == pytest.approx(theirs["probability"], rel=1e-5)


def test_a_bad_file_gets_its_error_and_the_others_their_answers(tmp_path, checkpoint, digits):
    _, test = digits
    Image.fromarray(test.images[0, 0]).save(tmp_path / "good.png")
    (tmp_path / "bad.png").write_text("not an image")
    files = [tmp_path / "bad.png", tmp_path / "good.png", tmp_path / "missing.png"]
    bad, good, missing = predict_images(checkpoint, files)
    assert bad == {"file": str(files[0]), "error": f"{files[0]}: not an image file Pillow can read"}
    assert missing == {"file": str(files[2]), "error": f"{files[2]}: no such image file"}
    assert good["file"] == str(files[1]) and sum(good["probabilities"].values()) == pytest.approx(1)
    assert good == predict_images(checkpoint, files[1:2])[0]
