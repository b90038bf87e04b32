"""Inference from a checkpoint: images read the way the model needs them, evaluation, threads."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

import cnnlab
from cnnlab.data import ImageData
from cnnlab.train import TrainConfig, evaluate_checkpoint, load_model, predict_images, train
from cnnlab.train.inference import read_image
from cnnlab.train.threads import compute_threads


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, digits):
    out = tmp_path_factory.mktemp("inference") / "run"
    train(TrainConfig(epochs=1, quiet=True, plots=False, out=str(out)), data=digits)
    return out / "checkpoint.npz"


def test_grey_images_are_read_unchanged(tmp_path):
    pixels = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    Image.fromarray(pixels).save(tmp_path / "d.png")
    np.testing.assert_array_equal(read_image(tmp_path / "d.png", (1, 28, 28)), pixels[None])
    np.testing.assert_array_equal(
        read_image(tmp_path / "d.png", (1, 28, 28), invert=True), 255 - pixels[None]
    )


def test_colour_size_and_transparency_are_converted(tmp_path):
    rgba = np.zeros((56, 40, 4), np.uint8)
    rgba[..., 0] = 255  # red where opaque
    rgba[:28, :, 3] = 255  # top half opaque, bottom half transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "c.png")
    colour = read_image(tmp_path / "c.png", (3, 32, 32))
    assert colour.shape == (3, 32, 32) and colour.dtype == np.uint8
    assert tuple(colour[:, 2, 16]) == (255, 0, 0)  # red on top
    assert tuple(colour[:, 30, 16]) == (255, 255, 255)  # transparent -> white
    grey = read_image(tmp_path / "c.png", (1, 28, 28))
    assert grey.shape == (1, 28, 28)
    assert grey[0, 1, 5] == 76  # ITU-R 601 luma of pure red


def test_a_file_that_is_not_an_image_is_named(tmp_path):
    (tmp_path / "x.png").write_text("no")
    with pytest.raises(ValueError, match=r"x\.png: cannot read the image"):
        read_image(tmp_path / "x.png", (1, 28, 28))
    with pytest.raises(ValueError, match=r"missing\.png: cannot read the image"):
        read_image(tmp_path / "missing.png", (1, 28, 28))


def test_predictions_match_the_model_on_both_engines(tmp_path, checkpoint, digits):
    _, test = digits
    for index in range(3):
        Image.fromarray(test.images[index, 0]).save(tmp_path / f"{index}.png")
    files = [tmp_path / f"{index}.png" for index in range(3)]
    numpy_results = predict_images(checkpoint, files)
    torch_results = predict_images(checkpoint, files, engine="torch")
    expected = load_model(checkpoint).logits(test.images[:3]).argmax(axis=1)
    assert [r["index"] for r in numpy_results] == expected.tolist()
    for mine, theirs in zip(numpy_results, torch_results, strict=True):
        assert mine["class"] == theirs["class"]
        assert mine["probability"] == pytest.approx(theirs["probability"], rel=1e-5)


def test_evaluation_refuses_data_with_other_classes(checkpoint, digits, monkeypatch):
    _, test = digits
    other = ImageData(test.images, test.labels, tuple("abcdefghij"), "fashion-mnist")
    monkeypatch.setattr("cnnlab.train.inference.load_split", lambda *a, **k: other)
    with pytest.raises(ValueError, match="was trained on the classes"):
        evaluate_checkpoint(checkpoint, data="fashion-mnist")


def test_evaluation_report_matches_the_training_report(checkpoint, digits, monkeypatch):
    _, test = digits
    monkeypatch.setattr("cnnlab.train.inference.load_split", lambda *a, **k: test)
    report = evaluate_checkpoint(checkpoint)
    assert report["total"] == len(test)
    assert report["epoch"] == 1
    saved = json.loads((checkpoint.parent / "report.json").read_text())
    assert report["confusion_matrix"] == saved["confusion_matrix"]


def test_compute_threads_are_set_and_restored():
    cnnlab_before, torch_before = cnnlab.get_num_threads(), torch.get_num_threads()
    with compute_threads(cnnlab, None):
        assert cnnlab.get_num_threads() == cnnlab_before
    with compute_threads(cnnlab, 3):
        assert cnnlab.get_num_threads() == 3
    assert cnnlab.get_num_threads() == cnnlab_before
    with compute_threads(torch, 1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == torch_before
    with compute_threads(torch, None):
        assert torch.get_num_threads() == torch_before
