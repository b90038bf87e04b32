"""ONNX nodes for the chapter's layers (``cnnlab.autograd.nn_ops``): Conv, Gemm, MaxPool,
AveragePool, BatchNormalization; dropout is dropped (inference)."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd import nn_ops
from cnnlab.onnx.graph import Emit, emits
from cnnlab.ops.conv import conv_geometry
from cnnlab.ops.pool import pool_geometry


@emits(nn_ops.Linear)
def linear(e: Emit) -> str:
    """``x W^T + b``: Gemm (transB=1) for (N, in) inputs, else MatMul by W^T then Add."""
    x, weight, bias = e.input(0), e.input(1), e.input(2)
    if len(e.shape(0)) == 2:
        return e.node("Gemm", [x, weight, *([bias] if bias else [])], transB=1)
    y = e.node("MatMul", [x, e.node("Transpose", [weight], perm=[1, 0])])
    return e.node("Add", [y, bias]) if bias else y


def conv_node(e: Emit, op_type: str, geom, groups, **attributes) -> str:
    """A Conv or ConvTranspose node on (x, W[, b]) with ``geom``'s kernel, strides, dilations
    and padding, resolved to (top, left, bottom, right) as the engine does."""
    (top, bottom), (left, right) = geom.padding
    bias = [e.input(2)] if e.input(2) else []
    return e.node(
        op_type,
        [e.input(0), e.input(1), *bias],
        kernel_shape=[geom.kh, geom.kw],
        strides=list(geom.stride),
        pads=[top, left, bottom, right],
        dilations=list(geom.dilation),
        group=int(groups),
        **attributes,
    )


@emits(nn_ops.Conv2d)
def conv2d(e: Emit) -> str:
    """Eq. (8.2) as Conv."""
    o = e.options
    geom = conv_geometry(e.shape(0), e.shape(1), o["stride"], o["padding"], o["dilation"])
    return conv_node(e, "Conv", geom, o.get("groups", 1))


def _pool_pads(geom) -> list[int]:
    """(top, left, bottom, right) with the bottom/right grown so that every window the engine
    computes fits: ceil_mode is then written as explicit padding, whose windows ONNX and PyTorch
    agree on (ONNX's own ceil_mode rounds differently in some opsets)."""
    (top, bottom), (left, right) = geom.pad_widths()
    return [top, left, bottom, right]


@emits(nn_ops.MaxPool2d)
def max_pool2d(e: Emit) -> str:
    """Eq. (8.13) as MaxPool (padding is -inf, as the engine's)."""
    o = e.options
    geom = pool_geometry(
        e.shape(0),
        o["kernel_size"],
        o["stride"],
        o["padding"],
        o["dilation"],
        o["ceil_mode"],
        "max_pool2d",
    )
    return e.node(
        "MaxPool",
        [e.input(0)],
        kernel_shape=list(geom.kernel),
        strides=list(geom.stride),
        pads=_pool_pads(geom),
        dilations=list(geom.dilation) if geom.dilation != (1, 1) else None,
    )


@emits(nn_ops.AvgPool2d)
def avg_pool2d(e: Emit) -> str:
    """Eq. (8.16) as AveragePool with count_include_pad=0: with ``count_include_pad`` the zero
    padding is made real by a Pad node first, so that the windows ceil_mode adds past the
    padding divide by what they cover, as in PyTorch; ``divisor_override`` becomes a Mul where
    every window is whole."""
    o = e.options
    geom = pool_geometry(
        e.shape(0), o["kernel_size"], o["stride"], o["padding"], 1, o["ceil_mode"], "avg_pool2d"
    )
    x, pads = e.input(0), _pool_pads(geom)
    ph, pw = geom.padding
    if o["count_include_pad"] and (ph or pw):
        x = e.node("Pad", [x, e.ints([0, 0, ph, pw, 0, 0, ph, pw])])
        pads = [0, 0, pads[2] - ph, pads[3] - pw]
    y = e.node(
        "AveragePool",
        [x],
        kernel_shape=list(geom.kernel),
        strides=list(geom.stride),
        pads=pads,
        count_include_pad=0,
    )
    divisor = o.get("divisor_override")
    if divisor is None:
        return y
    if any(_pool_pads(geom)):
        raise e.fail("divisor_override with padding or ceil_mode windows has no ONNX form")
    scale = np.asarray(geom.kernel[0] * geom.kernel[1] / divisor, dtype=e.out_dtype)
    return e.node("Mul", [y, e.constant(scale)])


@emits(nn_ops.BatchNorm)
def batch_norm(e: Emit) -> str:
    """Eq. (8.18) with the running statistics, as BatchNormalization (inference form)."""
    o = e.options
    if o["training"]:
        raise e.fail(
            "batch statistics (training mode) are not exported; export the model in eval mode"
        )
    channels = e.shape(0)[1]
    dtype = e.out_dtype
    scale = e.input(1) or e.constant(np.ones(channels, dtype))
    shift = e.input(2) or e.constant(np.zeros(channels, dtype))
    mean = e.statistic(o["running_mean"])
    var = e.statistic(o["running_var"])
    return e.node(
        "BatchNormalization", [e.input(0), scale, shift, mean, var], epsilon=float(o["eps"])
    )


@emits(nn_ops.Dropout)
def dropout(e: Emit) -> str:
    """Dropout is the identity at inference."""
    return e.node("Identity", [e.input(0)])
