"""ONNX activations, normalizations, transposed convolution and comparisons on the engine:
LeakyRelu, Elu, Celu, Selu, Gelu, Erf, HardSigmoid, HardSwish, Softplus, Mish, PRelu, Sin, Cos,
Reciprocal, Floor, Ceil, LayerNormalization, GroupNormalization, InstanceNormalization,
ConvTranspose, Greater, Less, Equal, Not, Resize, ReduceProd, CumSum, Tile, Trilu."""

from __future__ import annotations

import math

import numpy as np

from cnnlab.autograd.math_ops import Elementwise
from cnnlab.autograd.tensor import Tensor
from cnnlab.nn import functional as F
from cnnlab.onnx.import_node import Node, Run, importer, window
from cnnlab.ops.pointwise import _erf


# ----- activations
@importer("LeakyRelu")
def leaky_relu(node: Node) -> Run:
    slope = node.attr("alpha", 0.01)
    return lambda inputs: F.leaky_relu(inputs[0], slope)


@importer("Elu", "Celu")
def elu(node: Node) -> Run:
    alpha = node.attr("alpha", 1.0)
    f = F.elu if node.op_type == "Elu" else F.celu
    return lambda inputs: f(inputs[0], alpha)


@importer("Selu")
def selu(node: Node) -> Run:
    """``gamma elu(x, alpha)`` (PyTorch's selu for the default constants)."""
    alpha, gamma = (
        node.attr("alpha", 1.67326319217681884765625),
        node.attr("gamma", 1.05070102214813232421875),
    )
    return lambda inputs: F.elu(inputs[0], alpha) * gamma


@importer("Gelu")
def gelu(node: Node) -> Run:
    approximate = node.attr("approximate", "none")
    return lambda inputs: F.gelu(inputs[0], approximate=approximate)


def _erf_derivative(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    return (2 / math.sqrt(math.pi)) * np.exp(-x * x)


@importer("Erf")
def erf(node: Node) -> Run:
    """``erf(x)``, as PyTorch's exporter writes the exact GELU before opset 20."""
    return lambda inputs: Elementwise.apply(inputs[0], f=_erf, derivative=_erf_derivative, op="Erf")


@importer("HardSigmoid")
def hard_sigmoid(node: Node) -> Run:
    """``clamp(alpha x + beta, 0, 1)`` (ONNX's defaults: alpha 0.2, beta 0.5)."""
    alpha, beta = node.attr("alpha", 0.2), node.attr("beta", 0.5)
    return lambda inputs: (inputs[0] * alpha + beta).clamp(0.0, 1.0)


SIMPLE = {
    "HardSwish": F.hardswish,
    "Softplus": F.softplus,
    "Mish": F.mish,
    "Sin": Tensor.sin,
    "Cos": Tensor.cos,
    "Reciprocal": Tensor.reciprocal,
    "Floor": Tensor.floor,
    "Ceil": Tensor.ceil,
}


@importer(*SIMPLE)
def simple(node: Node) -> Run:
    f = SIMPLE[node.op_type]
    return lambda inputs: f(inputs[0])


@importer("PRelu")
def prelu(node: Node) -> Run:
    """``max(0, x) + slope min(0, x)``, the slope broadcast to ``x`` from the right."""
    return lambda inputs: inputs[0].relu() - inputs[1] * (-inputs[0]).relu()


# ----- normalization
@importer("LayerNormalization")
def layer_norm(node: Node) -> Run:
    """Standardize over the dimensions from ``axis`` on, then scale and shift."""
    if len([o for o in node.outputs if o]) > 1:
        raise node.fail("its mean and inverse standard deviation outputs are not supported")
    axis, eps = node.attr("axis", -1), node.attr("epsilon", 1e-5)

    def run(inputs):
        x, scale, bias = ([*inputs, None])[:3]
        shape = tuple(x.shape[axis % x.ndim :])
        scale, bias = (None if t is None else t.expand(*shape) for t in (scale, bias))
        return F.layer_norm(x, shape, scale, bias, eps)

    return run


@importer("GroupNormalization")
def group_norm(node: Node) -> Run:
    """Standardize each group of channels; the scale and bias are per channel from opset 21,
    per group before it (repeated over the group's channels here)."""
    groups, eps = node.attr("num_groups"), node.attr("epsilon", 1e-5)

    def run(inputs):
        x, scale, bias = inputs
        channels = x.shape[1]
        if scale.numel() == groups and groups != channels:
            scale, bias = (
                t.reshape(groups, 1).expand(groups, channels // groups).reshape(channels)
                for t in (scale, bias)
            )
        return F.group_norm(x, groups, scale, bias, eps)

    return run


@importer("InstanceNormalization")
def instance_norm(node: Node) -> Run:
    """Standardize each channel of each sample: group norm with one channel per group."""
    eps = node.attr("epsilon", 1e-5)
    return lambda inputs: F.group_norm(inputs[0], inputs[0].shape[1], inputs[1], inputs[2], eps)


# ----- transposed convolution
@importer("ConvTranspose")
def conv_transpose(node: Node) -> Run:
    """PyTorch's ``conv_transpose2d``; asymmetric ``pads`` crop the unpadded output."""
    strides, dilations = window(node)
    if node.attr("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise node.fail(f"auto_pad {node.attr('auto_pad')!r} (only explicit pads)")
    if node.attr("output_shape") is not None:
        raise node.fail("output_shape is not supported (give pads and output_padding)")
    top, left, bottom, right = node.attr("pads", [0, 0, 0, 0])
    extra = list(node.attr("output_padding", [0, 0]))
    groups = node.attr("group", 1)

    def run(inputs):
        x, weight, bias = ([*inputs, None])[:3]
        if (top, left) == (bottom, right):
            return F.conv_transpose2d(
                x, weight, bias, strides, (top, left), extra, groups, dilations
            )
        if extra[0] > bottom or extra[1] > right:
            raise node.fail(f"output_padding {extra} larger than the end pads {[bottom, right]}")
        y = F.conv_transpose2d(x, weight, bias, strides, 0, 0, groups, dilations)
        h, w = y.shape[2:]
        return y[:, :, top : h - bottom + extra[0], left : w - right + extra[1]]

    return run


# ----- comparisons (masks for Where: no gradient)
COMPARISONS = {"Greater": np.greater, "Less": np.less, "Equal": np.equal}


@importer(*COMPARISONS)
def comparison(node: Node) -> Run:
    f = COMPARISONS[node.op_type]
    return lambda inputs: Tensor._wrap(f(inputs[0]._data, inputs[1]._data))


@importer("Not")
def logical_not(node: Node) -> Run:
    return lambda inputs: Tensor._wrap(np.logical_not(inputs[0]._data))


# ----- resizing
RESIZE_MODES = {
    # (mode, coordinate_transformation_mode, nearest_mode) -> F.interpolate's mode, align_corners
    ("nearest", "asymmetric", "floor"): ("nearest", None),
    ("nearest", "half_pixel", "round_prefer_ceil"): ("nearest-exact", None),
    ("linear", "pytorch_half_pixel", None): ("bilinear", False),
    ("linear", "half_pixel", None): ("bilinear", False),
    ("linear", "align_corners", None): ("bilinear", True),
}


@importer("Resize", "Upsample")
def resize(node: Node) -> Run:
    """``F.interpolate`` for the Resize forms PyTorch's modes write: nearest (asymmetric, floor),
    nearest-exact (half_pixel, round_prefer_ceil), bilinear (pytorch_half_pixel or
    align_corners), over the two image axes, by ``scales`` or to ``sizes``."""
    mode = node.attr("mode", "nearest")
    transform = node.attr("coordinate_transformation_mode", "half_pixel")
    if node.op_type == "Upsample" or node.opset < 11:
        transform = "asymmetric"
    rounding = node.attr("nearest_mode", "round_prefer_floor") if mode == "nearest" else None
    key = (mode, transform, rounding)
    if key not in RESIZE_MODES:
        raise node.fail(
            f"mode {mode!r} with coordinate_transformation_mode {transform!r}"
            + (f" and nearest_mode {rounding!r}" if rounding else "")
        )
    if node.attr("antialias", 0) or node.attr("keep_aspect_ratio_policy", "stretch") != "stretch":
        raise node.fail("antialias or keep_aspect_ratio_policy is not supported")
    axes = node.attr("axes")
    torch_mode, align_corners = RESIZE_MODES[key]

    def run(inputs):
        x = inputs[0]
        scales, sizes = _resize_targets(node, inputs)
        if axes is not None and sorted(a % x.ndim for a in axes) != [2, 3]:
            raise node.fail(f"axes {list(axes)} (only the image axes 2 and 3)")
        if sizes is not None:
            size = sizes[-2:]
            if len(sizes) == 4 and list(sizes[:2]) != list(x.shape[:2]):
                raise node.fail(f"sizes {sizes} resize the batch or the channels")
            return F.interpolate(x, size=tuple(size), mode=torch_mode, align_corners=align_corners)
        if len(scales) == 4 and list(scales[:2]) != [1.0, 1.0]:
            raise node.fail(f"scales {scales} resize the batch or the channels")
        factors = tuple(scales[-2:])
        return F.interpolate(x, scale_factor=factors, mode=torch_mode, align_corners=align_corners)

    return run


def _resize_targets(node: Node, inputs: list) -> tuple[list[float] | None, list[int] | None]:
    """Resize's ``scales`` or ``sizes`` (Upsample and opset 10's Resize: scales second)."""
    if node.op_type == "Upsample" or node.opset < 11:
        given = inputs[1] if len(inputs) > 1 else None
        scales = node.attr("scales") if given is None else given._data.reshape(-1).tolist()
        return [float(s) for s in scales], None
    scales, sizes = ([*inputs, None, None, None])[2:4]
    if sizes is not None and sizes.numel():
        return None, [int(n) for n in sizes._data.reshape(-1)]
    if scales is None or not scales.numel():
        raise node.fail("neither scales nor sizes is given")
    return [float(s) for s in scales._data.reshape(-1)], None


# ----- tensor methods
@importer("ReduceProd")
def reduce_prod(node: Node) -> Run:
    keep = bool(node.attr("keepdims", 1))

    def run(inputs):
        x = inputs[0]
        given = inputs[1] if len(inputs) > 1 and inputs[1] is not None else None
        axes = node.attr("axes") if given is None else given._data.reshape(-1).tolist()
        axes = sorted({int(a) % x.ndim for a in (range(x.ndim) if axes is None else axes)})
        for axis in reversed(axes):
            x = x.prod(dim=axis, keepdim=True)
        return x if keep else x.reshape(*(n for i, n in enumerate(x.shape) if i not in axes))

    return run


@importer("CumSum")
def cumulative_sum(node: Node) -> Run:
    if node.attr("exclusive", 0) or node.attr("reverse", 0):
        raise node.fail("exclusive or reverse sums are not supported")
    return lambda inputs: inputs[0].cumsum(int(inputs[1].item()))


@importer("Tile")
def tile(node: Node) -> Run:
    return lambda inputs: inputs[0].repeat(*(int(n) for n in inputs[1]._data.reshape(-1)))


@importer("Trilu")
def trilu(node: Node) -> Run:
    upper = bool(node.attr("upper", 1))

    def run(inputs):
        k = int(inputs[1].item()) if len(inputs) > 1 and inputs[1] is not None else 0
        return inputs[0].triu(k) if upper else inputs[0].tril(k)

    return run
