"""ONNX nodes for the arithmetic, elementwise, reduction and shape ops of
``cnnlab.autograd.math_ops``."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd import math_ops as ops
from cnnlab.onnx.graph import Emit, emits, onnx_dtype

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min

UNARY = {
    ops.Neg: "Neg",
    ops.Exp: "Exp",
    ops.Log: "Log",
    ops.Sqrt: "Sqrt",
    ops.Abs: "Abs",
    ops.Tanh: "Tanh",
    ops.Sigmoid: "Sigmoid",
    ops.ReLU: "Relu",
}
BINARY = {
    ops.Add: "Add",
    ops.Sub: "Sub",
    ops.Mul: "Mul",
    ops.Div: "Div",
    ops.PowTensor: "Pow",
    ops.MatMul: "MatMul",
}


@emits(*UNARY)
def unary(e: Emit) -> str:
    """``y = f(x)`` elementwise: Neg, Exp, Log, Sqrt, Abs, Tanh, Sigmoid, Relu."""
    return e.node(UNARY[e.step.op], [e.input(0)])


@emits(*BINARY)
def binary(e: Emit) -> str:
    """``a op b`` with NumPy broadcasting (ONNX's multidirectional broadcasting is the same);
    both operands in the result's dtype, as the engine promotes them."""
    dtype = e.out_dtype
    return e.node(BINARY[e.step.op], [e.as_dtype(0, dtype), e.as_dtype(1, dtype)])


@emits(ops.Cast)
def cast(e: Emit) -> str:
    return e.node("Cast", [e.input(0)], to=onnx_dtype(e.out_dtype))


@emits(ops.Clone)
def clone(e: Emit) -> str:
    return e.node("Identity", [e.input(0)])


@emits(ops.Pow)
def power(e: Emit) -> str:
    """``x ** p`` for a constant p."""
    exponent = np.asarray(e.options["exponent"], dtype=e.out_dtype)
    return e.node("Pow", [e.input(0), e.constant(exponent)])


@emits(ops.Clamp)
def clamp(e: Emit) -> str:
    """``min(max(x, low), high)``: Clip for scalar bounds, Max and Min for tensor bounds."""
    x, dtype = e.input(0), e.out_dtype
    bounds = [e.options["low"], e.options["high"]]
    if all(b is None or np.ndim(b) == 0 for b in bounds):
        names = ["" if b is None else e.constant(np.asarray(b, dtype)) for b in bounds]
        while names and not names[-1]:
            names.pop()
        return e.node("Clip", [x, *names])
    for op_type, bound in zip(("Max", "Min"), bounds, strict=True):
        if bound is not None:
            x = e.node(op_type, [x, e.constant(np.asarray(bound, dtype))])
    return x


@emits(ops.Softmax, ops.LogSoftmax)
def softmax(e: Emit) -> str:
    """Softmax or LogSoftmax along one axis (opset 13's single-axis form)."""
    op_type = "Softmax" if e.step.op is ops.Softmax else "LogSoftmax"
    return e.node(op_type, [e.input(0)], axis=int(e.options["dim"]))


def _reduced_axes(e: Emit) -> list[int] | None:
    dim, ndim = e.options.get("dim"), len(e.shape(0))
    if dim is None:
        return list(range(ndim))
    dims = [dim] if np.ndim(dim) == 0 else list(dim)
    return [int(d) % max(ndim, 1) for d in dims]


@emits(ops.Sum)
def reduce_sum(e: Emit) -> str:
    return e.axes(
        "ReduceSum", 13, [e.input(0)], _reduced_axes(e), keepdims=int(e.options["keepdim"])
    )


@emits(ops.Mean)
def reduce_mean(e: Emit) -> str:
    return e.axes(
        "ReduceMean", 18, [e.input(0)], _reduced_axes(e), keepdims=int(e.options["keepdim"])
    )


@emits(ops.AMax)
def reduce_extreme(e: Emit) -> str:
    """The largest (smallest) element of the whole tensor: ReduceMax (ReduceMin) to a scalar."""
    op_type = "ReduceMin" if e.options.get("smallest") else "ReduceMax"
    return e.node(op_type, [e.input(0)], keepdims=0)


@emits(ops.Maximum)
def elementwise_extreme(e: Emit) -> str:
    op_type = "Min" if e.options.get("smallest") else "Max"
    dtype = e.out_dtype
    return e.node(op_type, [e.as_dtype(0, dtype), e.as_dtype(1, dtype)])


@emits(ops.TakeAlong)
def take_along(e: Emit) -> str:
    """``x.max(dim)`` / ``x.min(dim)``'s values: the engine gathers them at indices it computed
    outside the graph, so the step is written as ReduceMax/ReduceMin when in both traces the
    gathered values are the maximum (minimum), and as GatherElements when the indices are
    constant."""
    dim = int(e.options["dim"])
    for op_type, extreme in (("ReduceMax", np.max), ("ReduceMin", np.min)):
        if all(
            np.array_equal(s.output._data, extreme(s.inputs[0]._data, axis=dim, keepdims=True))
            for s in (e.step, e.twin)
        ):
            return e.axes(op_type, 18, [e.input(0)], [dim], keepdims=1)
    index = e.option_array("index").astype(np.int64)
    return e.node("GatherElements", [e.input(0), e.constant(index)], axis=dim)


@emits(ops.Reshape)
def reshape(e: Emit) -> str:
    """Reshape to the traced shape; a dynamic dimension is copied (0) where it stays in place,
    or inferred (-1) otherwise."""
    shape, dynamic_in = list(e.out_shape), e.dynamic(0)
    inferred = []
    for i in e.out_dynamic:
        if i in dynamic_in and e.shape(0)[i] == shape[i]:
            shape[i] = 0
        else:
            shape[i] = -1
            inferred.append(i)
    if len(inferred) > 1:
        raise e.fail(f"dimensions {inferred} of the new shape both depend on the dynamic axes")
    if 0 in e.out_shape:
        raise e.fail("reshape to an empty shape")
    return e.node("Reshape", [e.input(0), e.ints(shape)])


@emits(ops.Permute)
def permute(e: Emit) -> str:
    return e.node("Transpose", [e.input(0)], perm=[int(d) for d in e.options["dims"]])


@emits(ops.Expand)
def expand(e: Emit) -> str:
    """Expand to the traced shape; a dynamic dimension the input already has is kept (1)."""
    shape = list(e.out_shape)
    offset = len(shape) - len(e.shape(0))
    for i in e.out_dynamic:
        if (i - offset) not in e.dynamic(0):
            raise e.fail(f"it expands dimension {i} to a size that depends on the dynamic axes")
        shape[i] = 1
    return e.node("Expand", [e.input(0), e.ints(shape)])


@emits(ops.Cat)
def cat(e: Emit) -> str:
    names = [e.input(i) for i in range(len(e.step.inputs))]
    return e.node("Concat", names, axis=int(e.options["dim"]) % len(e.out_shape))


@emits(ops.Stack)
def stack(e: Emit) -> str:
    dim = int(e.options["dim"]) % len(e.out_shape)
    names = [e.axes("Unsqueeze", 13, [e.input(i)], [dim]) for i in range(len(e.step.inputs))]
    return e.node("Concat", names, axis=dim)


@emits(ops.Where)
def where(e: Emit) -> str:
    condition = e.option_array("condition").astype(bool)
    dtype = e.out_dtype
    return e.node("Where", [e.constant(condition), e.as_dtype(0, dtype), e.as_dtype(1, dtype)])


@emits(ops.GetItem)
def get_item(e: Emit) -> str:
    """Basic indexing (ints, slices, None, ...): one Slice, a Gather per int, one Unsqueeze."""
    parts = _expand_index(e)
    x, slices, gathers, inserted, axis, position = e.input(0), [], [], [], 0, 0
    for part in parts:
        if part is None:
            inserted.append(position)
            position += 1
        elif isinstance(part, slice):
            if part != slice(None):
                slices.append((axis, *_slice_bounds(part)))
            axis, position = axis + 1, position + 1
        else:
            gathers.append((axis, int(part)))
            axis += 1
    if slices:
        axes, starts, ends, steps = zip(*slices, strict=True)
        x = e.node("Slice", [x, e.ints(starts), e.ints(ends), e.ints(axes), e.ints(steps)])
    for axis, index in reversed(gathers):
        x = e.node("Gather", [x, e.constant(np.asarray(index, np.int64))], axis=axis)
    if inserted:
        x = e.axes("Unsqueeze", 13, [x], inserted)
    return x if x != e.input(0) else e.node("Identity", [x])


def _expand_index(e: Emit) -> list:
    index = e.options["index"]
    parts = list(index) if isinstance(index, tuple) else [index]
    for part in parts:
        if not (part is None or part is Ellipsis or isinstance(part, int | slice | np.integer)):
            raise e.fail(f"indexing with {type(part).__name__} (only ints, slices and None)")
    missing = len(e.shape(0)) - sum(1 for p in parts if p is not None and p is not Ellipsis)
    at = parts.index(Ellipsis) if Ellipsis in parts else len(parts)
    return parts[:at] + [slice(None)] * missing + parts[at + 1 :]


def _slice_bounds(part: slice) -> tuple[int, int, int]:
    step = 1 if part.step is None else int(part.step)
    if step > 0:
        start = 0 if part.start is None else int(part.start)
        stop = INT64_MAX if part.stop is None else int(part.stop)
    else:
        start = -1 if part.start is None else int(part.start)
        stop = INT64_MIN if part.stop is None else int(part.stop)
    return start, stop, step
