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


class Lambda(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)


def check(name: str, model, shape: tuple[int, ...], onnx_helpers) -> None:
    h = onnx_helpers
    rng = np.random.default_rng(0)
    data = h.exported(model, rng.standard_normal((2, *shape)).astype(np.float32))
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
