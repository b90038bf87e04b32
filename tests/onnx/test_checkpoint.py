"""``cnnlab export``: a trained checkpoint as a self-contained ONNX file, whose accuracy in
onnxruntime is the accuracy ``cnnlab evaluate`` reports."""

import json

import numpy as np
import onnx
import onnxruntime
import pytest

import cnnlab
from cnnlab.cli import main
from cnnlab.data import to_float
from cnnlab.onnx.checkpoint import export_checkpoint
from cnnlab.train import evaluate_checkpoint, load_model
from cnnlab.train.splits import load_split
from reference import assert_close


def test_onnxruntime_scores_the_dev_digits_as_cnnlab_evaluate(checkpoint, digits, tmp_path):
    exported = export_checkpoint(checkpoint, tmp_path / "lenet5.onnx")
    onnx.checker.check_model(exported.proto, full_check=True)
    split = load_split("mnist", train=False, data_dir=str(digits))
    session = onnxruntime.InferenceSession(str(exported.path), providers=["CPUExecutionProvider"])
    scores = session.run(["logits"], {"image": to_float(split.images)})[0]
    report = evaluate_checkpoint(checkpoint, data="mnist", data_dir=str(digits))
    accuracy = float((scores.argmax(axis=1) == split.labels).mean())
    assert report["total"] == len(split.labels) == 5000
    assert accuracy == report["accuracy"] > 0.7
    expected = load_model(checkpoint).logits(split.images)
    assert_close("onnxruntime cnnlab export", scores, expected, np.float32)


def test_the_file_says_what_it_takes_and_what_it_is(checkpoint, tmp_path):
    exported = export_checkpoint(checkpoint, tmp_path / "m.onnx")
    meta = {p.key: p.value for p in exported.proto.metadata_props}
    assert json.loads(meta["classes"]) == [str(i) for i in range(10)]
    assert (meta["input_layout"], meta["input_range"]) == ("NCHW", "[0, 1]")
    assert meta["cnnlab_version"] == cnnlab.__version__ and meta["model"] == "lenet5"
    assert (meta["data"], meta["epoch"]) == ("mnist5k", "1")
    nodes = exported.proto.graph.node
    assert [n.op_type for n in nodes[:2]] == ["Sub", "Div"] and nodes[2].name == "/conv1/Conv"
    assert exported.size == exported.path.stat().st_size


def test_cnnlab_export_prints_the_input_and_output(checkpoint, tmp_path, capsys):
    target = tmp_path / "out" / "digits.onnx"
    assert main(["export", str(checkpoint), str(target)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith(f"wrote {target} (") and "ONNX opset 18" in printed[0]
    assert printed[1].split() == [
        "input", "image", "float32", "N", "x", "1", "x", "28", "x", "28", "raw", "pixels",
        "in", "[0,", "1]",
    ]  # fmt: skip
    assert printed[2].split()[:6] == ["output", "logits", "float32", "N", "x", "10"]
    assert onnx.load(target).opset_import[0].version == 18


def test_cnnlab_export_defaults_to_the_checkpoints_name(checkpoint, tmp_path, capsys):
    copy = tmp_path / "checkpoint.npz"
    copy.write_bytes(checkpoint.read_bytes())
    assert main(["export", str(copy), "--opset", "13"]) == 0
    assert onnx.load(tmp_path / "checkpoint.onnx").opset_import[0].version == 13


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.npz", "{out}"], "missing.npz"),
        (["{checkpoint}", "{out}", "--opset", "99"], "opset_version must be an int from 13"),
    ],
)
def test_cnnlab_export_errors_name_the_cause(args, message, checkpoint, tmp_path, capsys):
    args = [a.format(checkpoint=checkpoint, out=tmp_path / "x.onnx") for a in args]
    assert main(["export", *args]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.onnx").exists()
