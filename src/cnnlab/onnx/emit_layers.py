"""ONNX nodes for the layers beyond the chapter: grouped, depthwise and transposed
convolutions (Conv with ``group``, ConvTranspose), adaptive pooling (GlobalAveragePool,
GlobalMaxPool, AveragePool/MaxPool, or one window per bin), layer and group normalization,
padding (Pad) and interpolation (Resize)."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd import conv_ops, norm_ops, resize_ops
from cnnlab.onnx.emit_nn import conv_node
from cnnlab.onnx.graph import Emit, emits
from cnnlab.ops.adaptive import adaptive_bins
from cnnlab.ops.conv_groups import grouped_geometry
from cnnlab.ops.conv_transpose import transposed_geometry


@emits(conv_ops.GroupedConv2d)
def grouped_conv2d(e: Emit) -> str:
    """Eq. (8.2) per group of ``C / groups`` input channels (depthwise when each group holds
    one): Conv with ``group``."""
    o = e.options
    geom = grouped_geometry(
        e.shape(0), e.shape(1), o["stride"], o["padding"], o["dilation"], o["groups"]
    )
    return conv_node(e, "Conv", geom, o["groups"])


@emits(conv_ops.ConvTranspose2d)
def conv_transpose2d(e: Emit) -> str:
    """The input gradient of a convolution as a layer: ConvTranspose, weight
    (C_in, C_out / groups, kh, kw) in both; output ``(n - 1) s - 2p + d (k - 1) + op + 1``."""
    o = e.options
    geom = transposed_geometry(
        e.shape(0),
        e.shape(1),
        o["stride"],
        o["padding"],
        o["output_padding"],
        o["groups"],
        o["dilation"],
    )
    output_padding = o["output_padding"]
    if isinstance(output_padding, int | np.integer):
        output_padding = (output_padding, output_padding)
    return conv_node(
        e, "ConvTranspose", geom, o["groups"], output_padding=[int(p) for p in output_padding]
    )


def _adaptive(e: Emit, op: str) -> str:
    """Pooling of each adaptive bin ``[floor(i n / m), ceil((i + 1) n / m))``: the global op for
    one bin, a pooling window where the bins tile the axis evenly, else one Slice and reduction
    per bin and axis (a bin's mean over rows then columns is its mean over the rectangle)."""
    x, (h, w), (ho, wo) = e.input(0), e.shape(0)[2:], e.out_shape[2:]
    if (ho, wo) == (1, 1):
        return e.node(f"Global{op}Pool", [x])
    if e.dynamic(0) & {2, 3}:
        raise e.fail(f"a {ho}x{wo} output over dynamic image sizes has no fixed ONNX windows")
    if h % ho == 0 and w % wo == 0:
        window = [h // ho, w // wo]
        return e.node(f"{op}Pool", [x], kernel_shape=window, strides=window)
    reduce = "ReduceMean" if op == "Average" else "ReduceMax"
    for axis, n, m in ((2, h, ho), (3, w, wo)):
        bins = []
        for start, stop in adaptive_bins(n, m):
            part = e.node("Slice", [x, e.ints([start]), e.ints([stop]), e.ints([axis])])
            bins.append(e.axes(reduce, 18, [part], [axis], keepdims=1))
        x = e.node("Concat", bins, axis=axis)
    return x


@emits(resize_ops.AdaptiveAvgPool2d)
def adaptive_avg_pool2d(e: Emit) -> str:
    return _adaptive(e, "Average")


@emits(resize_ops.AdaptiveMaxPool2d)
def adaptive_max_pool2d(e: Emit) -> str:
    return _adaptive(e, "Max")


def _standardized(e: Emit, x: str, axes: list[int], eps: float) -> str:
    """``(x - mean) / sqrt(var + eps)`` over ``axes``, the biased variance (opset 13's ops)."""
    centered = e.node("Sub", [x, e.axes("ReduceMean", 18, [x], axes, keepdims=1)])
    squares = e.node("Mul", [centered, centered])
    variance = e.axes("ReduceMean", 18, [squares], axes, keepdims=1)
    eps_value = e.constant(np.asarray(eps, dtype=e.out_dtype))
    return e.node("Div", [centered, e.node("Sqrt", [e.node("Add", [variance, eps_value])])])


def _scale_shift(e: Emit, y: str, shape: list[int]) -> str:
    """``y * weight + bias``, each reshaped to ``shape`` when given (absent ones skipped)."""
    for i, op_type in ((1, "Mul"), (2, "Add")):
        if e.input(i):
            value = e.input(i)
            if shape != list(e.shape(i)):
                value = e.node("Reshape", [value, e.ints(shape)])
            y = e.node(op_type, [y, value])
    return y


@emits(norm_ops.LayerNorm)
def layer_norm(e: Emit) -> str:
    """Standardize over the last ``len(normalized_shape)`` dimensions, then scale and shift:
    LayerNormalization from opset 17, else the formula."""
    x, ndim = e.input(0), len(e.shape(0))
    dims = len(e.options["normalized_shape"])
    eps = float(e.options["eps"])
    if e.opset >= 17:
        scale = e.input(1) or e.constant(np.ones(e.options["normalized_shape"], e.out_dtype))
        bias = [e.input(2)] if e.input(2) else []
        return e.node("LayerNormalization", [x, scale, *bias], axis=-dims, epsilon=eps)
    y = _standardized(e, x, list(range(ndim - dims, ndim)), eps)
    return _scale_shift(e, y, list(e.options["normalized_shape"]))


@emits(norm_ops.GroupNorm)
def group_norm(e: Emit) -> str:
    """Standardize each group of ``C / G`` channels of each sample (reshaped to (N, G, -1)),
    then scale and shift per channel: the formula, as GroupNormalization's scale was per group
    before opset 21."""
    x, shape = e.input(0), e.shape(0)
    groups = int(e.options["num_groups"])
    grouped = e.node("Reshape", [x, e.ints([0, groups, -1])])
    y = _standardized(e, grouped, [2], float(e.options["eps"]))
    y = e.node("Reshape", [y, e.node("Shape", [x])])
    return _scale_shift(e, y, [shape[1]] + [1] * (len(shape) - 2))


PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}


@emits(resize_ops.Pad)
def pad(e: Emit) -> str:
    """``F.pad``: PyTorch's (last-axis before, after, previous axis before, ...) as ONNX's pads
    (every axis' begin, then every axis' end); replicate is ONNX's edge, circular its wrap
    (opset 19)."""
    mode, amounts, ndim = e.options["mode"], list(e.options["pad"]), len(e.shape(0))
    modes = {**PAD_MODES, **({"circular": "wrap"} if e.opset >= 19 else {})}
    if mode not in modes:
        raise e.fail(f"padding mode {mode!r} needs opset 19 (wrap); asked for {e.opset}")
    begins, ends = [0] * ndim, [0] * ndim
    for k in range(len(amounts) // 2):
        begins[ndim - 1 - k], ends[ndim - 1 - k] = amounts[2 * k], amounts[2 * k + 1]
    inputs = [e.input(0), e.ints(begins + ends)]
    if mode == "constant":
        inputs.append(e.constant(np.asarray(e.options["value"], dtype=e.out_dtype)))
    return e.node("Pad", inputs, mode=modes[mode])


RESIZE_MODES = {
    # PyTorch mode (align_corners) -> Resize's mode, coordinate transformation, nearest rounding
    ("nearest", False): ("nearest", "asymmetric", "floor"),
    ("nearest-exact", False): ("nearest", "half_pixel", "round_prefer_ceil"),
    ("bilinear", False): ("linear", "pytorch_half_pixel", None),
    ("bilinear", True): ("linear", "align_corners", None),
}


@emits(resize_ops.Interpolate)
def interpolate(e: Emit) -> str:
    """``F.interpolate`` / ``nn.Upsample`` as Resize. With a ``scale_factor`` PyTorch maps the
    positions by ``1 / scale_factor``: Resize's ``scales`` then; with a ``size``, by
    ``n_in / n_out``: Resize's ``sizes`` (the batch and channels read from the input's Shape)."""
    o = e.options
    mode, transform, rounding = RESIZE_MODES[(o["mode"], bool(o["align_corners"]))]
    factors = o["scale_factors"] or (None, None)
    attributes = {"mode": mode, "coordinate_transformation_mode": transform}
    if rounding:
        attributes["nearest_mode"] = rounding
    x = e.input(0)
    if all(f is not None for f in factors) and not o["align_corners"]:
        if e.dynamic(0) & {2, 3} and _floor_sizes(e, factors) != tuple(e.out_shape[2:]):
            raise e.fail(f"scale_factor {factors} gives other sizes in ONNX's float32")
        scales = e.constant(np.asarray([1, 1, *factors], dtype=np.float32))
        return e.node("Resize", [x, "", scales], **attributes)
    if e.dynamic(0) & {2, 3}:
        raise e.fail(f"a fixed size {tuple(e.out_shape[2:])} over dynamic image sizes")
    batch_channels = e.node("Slice", [e.node("Shape", [x]), e.ints([0]), e.ints([2])])
    sizes = e.node("Concat", [batch_channels, e.ints(e.out_shape[2:])], axis=0)
    return e.node("Resize", [x, "", "", sizes], **attributes)


def _floor_sizes(e: Emit, factors) -> tuple[int, ...]:
    """The output sizes onnxruntime computes from float32 scales: ``floor(n * scale)``."""
    return tuple(
        int(np.floor(np.float32(n) * np.float32(f)))
        for n, f in zip(e.shape(0)[2:], factors, strict=True)
    )
