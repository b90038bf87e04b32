"""cnnlab.onnx.load: models exported by PyTorch's own torch.onnx.export run on the engine and
give PyTorch's outputs; bad files get errors naming the file and the op."""

import io
import warnings

import numpy as np
import onnx
import pytest
import torch
from onnx import helper

import cnnlab
from cnnlab.models import build
from cnnlab.onnx import OnnxImportError, load
from reference import assert_close


def torch_export(model, x: np.ndarray) -> bytes:
    """``torch.onnx.export`` with the TorchScript exporter (``dynamo=False``), which needs only
    the onnx package; PyTorch's default torch.export-based exporter also needs onnxscript."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (torch.from_numpy(x),),
            buffer,
            input_names=["x"],
            dynamic_axes={"x": {0: "N"}},
            dynamo=False,
        )
    return buffer.getvalue()


def torch_models(onnx_helpers):
    h = onnx_helpers
    torch.manual_seed(0)
    resnet = h.EXAMPLES["resnet"][0](torch)
    for module in resnet.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            torch.nn.init.uniform_(module.running_var, 0.5, 1.5)
            torch.nn.init.normal_(module.running_mean, 0, 0.3)
            torch.nn.init.uniform_(module.weight, 0.5, 1.5)
    mobilenet = h.EXAMPLES["mobilenet"][0](torch)
    for module in mobilenet.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            torch.nn.init.uniform_(module.running_var, 0.5, 1.5)
            torch.nn.init.normal_(module.running_mean, 0, 0.3)
    return {
        "lenet5": (build("lenet5", "torch"), (1, 28, 28)),
        "resnet": (resnet, (1, 32, 32)),
        "mobilenet": (mobilenet, (1, 32, 32)),
    }


@pytest.mark.parametrize("name", ["lenet5", "resnet", "mobilenet"])
def test_pytorch_exports_load_and_give_pytorchs_outputs(name, onnx_helpers):
    h = onnx_helpers
    model, shape = torch_models(h)[name]
    model.eval()
    data = torch_export(model, h.images(2, shape))
    ours = load(data)
    for batch in (1, 4):
        x = h.images(batch, shape, seed=batch)
        with torch.no_grad():
            expected = model(torch.from_numpy(x)).numpy()
        assert_close(f"torch.onnx.export {name}", h.run_cnnlab(ours, x), expected, np.float32)
    named = {k for k, _ in ours.named_parameters()}  # batch norm is folded into the convs
    assert {"resnet": "fc.weight", "lenet5": "conv1.weight", "mobilenet": "9.weight"}[name] in named


def test_a_loaded_model_trains_on_the_engine(onnx_helpers):
    h = onnx_helpers
    model, shape = torch_models(h)["lenet5"]
    ours = load(torch_export(model.eval(), h.images(1, shape))).train()
    x, labels = cnnlab.from_numpy(h.images(8, shape)), cnnlab.tensor(np.arange(8) % 10)
    loss = cnnlab.nn.functional.cross_entropy(ours(x), labels)
    loss.backward()
    assert all(p.grad is not None for p in ours.parameters())


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(OnnxImportError, match=r"nothing\.onnx: cannot read the file"):
        load(tmp_path / "nothing.onnx")


def test_a_truncated_file_is_named(tmp_path, onnx_helpers):
    h = onnx_helpers
    model, shape = h.make_model("lenet5")
    path = tmp_path / "cut.onnx"
    path.write_bytes(h.exported(model, h.images(1, shape))[:5000])
    with pytest.raises(OnnxImportError, match=r"cut\.onnx: not a.* ONNX model"):
        load(path)


@pytest.mark.parametrize("content", [b"\x89PNG\r\n\x1a\n not a model", b"", b"PK\x03\x04zip"])
def test_a_file_that_is_not_onnx_is_named(tmp_path, content):
    path = tmp_path / "image.onnx"
    path.write_bytes(content)
    with pytest.raises(OnnxImportError, match=r"image\.onnx: not a.* ONNX model"):
        load(path)


def one_node_model(op_type: str, **attributes) -> onnx.ModelProto:
    node = helper.make_node(op_type, ["x"], ["y"], name="odd", **attributes)
    value = helper.make_tensor_value_info
    graph = helper.make_graph(
        [node],
        "g",
        [value("x", onnx.TensorProto.FLOAT, [1, 1, 4, 4])],
        [value("y", onnx.TensorProto.FLOAT, [1, 1, 4, 4])],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def test_an_op_cnnlab_cannot_run_is_named_with_the_file(tmp_path):
    path = tmp_path / "lrn.onnx"
    onnx.save(one_node_model("LRN", size=3), path)
    with pytest.raises(OnnxImportError, match=r"lrn\.onnx: node 'odd' uses the op LRN"):
        load(path)


def test_an_attribute_cnnlab_cannot_run_is_named(tmp_path):
    path = tmp_path / "pool.onnx"
    model = one_node_model("AveragePool", kernel_shape=[2, 2], dilations=[2, 2])
    model.opset_import[0].version = 19
    onnx.save(model, path)
    with pytest.raises(
        OnnxImportError, match=r"pool\.onnx: node 'odd' \(AveragePool\): dilations \[2, 2\]"
    ):
        load(path)


def test_wrong_inputs_are_named(onnx_helpers):
    h = onnx_helpers
    model, shape = h.make_model("lenet5")
    ours = load(h.exported(model, h.images(1, shape)))
    with pytest.raises(ValueError, match=r"takes 1 input\(s\) \['input'\], got 2"):
        ours(cnnlab.rand(1, 1, 28, 28), cnnlab.rand(1, 1, 28, 28))
    with pytest.raises(OnnxImportError, match=r"node '/conv1/Conv' \(Conv\): conv2d: input has 3"):
        ours(cnnlab.rand(1, 3, 28, 28))


class TorchCase(torch.nn.Module):
    """One PyTorch forward written as a lambda, with the layers it uses."""

    def __init__(self, forward, **layers):
        super().__init__()
        self.layers = torch.nn.ModuleDict(layers)
        self.f = forward

    def forward(self, x):
        return self.f(self.layers, x)


TF = torch.nn.functional
TORCH_CASES = {
    "view by size": lambda m, x: m["fc"](m["conv"](x).view(x.size(0), -1)),
    "global pools": lambda m, x: m["avg"](x) + m["max"](x),
    "padded pools": lambda m, x: torch.cat(
        [
            TF.avg_pool2d(x, 3, 2, padding=1).flatten(1),
            TF.max_pool2d(x, 3, 2, padding=1, ceil_mode=True).flatten(1),
            TF.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True, count_include_pad=False).flatten(1),
        ],
        1,
    ),
    "activations": lambda m, x: (
        TF.softmax(x, 1)
        + TF.log_softmax(x, -1)
        + TF.relu6(x)
        + torch.clamp(x, min=-0.3)
        + TF.hardtanh(x)
        + torch.sigmoid(x) * torch.tanh(x)
    ),
    "shapes": lambda m, x: (
        torch.cat([x[:, :1], x[:, 1:]], 1).permute(0, 1, 3, 2).transpose(2, 3)
        + torch.flatten(x, 1).view_as(x)
        + x.sum(1, keepdim=True)
        + x.mean(dim=(2, 3), keepdim=True)
    ),
    "batch norm after relu": lambda m, x: m["bn"](TF.relu(m["conv"](x))),
    "activations beyond the chapter": lambda m, x: (
        TF.leaky_relu(x, 0.2)
        + TF.elu(x)
        + TF.celu(x, 0.5)
        + TF.selu(x)
        + TF.gelu(x)
        + TF.gelu(x, approximate="tanh")
        + TF.silu(x)
        + TF.hardswish(x * 6)
        + TF.mish(x)
        + TF.hardsigmoid(x * 6)
        + TF.softplus(x)
        + m["prelu"](x)
        + TF.logsigmoid(x)
    ),
    "norms": lambda m, x: m["ln"](x) + m["gn"](x) + m["in"](x),
    "grouped and transposed convs": lambda m, x: m["up"](m["dw"](x)) + m["up2"](x),
    "upsampling": lambda m, x: (
        TF.interpolate(x, scale_factor=2)
        + TF.interpolate(x, size=(16, 16), mode="bilinear")
        + TF.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)
    ),
    "padding": lambda m, x: (
        TF.pad(x, (1, 2, 0, 1), mode="reflect")
        + TF.pad(x, (1, 2, 0, 1), mode="replicate")
        + TF.pad(x, (1, 2, 0, 1), value=0.3)
    ),
    "linear on 3-D": lambda m, x: m["fc3"](x.flatten(2)),
}


def torch_case(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    bn = torch.nn.BatchNorm2d(4)
    torch.nn.init.uniform_(bn.running_var, 0.5, 1.5)
    torch.nn.init.normal_(bn.running_mean, 0, 0.3)
    layers = {
        "conv": torch.nn.Conv2d(2, 4, 3),
        "fc": torch.nn.Linear(4 * 6 * 6, 3),
        "fc3": torch.nn.Linear(64, 5),
        "avg": torch.nn.AdaptiveAvgPool2d(1),
        "max": torch.nn.AdaptiveMaxPool2d(1),
        "bn": bn,
        "prelu": torch.nn.PReLU(2, 0.3),
        "ln": torch.nn.LayerNorm([8, 8]),
        "gn": torch.nn.GroupNorm(1, 2),
        "in": torch.nn.InstanceNorm2d(2, affine=True),
        "dw": torch.nn.Conv2d(2, 4, 3, padding=1, groups=2),
        "up": torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1),
        "up2": torch.nn.ConvTranspose2d(2, 2, 2, stride=2),
    }
    for key in ("ln", "gn", "in"):
        torch.nn.init.uniform_(layers[key].weight, 0.5, 1.5)
        torch.nn.init.uniform_(layers[key].bias, -0.5, 0.5)
    return TorchCase(TORCH_CASES[name], **layers).eval()


@pytest.mark.parametrize("name", TORCH_CASES)
def test_the_ops_pytorch_writes_for_cnns_load(name, onnx_helpers):
    h = onnx_helpers
    model = torch_case(name)
    ours = load(torch_export(model, h.images(2, (2, 8, 8))))
    for batch in (1, 3):
        x = h.images(batch, (2, 8, 8), seed=batch) - 0.5
        with torch.no_grad():
            expected = model(torch.from_numpy(x)).numpy()
        assert_close(f"torch.onnx.export {name}", h.run_cnnlab(ours, x), expected, np.float32)


def keras_like_model(rng) -> onnx.ModelProto:
    """A small Keras CNN as tf2onnx writes it: NHWC input transposed to NCHW for each Conv
    (explicit pads and auto_pad), batch norm, max pooling, back to NHWC before the flatten, Dense
    layers as MatMul + Add, softmax; TensorFlow's value names (``dense/MatMul/ReadVariableOp:0``)
    and opset 13."""
    f32 = onnx.TensorProto.FLOAT

    def array(name, shape, scale=0.3):
        return onnx.numpy_helper.from_array(
            (rng.standard_normal(shape) * scale).astype(np.float32), name
        )

    nodes = [
        helper.make_node("Transpose", ["input_1:0"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node(
            "Conv", ["nchw", "conv2d/Conv2D/ReadVariableOp:0", "conv2d/BiasAdd/ReadVariableOp:0"],
            ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], name="sequential/conv2d/BiasAdd",
        ),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node(
            "Conv", ["r1", "conv2d_1/Conv2D/ReadVariableOp:0"], ["c2"], kernel_shape=[3, 3],
            strides=[2, 2], auto_pad="SAME_UPPER",
        ),
        helper.make_node(
            "BatchNormalization", ["c2", "bn/gamma:0", "bn/beta:0", "bn/moving_mean:0",
                                   "bn/moving_variance:0"], ["b2"], epsilon=0.001,
        ),
        helper.make_node("Relu", ["b2"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Transpose", ["p2"], ["nhwc"], perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["nhwc", "flatten/Const:0"], ["flat"]),
        helper.make_node("MatMul", ["flat", "dense/MatMul/ReadVariableOp:0"], ["mm"]),
        helper.make_node("Add", ["mm", "dense/BiasAdd/ReadVariableOp:0"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["dense/Softmax:0"], axis=-1),
    ]  # fmt: skip
    initializers = [
        array("conv2d/Conv2D/ReadVariableOp:0", (4, 1, 3, 3)),
        array("conv2d/BiasAdd/ReadVariableOp:0", (4,)),
        array("conv2d_1/Conv2D/ReadVariableOp:0", (6, 4, 3, 3)),
        array("bn/gamma:0", (6,)),
        array("bn/beta:0", (6,)),
        array("bn/moving_mean:0", (6,)),
        onnx.numpy_helper.from_array(
            rng.uniform(0.5, 1.5, 6).astype(np.float32), "bn/moving_variance:0"
        ),
        onnx.numpy_helper.from_array(np.array([-1, 2 * 2 * 6], np.int64), "flatten/Const:0"),
        array("dense/MatMul/ReadVariableOp:0", (24, 5)),
        array("dense/BiasAdd/ReadVariableOp:0", (5,)),
    ]
    graph = helper.make_graph(
        nodes,
        "tf2onnx",
        [helper.make_tensor_value_info("input_1:0", f32, ["unk__6", 9, 9, 1])],
        [helper.make_tensor_value_info("dense/Softmax:0", f32, ["unk__7", 5])],
        initializers,
    )
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="tf2onnx"
    )


def test_a_keras_model_as_tf2onnx_writes_it_loads_with_named_parameters(onnx_helpers):
    h = onnx_helpers
    proto = keras_like_model(np.random.default_rng(3))
    onnx.checker.check_model(proto, full_check=True)
    ours = load(proto.SerializeToString())
    named = {k for k, _ in ours.named_parameters()}
    assert "dense/MatMul/ReadVariableOp:0" in named and "bn/gamma:0" in named
    assert {k for k, _ in ours.named_buffers()} == {"bn/moving_mean:0", "bn/moving_variance:0"}
    for batch in (1, 4):
        x = h.images(batch, (9, 9, 1), seed=batch)
        expected = h.run_onnxruntime(proto.SerializeToString(), x, "input_1:0")
        assert_close(
            f"tf2onnx-style model batch {batch}", h.run_cnnlab(ours, x), expected, np.float32
        )
