"""ONNX shape, indexing and reduction ops on the engine: Flatten, Reshape, Transpose, Squeeze,
Unsqueeze, Concat, Constant, ConstantOfShape, Shape, Gather, Slice, Expand and the Reduce ops."""

from __future__ import annotations

import math

import numpy as np
from onnx import numpy_helper

import cnnlab
from cnnlab.autograd.tensor import Tensor
from cnnlab.onnx.import_node import Node, Run, importer, static


def _axes(node: Node, inputs: list, position: int) -> list[int] | None:
    """``axes`` from the attribute (older opsets) or the input at ``position`` (newer)."""
    if len(inputs) > position and inputs[position] is not None:
        return static(inputs[position])
    axes = node.attr("axes")
    return None if axes is None else list(axes)


@importer("Flatten")
def flatten(node: Node) -> Run:
    axis = node.attr("axis", 1)

    def run(inputs):
        x = inputs[0]
        split = axis % x.ndim if x.ndim else 0
        return x.reshape(math.prod(x.shape[:split]), math.prod(x.shape[split:]))

    return run


@importer("Reshape")
def reshape(node: Node) -> Run:
    allow_zero = node.attr("allowzero", 0)

    def run(inputs):
        x, shape = inputs[0], static(inputs[1])
        if not allow_zero:
            shape = [x.shape[i] if n == 0 else n for i, n in enumerate(shape)]
        return x.reshape(*shape)

    return run


@importer("Transpose")
def transpose(node: Node) -> Run:
    perm = node.attr("perm")
    return lambda inputs: inputs[0].permute(
        *(perm if perm is not None else reversed(range(inputs[0].ndim)))
    )


@importer("Squeeze")
def squeeze(node: Node) -> Run:
    def run(inputs):
        x, axes = inputs[0], _axes(node, inputs, 1)
        if axes is None:
            return x.reshape(*(n for n in x.shape if n != 1))
        axes = {a % x.ndim for a in axes}
        return x.reshape(*(n for i, n in enumerate(x.shape) if i not in axes))

    return run


@importer("Unsqueeze")
def unsqueeze(node: Node) -> Run:
    def run(inputs):
        x, axes = inputs[0], _axes(node, inputs, 1)
        rank = x.ndim + len(axes)
        shape = iter(x.shape)
        inserted = {a % rank for a in axes}
        return x.reshape(*(1 if i in inserted else next(shape) for i in range(rank)))

    return run


@importer("Concat")
def concat(node: Node) -> Run:
    axis = node.attr("axis")
    if axis is None:
        raise node.fail("the axis attribute is missing")
    return lambda inputs: cnnlab.cat(inputs, dim=axis)


@importer("Constant")
def constant(node: Node) -> Run:
    """The value of a Constant node (a tensor, or one of the float/int forms)."""
    for key, dtype in (("value_float", np.float32), ("value_floats", np.float32)):
        if key in node.attrs:
            array = np.asarray(node.attrs[key], dtype)
            return lambda inputs: Tensor._wrap(array)
    for key in ("value_int", "value_ints"):
        if key in node.attrs:
            array = np.asarray(node.attrs[key], np.int64)
            return lambda inputs: Tensor._wrap(array)
    if "value" not in node.attrs:
        raise node.fail(
            f"a constant given as {sorted(node.attrs)} (value, value_float(s) "
            "or value_int(s) expected)"
        )
    array = numpy_helper.to_array(node.attrs["value"]).copy()
    return lambda inputs: Tensor._wrap(array)


@importer("ConstantOfShape")
def constant_of_shape(node: Node) -> Run:
    """A tensor of the shape given as input, filled with ``value`` (default float32 zero)."""
    value = node.attr("value")
    fill = np.zeros(1, np.float32) if value is None else numpy_helper.to_array(value)
    return lambda inputs: Tensor._wrap(np.full(static(inputs[0]), fill.reshape(-1)[0], fill.dtype))


@importer("Shape")
def shape(node: Node) -> Run:
    start, end = node.attr("start", 0), node.attr("end")
    return lambda inputs: Tensor._wrap(np.asarray(inputs[0].shape[start:end], dtype=np.int64))


@importer("Gather")
def gather(node: Node) -> Run:
    """``take`` along ``axis``; a scalar index removes the axis, as in NumPy."""
    axis = node.attr("axis", 0)

    def run(inputs):
        x, index = inputs[0], np.asarray(inputs[1]._data, dtype=np.int64)
        if x.dtype.kind in "iub":
            return Tensor._wrap(np.take(x._data, index, axis=axis))
        position = axis % x.ndim
        return x[(slice(None),) * position + (index if index.ndim else int(index),)]

    return run


@importer("Slice")
def slice_op(node: Node) -> Run:
    def run(inputs):
        x = inputs[0]
        if len(inputs) > 1:
            starts, ends = static(inputs[1]), static(inputs[2])
            axes = static(inputs[3]) if len(inputs) > 3 and inputs[3] is not None else None
            steps = static(inputs[4]) if len(inputs) > 4 and inputs[4] is not None else None
        else:
            starts, ends = list(node.attr("starts")), list(node.attr("ends"))
            axes, steps = node.attr("axes"), None
        axes = list(range(len(starts))) if axes is None else list(axes)
        steps = [1] * len(starts) if steps is None else steps
        index = [slice(None)] * x.ndim
        for axis, start, end, step in zip(axes, starts, ends, steps, strict=True):
            size = x.shape[axis]
            if step < 0 and end < -size:
                end = None
            index[axis % x.ndim] = slice(max(min(start, size), -size), end, step)
        return x[tuple(index)]

    return run


@importer("Expand")
def expand(node: Node) -> Run:
    def run(inputs):
        x = inputs[0]
        return x.expand(*np.broadcast_shapes(tuple(x.shape), tuple(static(inputs[1]))))

    return run


REDUCTIONS = {"ReduceSum": 13, "ReduceMean": 18, "ReduceMax": 18, "ReduceMin": 18}


@importer(*REDUCTIONS)
def reduce(node: Node) -> Run:
    """Sum, mean, max or min over ``axes`` (all when absent, unless noop_with_empty_axes)."""
    keep = bool(node.attr("keepdims", 1))
    if node.attr("noop_with_empty_axes", 0):
        raise node.fail("noop_with_empty_axes=1 is not supported")
    kind = node.op_type[len("Reduce") :].lower()

    def run(inputs):
        x, axes = inputs[0], _axes(node, inputs, 1)
        axes = sorted({a % x.ndim for a in (range(x.ndim) if axes is None else axes)})
        if kind in ("sum", "mean"):
            return getattr(x, kind)(dim=tuple(axes), keepdim=keep)
        for axis in reversed(axes):
            x = getattr(x, kind)(dim=axis, keepdim=True)[0]
        return x if keep else x.reshape(*(n for i, n in enumerate(x.shape) if i not in axes))

    return run
