"""The chapter's equation for one feature-map cell, evaluated on the numbers the engine used.

Every function takes the recorded call of a layer (its actual input and output arrays) and a
cell ``(k, i, j)`` of its output, recomputes that cell from the layer's input and parameters by
the chapter's formula, in float64, and returns the terms with the result and the value the
engine produced, so the page can show that the two agree:

- convolution, eq. (8.2): ``z(k,i,j) = b(k) + sum_k' sum_u sum_v x(k', i*s+u, j*s+v) W(k,k',u,v)``
  over the zero-padded input (rows ``i*s + u*d`` with dilation ``d``), for the input channels
  filter ``k`` reads;
- max pooling, eq. (8.13), and average pooling, eq. (8.16), over the cell's window;
- batch normalization, eq. (8.18), with the running statistics (eval mode);
- ReLU, tanh and sigmoid, element by element.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cnnlab.serve.geometry import Window, layer_window
from cnnlab.serve.trace import LayerCall

ELEMENTWISE = {
    "ReLU": ("max(0, x)", lambda x: max(0.0, x)),
    "Tanh": ("tanh(x)", math.tanh),
    "Sigmoid": ("1 / (1 + exp(-x))", lambda x: 1.0 / (1.0 + math.exp(-x))),
}


def padded_window(x: np.ndarray, window: Window, i: int, j: int, fill: float) -> np.ndarray:
    """``x`` (C, H, W) read through ``window`` at output cell ``(i, j)``: (C, f_h, f_w), with
    ``fill`` where the window lies on the padding."""
    (top, bottom), (left, right) = window.padding
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right)), constant_values=fill)
    rows = i * window.stride[0] + window.dilation[0] * np.arange(window.kernel[0])
    cols = j * window.stride[1] + window.dilation[1] * np.arange(window.kernel[1])
    return padded[:, rows][:, :, cols]


def conv_terms(call: LayerCall, k: int, i: int, j: int) -> dict[str, Any]:
    """Eq. (8.2) for ``z(k, i, j)``: the input window over the channels filter ``k`` reads, the
    filter, the bias and the sum."""
    module, window = call.module, layer_window(call)
    weight = np.asarray(module.weight._data, np.float64)
    groups = getattr(module, "groups", 1)
    per_group = weight.shape[1]
    first = (k // (weight.shape[0] // groups)) * per_group
    x = np.asarray(call.input[0, first : first + per_group], np.float64)
    patch = padded_window(x, window, i, j, 0.0)
    bias = 0.0 if module.bias is None else float(module.bias._data[k])
    products = patch * weight[k]
    return {
        "equation": "8.2",
        "formula": "z(k,i,j) = b(k) + Σ_k' Σ_u Σ_v x(k', i·s+u, j·s+v) · W(k,k',u,v)",
        "input_channels": list(range(first, first + per_group)),
        "window": patch.tolist(),
        "weights": weight[k].tolist(),
        "bias": bias,
        "channel_sums": products.sum(axis=(1, 2)).tolist(),
        "result": bias + float(products.sum()),
        **window_geometry(window, i, j),
    }


def pool_terms(call: LayerCall, k: int, i: int, j: int) -> dict[str, Any]:
    """Eq. (8.13) (max) or eq. (8.16) (average) for ``z(k, i, j)``."""
    module, window = call.module, layer_window(call)
    x = np.asarray(call.input[0, k : k + 1], np.float64)
    if call.kind == "MaxPool2d":
        patch = padded_window(x, window, i, j, -np.inf)[0]
        return {
            "equation": "8.13",
            "formula": "z(c,i,j) = max over the window of x(c, m, n)",
            "window": np.where(np.isfinite(patch), patch, None).tolist(),
            "result": float(patch.max()),
            "argmax": [int(v) for v in np.unravel_index(patch.argmax(), patch.shape)],
            **window_geometry(window, i, j),
        }
    patch = padded_window(x, window, i, j, 0.0)[0]
    divisor = average_divisor(module, window, x.shape[1:], i, j)
    return {
        "equation": "8.16",
        "formula": "z(c,i,j) = (1 / (f·f)) Σ_m Σ_n x(c, m, n)",
        "window": patch.tolist(),
        "divisor": divisor,
        "result": float(patch.sum()) / divisor,
        **window_geometry(window, i, j),
    }


def average_divisor(module, window: Window, size: tuple[int, int], i: int, j: int) -> int:
    """What average pooling divides by: ``divisor_override``; else the window cells on the
    padded input (``count_include_pad``, PyTorch's default: f·f inside), or on the input."""
    override = getattr(module, "divisor_override", None)
    if override:
        return int(override)
    with_padding = getattr(module, "count_include_pad", True)
    counts = []
    for axis, span in enumerate((window.span(0, i), window.span(1, j))):
        before, after = window.padding[axis] if with_padding else (0, 0)
        counts.append(min(span[1], size[axis] - 1 + after) - max(span[0], -before) + 1)
    return counts[0] * counts[1]


def window_geometry(window: Window, i: int, j: int) -> dict[str, Any]:
    """The input rows and columns the window covers (may reach into the padding)."""
    return {
        "rows": list(window.span(0, i)),
        "cols": list(window.span(1, j)),
        "kernel": list(window.kernel),
        "stride": list(window.stride),
        "padding": [window.padding[0][0], window.padding[1][0]],
        "dilation": list(window.dilation),
    }


def batch_norm_terms(call: LayerCall, k: int, i: int, j: int) -> dict[str, Any]:
    """Eq. (8.18) in eval mode: ``y = gamma (x - mean) / sqrt(var + eps) + beta`` with the
    running statistics."""
    module = call.module
    x = float(call.input[0, k, i, j])
    mean = float(module.running_mean._data[k])
    var = float(module.running_var._data[k])
    gamma = 1.0 if module.weight is None else float(module.weight._data[k])
    beta = 0.0 if module.bias is None else float(module.bias._data[k])
    return {
        "equation": "8.18",
        "formula": "y = gamma (x - mean) / sqrt(var + eps) + beta",
        "x": x,
        "mean": mean,
        "var": var,
        "eps": float(module.eps),
        "gamma": gamma,
        "beta": beta,
        "result": gamma * (x - mean) / math.sqrt(var + module.eps) + beta,
    }


def elementwise_terms(call: LayerCall, k: int, i: int, j: int) -> dict[str, Any]:
    """An activation applied to one value: ReLU, tanh or sigmoid."""
    formula, function = ELEMENTWISE[call.kind]
    x = float(call.input[0, k, i, j])
    return {"equation": None, "formula": f"y = {formula}", "x": x, "result": function(x)}


def explain_cell(call: LayerCall, k: int, i: int, j: int) -> dict[str, Any]:
    """The formula of ``call``'s layer evaluated at output cell ``(k, i, j)``; ``value`` is the
    engine's own output there. Layers without a formula here give ``value`` alone."""
    if call.kind == "Conv2d":
        terms = conv_terms(call, k, i, j)
    elif call.kind in ("MaxPool2d", "AvgPool2d"):
        terms = pool_terms(call, k, i, j)
    elif call.kind == "BatchNorm2d" and not call.module.training:
        terms = batch_norm_terms(call, k, i, j)
    elif call.kind in ELEMENTWISE:
        terms = elementwise_terms(call, k, i, j)
    else:
        terms = {"equation": None, "formula": None, "result": None}
    return {**terms, "value": float(call.output[0, k, i, j])}
