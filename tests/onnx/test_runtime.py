"""Running an .onnx classifier through onnxruntime or through the engine, with the interface
of a checkpoint's model."""

import contextlib
import io
import json

import numpy as np
import pytest

import cnnlab
from cnnlab import nn
from cnnlab.onnx import OnnxImportError, export
from cnnlab.onnx.checkpoint import export_checkpoint
from cnnlab.onnx.runtime import default_runtime, load_onnx_model
from cnnlab.train import load_model
from reference import assert_close


@pytest.fixture(scope="module")
def exported(checkpoint, tmp_path_factory):
    return export_checkpoint(checkpoint, tmp_path_factory.mktemp("onnx") / "lenet5.onnx").path


def test_both_runtimes_give_the_checkpoints_scores(exported, checkpoint, onnx_helpers):
    images = (onnx_helpers.images(7, (1, 28, 28)) * 255).astype(np.uint8)
    expected = load_model(checkpoint).logits(images)
    for runtime in ("onnxruntime", "numpy"):
        classifier = load_onnx_model(exported, runtime)
        assert classifier.classes == [str(i) for i in range(10)]
        assert classifier.input_shape == (1, 28, 28)
        assert_close(f"{runtime} cnnlab export", classifier.logits(images), expected, np.float32)
    assert default_runtime() == "onnxruntime"


def test_it_says_what_it_runs(exported):
    classifier = load_onnx_model(exported, "numpy")
    assert classifier.describe() == (
        f"{exported}: lenet5 trained on mnist5k, epoch 1, run by numpy (the cnnlab engine)"
    )
    assert classifier.checkpoint.config == {"data": "mnist5k", "classes": None}
    assert classifier.checkpoint.info == {
        "model": "lenet5",
        "classes": classifier.classes,
        "data": "mnist5k",
    }


def test_a_file_from_elsewhere_has_numbered_classes(tmp_path, onnx_helpers):
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
    path = tmp_path / "other.onnx"
    export(model, cnnlab.rand(1, 3, 8, 8), path, dynamic_axes={"input": {0: "N"}})
    classifier = load_onnx_model(path, "onnxruntime")
    assert classifier.classes == ["0", "1", "2", "3", "4"]
    assert classifier.checkpoint.config["data"] is None
    assert classifier.describe() == f"{path}: other, run by onnxruntime"


def test_a_model_that_is_no_image_classifier_is_named(tmp_path):
    path = tmp_path / "vector.onnx"
    export(nn.Linear(4, 2), cnnlab.rand(1, 4), path)
    with pytest.raises(OnnxImportError, match=r"vector\.onnx: an image classifier takes one"):
        load_onnx_model(path)


def test_an_unknown_runtime_is_named(exported):
    with pytest.raises(ValueError, match="runtime must be one of onnxruntime, numpy"):
        load_onnx_model(exported, "tensorrt")


def test_cnnlab_evaluate_runs_an_onnx_file_as_its_checkpoint(exported, checkpoint, digits):
    from cnnlab.cli import main

    reports = []
    for target, runtime in ((checkpoint, None), (exported, "onnxruntime"), (exported, "numpy")):
        args = ["evaluate", str(target), "--data", "mnist", "--data-dir", str(digits), "--json"]
        if runtime:
            args += ["--runtime", runtime]
        with contextlib.redirect_stdout(io.StringIO()) as out:
            assert main(args) == 0
        reports.append(json.loads(out.getvalue()))
    for report in reports[1:]:
        assert report["accuracy"] == reports[0]["accuracy"] > 0.5
        assert report["confusion_matrix"] == reports[0]["confusion_matrix"]


def test_cnnlab_predict_runs_an_onnx_file_as_its_checkpoint(exported, checkpoint, tmp_path):
    from PIL import Image

    from cnnlab.cli import main

    image = tmp_path / "bar.png"
    Image.fromarray(np.kron(np.eye(4, dtype=np.uint8) * 255, np.ones((7, 7), np.uint8))).save(image)
    answers = []
    runs = ([checkpoint], [exported], [exported, "--runtime", "onnxruntime"],
            [exported, "--runtime", "numpy"])  # fmt: skip
    for target, *runtime in runs:
        with contextlib.redirect_stdout(io.StringIO()) as out:
            assert main(["predict", str(target), str(image), "--json", *runtime]) == 0
        answers.append(json.loads(out.getvalue())[0])
    for answer in answers[1:]:
        assert answer["class"] == answers[0]["class"]
        assert answer["probabilities"] == pytest.approx(answers[0]["probabilities"], abs=1e-6)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "{other}"], "does not say what it was trained on: give --data"),
        (["evaluate", "{checkpoint}", "--runtime", "numpy"], "--runtime is for .onnx files"),
        (["predict", "{broken}", "x.png"], "not an ONNX model"),
    ],
)
def test_cnnlab_commands_name_what_is_wrong(args, message, checkpoint, tmp_path, capsys):
    from cnnlab.cli import main

    other = tmp_path / "other.onnx"
    export(nn.Sequential(nn.Flatten(), nn.Linear(784, 10)), cnnlab.rand(1, 1, 28, 28), other)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\x08\x07garbage")
    names = {"other": other, "checkpoint": checkpoint, "broken": broken}
    assert main([a.format(**names) for a in args]) == 1
    assert message in capsys.readouterr().err
