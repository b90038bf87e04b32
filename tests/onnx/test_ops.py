"""Every entry of the op table, alone or in small combinations: onnxruntime gives the engine's
outputs at two batch sizes (the graph is traced at a third), and so does the round trip
through ``cnnlab.onnx.load``."""

import numpy as np
import onnx
import pytest

import cnnlab
import cnnlab.nn.functional as F
from cnnlab import nn
from cnnlab.onnx import load
from reference import assert_close

MASK = np.random.default_rng(5).random((3, 4, 5)) > 0.5
WEIGHT = np.random.default_rng(6).standard_normal((5, 3)).astype(np.float32)

CASES = {
    "arithmetic": lambda x: (2.0 - x * 3 + 1.5) / (x.abs() + 1) - (-x),
    "exp log sqrt": lambda x: (x.abs() + 1).log() + (x * 0.1).exp() + (x * x + 1).sqrt(),
    "powers": lambda x: x**3 + (x.abs() + 1) ** x,
    "activations": lambda x: x.tanh() + x.sigmoid() + x.relu(),
    "clamp": lambda x: x.clamp(-0.5, 0.5) + x.clamp(min=0.1) + x.clamp(max=-0.2),
    "clamp by tensors": lambda x: x.clamp(cnnlab.tensor(MASK[0] * 0.5 - 0.4, dtype=cnnlab.float32)),
    "softmax": lambda x: x.softmax(1) + F.log_softmax(x, dim=-1),
    "sums and means": lambda x: x.sum(dim=1, keepdim=True) * x.mean(dim=(1, 2), keepdim=True),
    "whole reductions": lambda x: x - x.max() + x.min() + x.sum() + x.mean(),
    "elementwise max": lambda x: x.max(x * 0.5) + x.min(x.abs()),
    "max along a dim": lambda x: x.max(dim=1)[0] + x.min(dim=1, keepdim=True)[0].squeeze(1),
    "view by batch": lambda x: x.view(x.shape[0], -1),
    "flatten": lambda x: x.flatten(1) + x.reshape(-1, 20),
    "permute": lambda x: x.permute(0, 2, 1) + x.transpose(1, 2),
    "expand": lambda x: x.mean(dim=1, keepdim=True).expand(-1, 4, -1) + x,
    "cat and stack": lambda x: cnnlab.stack(
        [cnnlab.cat([x, x * 2], 1), cnnlab.cat([-x, x], 1)], -1
    ),
    "indexing": lambda x: (
        x[:, 1:, ::2] + x[:, None, 1:4, 0:3].squeeze(1) + x[:, 3:0:-1, 4:1:-1] + x[..., 1:4][:, 1:]
    ),
    "integer index": lambda x: x[:, 0] * x[:, -1, None].squeeze(1),
    "where": lambda x: cnnlab.where(MASK[0], x, x * 2),
    "matmul": lambda x: x @ cnnlab.tensor(WEIGHT),
    "linear on 3-D": lambda x: F.linear(x, cnnlab.tensor(WEIGHT.T), cnnlab.tensor(WEIGHT[0])),
    "cast and clone": lambda x: (x.double() * 2).float() + x.clone(),
    "dropout in eval": lambda x: F.dropout(x, 0.5, training=False) * 2,
    "elementwise functions": lambda x: (
        x.sin() + x.cos() + x.floor() + x.ceil() + x.reciprocal() + (x.abs() + 1).rsqrt()
    ),
    "activations beyond the chapter": lambda x: (
        F.relu6(x * 4)
        + F.leaky_relu(x, 0.2)
        + F.elu(x, 0.7)
        + F.celu(x, 1.3)
        + F.silu(x)
        + F.hardswish(x * 3)
        + F.hardsigmoid(x * 3)
        + F.mish(x)
        + F.logsigmoid(x * 30)
        + F.softplus(x * 8, beta=2.0, threshold=5.0)
        + F.softplus(x)
        + F.selu(x)
        + F.hardtanh(x, -0.5, 0.25)
    ),
    "gelu": lambda x: F.gelu(x) + F.gelu(x * 2, approximate="tanh"),
    "variance": lambda x: (
        x.var(dim=1, keepdim=True) + x.std(dim=(1, 2), correction=0, keepdim=True)
    ),
    "product and running sum": lambda x: x.prod(dim=2, keepdim=True) + x.cumsum(1),
    "flip and roll": lambda x: x.flip(1, 2) + x.roll((1, -2), dims=(1, 2)) + x.roll(6, 2),
    "repeat": lambda x: x.repeat(1, 2, 1)[:, 3:7] + x.tile(2)[..., 5:],
    "triangles": lambda x: x.tril(1) + x.triu(-1) * 2,
    "index_select and masked_fill": lambda x: x.index_select(
        1, cnnlab.tensor([3, 0, 0, 2])
    ).masked_fill(cnnlab.tensor(MASK[0]), -1.5),
}

LAYERS = {
    "conv same dilated": (nn.Conv2d(2, 3, 3, padding="same", dilation=2, bias=False), 9),
    "conv strided": (nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0)), 9),
    "max pool ceil": (nn.MaxPool2d(3, 2, padding=1, ceil_mode=True), 10),
    "max pool dilated": (nn.MaxPool2d(2, 1, dilation=2), 7),
    "avg pool counting padding": (nn.AvgPool2d(3, 2, padding=1, ceil_mode=True), 10),
    "avg pool not counting": (
        nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False),
        10,
    ),
    "avg pool divisor": (nn.AvgPool2d(2, divisor_override=3), 8),
    "batch norm 1-D on (N, C, L)": (nn.BatchNorm1d(2), None),
}

# the layers beyond the chapter: (layer, input shape without the batch, opsets)
MORE_LAYERS = {
    "grouped conv": (nn.Conv2d(4, 6, 3, groups=2, padding=1), (4, 6, 7), [18]),
    "depthwise conv": (nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4), (4, 7, 8), [18]),
    "depthwise conv x2 no bias": (nn.Conv2d(3, 6, 3, groups=3, bias=False), (3, 6, 6), [18]),
    "transposed conv": (
        nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1),
        (4, 5, 6),
        [18],
    ),
    "transposed conv grouped dilated": (
        nn.ConvTranspose2d(4, 6, (2, 3), stride=(1, 2), groups=2, dilation=2),
        (4, 4, 5),
        [18],
    ),
    "global avg pool": (nn.AdaptiveAvgPool2d((1, 1)), (3, 7, 6), [18]),
    "adaptive avg pool tiling": (nn.AdaptiveAvgPool2d((2, 3)), (3, 6, 9), [18]),
    "adaptive avg pool overlapping": (nn.AdaptiveAvgPool2d(3), (3, 7, 8), [13, 18]),
    "global max pool": (nn.AdaptiveMaxPool2d(1), (3, 5, 5), [18]),
    "adaptive max pool overlapping": (nn.AdaptiveMaxPool2d((3, 2)), (3, 7, 5), [13, 18]),
    "prelu per channel": (nn.PReLU(3, init=0.1), (3, 4, 4), [18]),
    "prelu shared": (nn.PReLU(), (3, 4, 4), [18]),
    "gelu op": (nn.GELU(), (3, 4), [20]),
    "gelu tanh op": (nn.GELU("tanh"), (3, 4), [13, 20]),
    "layer norm": (nn.LayerNorm([4, 5]), (3, 4, 5), [13, 18]),
    "layer norm no affine": (nn.LayerNorm(5, elementwise_affine=False), (3, 5), [13, 18]),
    "group norm": (nn.GroupNorm(2, 6), (6, 3, 4), [13, 18]),
    "group norm no affine": (nn.GroupNorm(3, 3, affine=False), (3, 5), [18]),
    "pad": (nn.ZeroPad2d((1, 2, 0, 3)), (2, 4, 4), [18]),
    "pad constant value": (nn.ConstantPad2d((2, 1, 1, 2), 0.5), (2, 4, 4), [18]),
    "pad reflect": (nn.ReflectionPad2d((1, 2, 2, 1)), (2, 4, 4), [18]),
    "pad replicate": (nn.ReplicationPad2d(2), (2, 4, 4), [18]),
    "pad circular": (nn.CircularPad2d((1, 2, 2, 1)), (2, 4, 4), [19]),
    "upsample nearest x2": (nn.Upsample(scale_factor=2), (2, 4, 5), [13, 18]),
    "upsample nearest x2.5": (nn.Upsample(scale_factor=2.5), (2, 4, 5), [18]),
    "upsample nearest to a size": (nn.Upsample(size=(9, 7)), (2, 4, 5), [13]),
    "upsample nearest-exact": (
        nn.Upsample(scale_factor=1.5, mode="nearest-exact"),
        (2, 4, 5),
        [18],
    ),
    "upsample bilinear x2": (nn.Upsample(scale_factor=2, mode="bilinear"), (2, 4, 5), [18]),
    "upsample bilinear x1.7": (nn.Upsample(scale_factor=1.7, mode="bilinear"), (2, 4, 5), [18]),
    "upsample bilinear to a size": (nn.Upsample(size=(7, 11), mode="bilinear"), (2, 4, 5), [18]),
    "upsample bilinear corners": (
        nn.Upsample(size=(7, 11), mode="bilinear", align_corners=True),
        (2, 4, 5),
        [13],
    ),
    "downsample bilinear": (nn.Upsample(scale_factor=0.5, mode="bilinear"), (2, 6, 8), [18]),
}


class Lambda(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)


def check(name: str, model, shape: tuple[int, ...], onnx_helpers, opset=None) -> None:
    h = onnx_helpers
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, *shape)).astype(np.float32)
    data = h.exported(model, x, opset_version=opset)
    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    again = load(data)
    for batch in (1, 3):
        x = rng.standard_normal((batch, *shape)).astype(np.float32)
        expected = h.run_cnnlab(model, x)
        assert_close(f"onnxruntime op {name}", h.run_onnxruntime(data, x), expected, np.float32)
        assert_close(f"round trip op {name}", h.run_cnnlab(again, x), expected, np.float32)


@pytest.mark.parametrize("name", CASES)
def test_tensor_ops(name, onnx_helpers):
    check(name, Lambda(CASES[name]), (4, 5), onnx_helpers)


@pytest.mark.parametrize("name", LAYERS)
def test_layer_options(name, onnx_helpers):
    layer, size = LAYERS[name]
    model = layer.eval()
    if isinstance(layer, nn.BatchNorm1d):
        layer.running_mean._data[...] = [0.3, -0.2]
        layer.running_var._data[...] = [0.5, 2.0]
        return check(name, model, (2, 6), onnx_helpers)
    check(name, model, (2, size, size + 1), onnx_helpers)


def randomize(layer) -> None:
    """Scale and shift parameters away from their defaults."""
    rng = np.random.default_rng(1)
    for p in layer.parameters():
        p._data[...] = rng.uniform(0.5, 1.5, p.shape)


@pytest.mark.parametrize("name", MORE_LAYERS)
def test_layers_beyond_the_chapter(name, onnx_helpers):
    layer, shape, opsets = MORE_LAYERS[name]
    randomize(layer)
    for opset in opsets:
        check(f"{name} opset {opset}", layer.eval(), shape, onnx_helpers, opset)


def test_opsets_choose_the_op_or_its_formula(onnx_helpers):
    h = onnx_helpers
    model = nn.Sequential(nn.LayerNorm(4), nn.GELU())
    x = np.ones((1, 3, 4), np.float32)
    ops = {
        opset: {
            n.op_type
            for n in onnx.load_from_string(h.exported(model, x, opset_version=opset)).graph.node
        }
        for opset in (13, 18, 20)
    }
    assert "LayerNormalization" not in ops[13] and {"Erf", "ReduceMean"} <= ops[13]
    assert "LayerNormalization" in ops[18] and "Gelu" not in ops[18]
    assert {"LayerNormalization", "Gelu"} <= ops[20] and "Erf" not in ops[20]


def test_adaptive_bins_over_dynamic_image_sizes_are_refused():
    import io

    from cnnlab.onnx import OnnxExportError, export

    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.AdaptiveAvgPool2d(2))
    with pytest.raises(
        OnnxExportError, match=r"AdaptiveAvgPool2d in layer '1'.*dynamic image sizes"
    ):
        export(model, cnnlab.rand(1, 1, 8, 8), io.BytesIO(), dynamic_axes={"input": [0, 2, 3]})
