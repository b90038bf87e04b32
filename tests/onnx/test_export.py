"""cnnlab.onnx.export: every named model and the example programs' CNNs, run by onnxruntime
(a runtime nobody here wrote) at batch 1 and at a larger batch, equal to the engine."""

import io

import numpy as np
import onnx
import pytest

import cnnlab
from cnnlab import nn
from cnnlab.models import MODELS
from cnnlab.onnx import OnnxExportError, describe, export, load
from reference import assert_close

NAMED = list(MODELS)  # every named model, including those added later
EXAMPLES = [
    "lenet_d2l", "nin", "googlenet", "resnet", "densenet", "mobilenet", "resnet_d2l",
    "densenet_d2l", "mnist_main",
]  # fmt: skip
D2L_CNN = [  # examples/d2l_cnn.py
    "lenet", "alexnet", "vgg", "nin", "googlenet", "bn_lenet", "resnet", "densenet", "mobilenet",
]  # fmt: skip
EXAMPLES += [f"d2l_cnn.{name}" for name in D2L_CNN]


@pytest.mark.parametrize("name", NAMED + EXAMPLES)
def test_onnxruntime_gives_the_engines_outputs_at_any_batch(name, onnx_helpers):
    h = onnx_helpers
    model, shape = h.make_model(name)
    data = h.exported(model, h.images(2, shape))
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    for batch in (1, 5):
        x = h.images(batch, shape, seed=batch)
        expected = h.run_cnnlab(model, x)
        assert_close(f"onnxruntime {name}", h.run_onnxruntime(data, x), expected, np.float32)
        again = load(data)
        assert_close(f"round trip {name}", h.run_cnnlab(again, x), expected, np.float32)


@pytest.mark.parametrize("name", ["lenet5_bn", "resnet"])
def test_the_round_trip_keeps_parameter_names_and_values(name, onnx_helpers):
    h = onnx_helpers
    model, shape = h.make_model(name)
    again = load(h.exported(model, h.images(1, shape)))
    ours = {k: v.numpy() for k, v in model.state_dict().items() if "num_batches" not in k}
    theirs = {k: v.numpy() for k, v in again.state_dict().items()}
    assert list(theirs) == list(ours)
    for key, value in ours.items():
        np.testing.assert_array_equal(theirs[key], value)
    assert [k for k, _ in again.named_parameters()] == [k for k, _ in model.named_parameters()]


def test_the_graph_names_the_layers_and_the_dynamic_batch(onnx_helpers):
    h = onnx_helpers
    model, shape = h.make_model("lenet5")
    proto = onnx.load_from_string(h.exported(model, h.images(3, shape)))
    assert [n.op_type for n in proto.graph.node] == [
        "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Constant", "Reshape",
        "Gemm", "Relu", "Gemm", "Relu", "Gemm",
    ]  # fmt: skip
    assert proto.graph.node[0].name == "/conv1/Conv"
    assert {i.name for i in proto.graph.initializer} == {k for k, _ in model.named_parameters()}
    assert describe(proto) == [
        {"kind": "input", "name": "input", "dtype": "float32", "shape": ["N", 1, 28, 28]},
        {"kind": "output", "name": "output", "dtype": "float32", "shape": ["N", 10]},
    ]


def test_without_dynamic_axes_the_shapes_are_fixed(onnx_helpers):
    h = onnx_helpers
    model, shape = h.make_model("chapter_net")
    proto = onnx.load_from_string(h.exported(model, h.images(4, shape), dynamic_axes=None))
    assert [row["shape"] for row in describe(proto)] == [[4, 3, 32, 32], [4, 2]]


def test_names_opset_and_metadata_are_written_as_asked(tmp_path, onnx_helpers):
    h = onnx_helpers
    model, shape = h.make_model("lenet5_classic")
    path = tmp_path / "m.onnx"
    export(
        model,
        cnnlab.from_numpy(h.images(2, shape)),
        str(path),
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": [0], "logits": {0: "batch"}},
        opset_version=13,
        metadata={"classes": "[0, 1]"},
    )
    proto = onnx.load(path)
    assert proto.opset_import[0].version == 13
    assert {p.key: p.value for p in proto.metadata_props} == {"classes": "[0, 1]"}
    assert describe(proto)[0]["shape"] == ["image_dynamic_axes_1", 1, 28, 28]
    assert describe(proto)[1]["shape"] == ["batch", 10]
    x = h.images(3, shape)
    assert_close(
        "onnxruntime opset 13",
        h.run_onnxruntime(path.read_bytes(), x, "image"),
        h.run_cnnlab(model, x),
        np.float32,
    )
    assert model.training is False and not list(tmp_path.glob(".*.tmp"))


def test_export_restores_the_training_mode_and_drops_dropout(onnx_helpers):
    h = onnx_helpers
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 6), nn.Dropout(0.5), nn.Linear(6, 2))
    model.train()
    data = h.exported(model, h.images(2, (3, 2, 2)))
    assert model.training
    assert "Dropout" not in {n.op_type for n in onnx.load_from_string(data).graph.node}
    x = h.images(4, (3, 2, 2))
    expected = h.run_cnnlab(model.eval(), x)
    assert_close("onnxruntime dropout", h.run_onnxruntime(data, x), expected, np.float32)


class Unmapped(cnnlab.autograd.Function):
    def forward(self, x):
        return x * 2

    def backward(self, grad):
        return grad * 2


class Doubler(nn.Module):
    def forward(self, x):
        return Unmapped.apply(x)


def test_an_op_without_mapping_names_op_and_layer_and_writes_nothing(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Sequential(nn.ReLU(), Doubler()))
    target = tmp_path / "model.onnx"
    with pytest.raises(OnnxExportError, match=r"Unmapped in layer '1\.1' \(Doubler\)"):
        export(model, cnnlab.rand(1, 1, 5, 5), target)
    assert list(tmp_path.iterdir()) == []


class PartlyOverwritten(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)

    def forward(self, x):
        y = self.conv(x)
        y[:, 0] = 0
        return y


def test_a_partial_in_place_write_is_named_with_a_way_out(tmp_path):
    target = tmp_path / "model.onnx"
    with pytest.raises(OnnxExportError, match=r"SetItem in PartlyOverwritten.*part of a tensor"):
        export(PartlyOverwritten(), cnnlab.rand(1, 1, 3, 3), target)
    assert not target.exists()


class Thresholded(nn.Module):
    def forward(self, x):
        return x * (x > 0.5).float()


def test_a_value_computed_outside_the_graph_is_refused():
    with pytest.raises(OnnxExportError, match="outside the graph"):
        export(Thresholded(), cnnlab.rand(2, 3), io.BytesIO())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"opset_version": 7}, "opset_version must be an int from 13"),
        ({"input_names": ["a", "b"]}, "input_names must be 1 distinct"),
        ({"dynamic_axes": {"nope": [0]}}, "neither inputs"),
        ({"dynamic_axes": {"input": [4]}}, "has axis 4"),
        ({"dynamic_axes": {"input": 0}}, "must be a dict"),
    ],
)
def test_bad_arguments_are_named(options, message):
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with pytest.raises(OnnxExportError, match=message):
        export(model, cnnlab.rand(2, 4), io.BytesIO(), **options)


def test_an_integer_input_is_refused():
    with pytest.raises(OnnxExportError, match="input 0 must be a floating point tensor"):
        export(nn.Flatten(), cnnlab.tensor([[1, 2]]), io.BytesIO())
