"""Running an .onnx classifier through onnxruntime or through the engine, with the interface
of a checkpoint's model."""

import numpy as np
import pytest

import cnnlab
from cnnlab import nn
from cnnlab.onnx import OnnxImportError, export
from cnnlab.onnx.checkpoint import export_checkpoint
from cnnlab.onnx.runtime import OnnxClassifier, default_runtime
from cnnlab.train import load_model
from reference import assert_close


@pytest.fixture(scope="module")
def exported(checkpoint, tmp_path_factory):
    return export_checkpoint(checkpoint, tmp_path_factory.mktemp("onnx") / "lenet5.onnx").path


def test_both_runtimes_give_the_checkpoints_scores(exported, checkpoint, onnx_helpers):
    images = (onnx_helpers.images(7, (1, 28, 28)) * 255).astype(np.uint8)
    expected = load_model(checkpoint).logits(images)
    for runtime in ("onnxruntime", "numpy"):
        classifier = OnnxClassifier(exported, runtime)
        assert classifier.classes == [str(i) for i in range(10)]
        assert classifier.input_shape == (1, 28, 28)
        assert_close(f"{runtime} cnnlab export", classifier.logits(images), expected, np.float32)
    assert default_runtime() == "onnxruntime"


def test_it_says_what_it_runs(exported):
    classifier = OnnxClassifier(exported, "numpy")
    assert classifier.describe() == (
        f"{exported}: lenet5 trained on mnist, epoch 2, run by numpy (the cnnlab engine)"
    )
    assert classifier.checkpoint.config == {"data": "mnist", "classes": None}


def test_a_file_from_elsewhere_has_numbered_classes(tmp_path, onnx_helpers):
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
    path = tmp_path / "other.onnx"
    export(model, cnnlab.rand(1, 3, 8, 8), path, dynamic_axes={"input": {0: "N"}})
    classifier = OnnxClassifier(path, "onnxruntime")
    assert classifier.classes == ["0", "1", "2", "3", "4"]
    assert classifier.checkpoint.config["data"] is None
    assert classifier.describe() == f"{path}: other, run by onnxruntime"


def test_a_model_that_is_no_image_classifier_is_named(tmp_path):
    path = tmp_path / "vector.onnx"
    export(nn.Linear(4, 2), cnnlab.rand(1, 4), path)
    with pytest.raises(OnnxImportError, match=r"vector\.onnx: an image classifier takes one"):
        OnnxClassifier(path)


def test_an_unknown_runtime_is_named(exported):
    with pytest.raises(ValueError, match="runtime must be one of onnxruntime, numpy"):
        OnnxClassifier(exported, "tensorrt")

