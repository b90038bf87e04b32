"""The ONNX ops ``cnnlab.onnx.load`` runs, each as engine ops (so gradients flow through them).

:data:`IMPORTERS` maps an ONNX op type to a factory: given the node (:class:`Node`), it checks
the attributes once, at load time, and returns the function that computes the node's outputs
from its inputs (cnnlab tensors; None for an omitted optional input).
"""

from __future__ import annotations

import numpy as np

import cnnlab
from cnnlab.autograd.tensor import Tensor
from cnnlab.nn import functional as F
from cnnlab.onnx.import_node import Node, Run, importer, pad, static, window, window_pads


# ----- layers
@importer("Conv")
def conv(node: Node) -> Run:
    strides, dilations = window(node)
    groups = node.attr("group", 1)
    options = {"groups": groups} if groups != 1 else {}

    def run(inputs):
        x, weight, bias = ([*inputs, None])[:3]
        kernel = node.attr("kernel_shape", list(weight.shape[2:]))
        (top, left), (bottom, right) = window_pads(node, x.shape[2:], kernel, strides, dilations)
        padding = ((top, bottom), (left, right))
        return F.conv2d(x, weight, bias, tuple(strides), padding, tuple(dilations), **options)

    return run


@importer("Gemm")
def gemm(node: Node) -> Run:
    """``alpha * A' B' + beta * C``; the usual ``transB=1``, unit scales, is ``F.linear``."""
    alpha, beta = node.attr("alpha", 1.0), node.attr("beta", 1.0)
    trans_a, trans_b = node.attr("transA", 0), node.attr("transB", 0)

    def run(inputs):
        a, b, c = ([*inputs, None])[:3]
        a = a.t() if trans_a else a
        if trans_b and alpha == 1.0 and beta == 1.0 and (c is None or c.ndim == 1):
            return F.linear(a, b, c)
        y = a @ (b.t() if trans_b else b)
        y = y if alpha == 1.0 else y * alpha
        return y if c is None else y + (c if beta == 1.0 else c * beta)

    return run


@importer("BatchNormalization")
def batch_norm(node: Node) -> Run:
    if node.attr("training_mode", 0) or len(node.outputs) > 1:
        raise node.fail("training mode (batch statistics) is not supported")
    eps = node.attr("epsilon", 1e-5)

    def run(inputs):
        x, scale, bias, mean, var = inputs
        return F.batch_norm(x, mean, var, scale, bias, training=False, eps=eps)

    return run


# ----- elementwise
UNARY = {
    "Relu": Tensor.relu,
    "Tanh": Tensor.tanh,
    "Sigmoid": Tensor.sigmoid,
    "Exp": Tensor.exp,
    "Log": Tensor.log,
    "Sqrt": Tensor.sqrt,
    "Abs": Tensor.abs,
    "Neg": Tensor.__neg__,
    "Identity": lambda x: x,
}
BINARY = {
    "Add": (Tensor.__add__, np.add),
    "Sub": (Tensor.__sub__, np.subtract),
    "Mul": (Tensor.__mul__, np.multiply),
    "Div": (Tensor.__truediv__, lambda a, b: np.trunc(a / b).astype(np.result_type(a, b))),
    "Pow": (Tensor.__pow__, np.power),
    "MatMul": (Tensor.__matmul__, np.matmul),
}


@importer(*UNARY)
def unary(node: Node) -> Run:
    f = UNARY[node.op_type]
    return lambda inputs: f(inputs[0])


@importer(*BINARY)
def binary(node: Node) -> Run:
    """Tensor arithmetic; on two integer tensors (shape computations), NumPy's, with ONNX's
    integer division."""
    on_tensors, on_integers = BINARY[node.op_type]

    def run(inputs):
        a, b = inputs
        if a.dtype.kind in "iu" and b.dtype.kind in "iu":
            return Tensor._wrap(np.asarray(on_integers(a._data, b._data)))
        if node.op_type == "Pow" and b.ndim == 0:
            return a ** float(b.item())
        return on_tensors(a, b.type(a.dtype) if b.dtype != a.dtype else b)

    return run


@importer("Dropout")
def dropout(node: Node) -> Run:
    if len(node.outputs) > 1 and node.outputs[1]:
        raise node.fail("its mask output is not supported")
    return lambda inputs: inputs[0]


@importer("Clip")
def clip(node: Node) -> Run:
    low, high = node.attr("min"), node.attr("max")

    def run(inputs):
        x, lo, hi = ([*inputs, None, None])[:3]
        lo = low if lo is None else lo.item()
        hi = high if hi is None else hi.item()
        return x.clamp(lo, hi)

    return run


@importer("Max", "Min")
def extreme(node: Node) -> Run:
    smallest = node.op_type == "Min"

    def run(inputs):
        result = inputs[0]
        for other in inputs[1:]:
            result = result.min(other) if smallest else result.max(other)
        return result

    return run


@importer("Softmax", "LogSoftmax")
def softmax(node: Node) -> Run:
    axis = node.attr("axis", -1 if node.opset >= 13 else 1)
    log = node.op_type == "LogSoftmax"

    def run(inputs):
        x = inputs[0]
        if node.opset < 13 and axis % x.ndim != x.ndim - 1:
            raise node.fail(f"opset {node.opset}'s 2-D coerced softmax on axis {axis}")
        return x.log_softmax(axis) if log else x.softmax(axis)

    return run


@importer("Cast")
def cast(node: Node) -> Run:
    from onnx import helper

    dtype = helper.tensor_dtype_to_np_dtype(node.attr("to"))
    return lambda inputs: inputs[0].type(dtype)


@importer("Where")
def where(node: Node) -> Run:
    return lambda inputs: cnnlab.where(inputs[0]._data.astype(bool), inputs[1], inputs[2])


PAD_MODES = {"constant": "constant", "reflect": "reflect", "edge": "replicate", "wrap": "circular"}


@importer("Pad")
def pad_op(node: Node) -> Run:
    """Constant padding (negative pads crop) by concatenation; reflect, edge and wrap as
    ``F.pad``'s reflect, replicate and circular, on the trailing axes the pads touch."""
    mode = node.attr("mode", "constant")
    if mode not in PAD_MODES:
        raise node.fail(f"mode {mode!r} (one of {', '.join(PAD_MODES)})")

    def run(inputs):
        x, pads, value = ([*inputs, None, None])[:3]
        pads = static(pads) if pads is not None else node.attr("pads")
        if len(inputs) > 3 and inputs[3] is not None:
            raise node.fail("the axes input is not supported")
        if mode == "constant":
            return pad(x, pads, 0.0 if value is None else float(value.item()))
        return F.pad(x, _torch_pads(node, pads, x.ndim), mode=PAD_MODES[mode])

    return run


def _torch_pads(node: Node, pads: list[int], ndim: int) -> tuple[int, ...]:
    """ONNX's (every begin, every end) as PyTorch's (last before, last after, ...), for the
    trailing axes up to the first one padded."""
    touched = [axis for axis in range(ndim) if pads[axis] or pads[ndim + axis]]
    if any(p < 0 for p in pads):
        raise node.fail(f"negative pads {pads} in mode {node.attr('mode')!r}")
    first = touched[0] if touched else ndim
    return tuple(
        p for axis in reversed(range(first, ndim)) for p in (pads[axis], pads[ndim + axis])
    )
