"""ONNX nodes for the activations of ``cnnlab.autograd.activation_ops`` and the elementwise
functions of ``Tensor`` (``sin``, ``floor``, ...): one ONNX op where the opset has it, else the
formula written with the ops of opset 13."""

from __future__ import annotations

import math

import numpy as np

from cnnlab.autograd import activation_ops as act
from cnnlab.autograd import math_ops
from cnnlab.onnx.graph import Emit, emits


def _scalar(e: Emit, value: float) -> str:
    return e.constant(np.asarray(value, dtype=e.out_dtype))


@emits(act.LeakyReLU)
def leaky_relu(e: Emit) -> str:
    """``max(0, x) + slope min(0, x)``: LeakyRelu."""
    return e.node("LeakyRelu", [e.input(0)], alpha=float(e.options["negative_slope"]))


@emits(act.Hardtanh)
def hardtanh(e: Emit) -> str:
    """``clamp(x, min_val, max_val)`` (ReLU6 is ``clamp(x, 0, 6)``): Clip."""
    low, high = (_scalar(e, e.options[k]) for k in ("min_val", "max_val"))
    return e.node("Clip", [e.input(0), low, high])


@emits(act.ELU, act.CELU)
def elu(e: Emit) -> str:
    """``x`` for x > 0, else ``alpha (exp(x) - 1)`` (CELU: ``alpha (exp(x / alpha) - 1)``)."""
    op_type = "Elu" if e.step.op is act.ELU else "Celu"
    return e.node(op_type, [e.input(0)], alpha=float(e.options["alpha"]))


@emits(act.GELU)
def gelu(e: Emit) -> str:
    """``x Phi(x) = x/2 (1 + erf(x / sqrt 2))``, or with ``approximate='tanh'``
    ``x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``: Gelu from opset 20, else the formula."""
    x, approximate = e.input(0), e.options["approximate"]
    if e.opset >= 20:
        return e.node("Gelu", [x], approximate=approximate)
    if approximate == "tanh":
        cube = e.node("Mul", [e.node("Mul", [x, x]), x])
        inner = e.node("Add", [x, e.node("Mul", [cube, _scalar(e, 0.044715)])])
        curve = e.node("Tanh", [e.node("Mul", [inner, _scalar(e, math.sqrt(2 / math.pi))])])
    else:
        curve = e.node("Erf", [e.node("Mul", [x, _scalar(e, math.sqrt(0.5))])])
    half = e.node("Mul", [x, _scalar(e, 0.5)])
    return e.node("Mul", [half, e.node("Add", [curve, _scalar(e, 1.0)])])


@emits(act.SiLU)
def silu(e: Emit) -> str:
    """``x sigmoid(x)``: Sigmoid then Mul."""
    x = e.input(0)
    return e.node("Mul", [x, e.node("Sigmoid", [x])])


@emits(act.Hardsigmoid)
def hardsigmoid(e: Emit) -> str:
    """``relu6(x + 3) / 6``: HardSigmoid with alpha 1/6, beta 1/2."""
    return e.node("HardSigmoid", [e.input(0)], alpha=1 / 6, beta=0.5)


@emits(act.Hardswish)
def hardswish(e: Emit) -> str:
    """``x relu6(x + 3) / 6``: HardSigmoid then Mul (HardSwish is opset 14's)."""
    x = e.input(0)
    return e.node("Mul", [x, e.node("HardSigmoid", [x], alpha=1 / 6, beta=0.5)])


def _softplus(e: Emit, x: str, beta: float = 1.0, threshold: float | None = None) -> str:
    """``log(1 + exp(beta x)) / beta``, and ``x`` where ``beta x > threshold`` (PyTorch's)."""
    scaled = x if beta == 1.0 else e.node("Mul", [x, _scalar(e, beta)])
    y = e.node("Softplus", [scaled])
    y = y if beta == 1.0 else e.node("Div", [y, _scalar(e, beta)])
    if threshold is None:
        return y
    linear = e.node("Greater", [scaled, _scalar(e, threshold)])
    return e.node("Where", [linear, x, y])


@emits(act.Softplus)
def softplus(e: Emit) -> str:
    return _softplus(e, e.input(0), float(e.options["beta"]), float(e.options["threshold"]))


@emits(act.Mish)
def mish(e: Emit) -> str:
    """``x tanh(softplus(x))``."""
    x = e.input(0)
    return e.node("Mul", [x, e.node("Tanh", [_softplus(e, x)])])


@emits(act.LogSigmoid)
def log_sigmoid(e: Emit) -> str:
    """``log sigmoid(x) = -softplus(-x)``, stable for large ``|x|``."""
    return e.node("Neg", [_softplus(e, e.node("Neg", [e.input(0)]))])


@emits(act.PReLU)
def prelu(e: Emit) -> str:
    """``max(0, x) + a min(0, x)`` with one slope ``a`` per channel (dimension 1): PRelu, the
    slopes reshaped to (C, 1, ..., 1) to broadcast from the right."""
    x, weight = e.input(0), e.input(1)
    ndim, count = len(e.shape(0)), int(np.prod(e.shape(1)))
    if count > 1 and ndim > 2:
        weight = e.node("Reshape", [weight, e.ints([count] + [1] * (ndim - 2))])
    return e.node("PRelu", [x, weight])


ELEMENTWISE = {op: op for op in ("Sin", "Cos", "Reciprocal", "Floor", "Ceil", "Erf")}


@emits(math_ops.Elementwise)
def elementwise(e: Emit) -> str:
    """``sin``, ``cos``, ``reciprocal``, ``floor``, ``ceil``, ``erf`` (of a loaded model), and
    ``rsqrt`` as ``Reciprocal(Sqrt(x))``."""
    op = e.options["op"]
    if op == "Rsqrt":
        return e.node("Reciprocal", [e.node("Sqrt", [e.input(0)])])
    if op not in ELEMENTWISE:
        raise e.fail(f"the elementwise function {op} has no ONNX mapping")
    return e.node(ELEMENTWISE[op], [e.input(0)])
