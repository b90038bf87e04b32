"""ONNX nodes for the tensor methods a model may use beyond the chapter's: ``var``/``std``,
``prod``, ``cumsum``, ``flip``, ``roll``, ``repeat``/``tile``, ``tril``/``triu``,
``index_select`` and ``masked_fill`` with constant indices and masks."""

from __future__ import annotations

import numpy as np

from cnnlab.autograd import index_ops, reduce_ops, shape_ops
from cnnlab.onnx.emit_math import INT64_MIN, _reduced_axes
from cnnlab.onnx.graph import Emit, emits


@emits(reduce_ops.Var)
def variance(e: Emit) -> str:
    """``sum((x - mean)^2) / (n - correction)`` over ``dim``: ReduceMean, Sub, Mul, ReduceSum,
    Div (n from the traced shape, so the reduced axes must not be dynamic)."""
    axes = _reduced_axes(e)
    if set(axes) & e.dynamic(0):
        raise e.fail(f"a variance over the dynamic axes {sorted(set(axes) & e.dynamic(0))}")
    x, keep = e.input(0), int(e.options["keepdim"])
    count = int(np.prod([e.shape(0)[a] for a in axes]))
    centered = e.node("Sub", [x, e.axes("ReduceMean", 18, [x], axes, keepdims=1)])
    squares = e.axes("ReduceSum", 13, [e.node("Mul", [centered, centered])], axes, keepdims=keep)
    divisor = np.asarray(max(count - e.options["correction"], 0), dtype=e.out_dtype)
    return e.node("Div", [squares, e.constant(divisor)])


@emits(reduce_ops.Prod)
def product(e: Emit) -> str:
    return e.axes(
        "ReduceProd", 18, [e.input(0)], _reduced_axes(e), keepdims=int(e.options["keepdim"])
    )


@emits(reduce_ops.CumSum)
def cumulative_sum(e: Emit) -> str:
    axis = e.constant(np.asarray(int(e.options["dim"]), dtype=np.int64))
    return e.node("CumSum", [e.input(0), axis])


@emits(shape_ops.Flip)
def flip(e: Emit) -> str:
    """Every axis of ``dims`` read backwards: one Slice with steps -1."""
    dims = [int(d) for d in e.options["dims"]]
    if not dims:
        return e.node("Identity", [e.input(0)])
    count = len(dims)
    bounds = [e.ints([-1] * count), e.ints([INT64_MIN] * count), e.ints(dims)]
    return e.node("Slice", [e.input(0), *bounds, e.ints([-1] * count)])


@emits(shape_ops.Roll)
def roll(e: Emit) -> str:
    """A circular shift along each of ``dims``: the last ``s`` elements, then the rest (Concat
    of two Slices per axis)."""
    shifts, dims = e.options["shifts"], e.options["dims"]
    if dims is None:
        raise e.fail("roll without dims (over the flattened tensor)")
    shifts = [shifts] if np.ndim(shifts) == 0 else list(shifts)
    dims = [dims] if np.ndim(dims) == 0 else list(dims)
    x, ndim = e.input(0), len(e.shape(0))
    for shift, dim in zip(shifts, dims, strict=True):
        dim = int(dim) % ndim
        if dim in e.dynamic(0):
            raise e.fail(f"roll along the dynamic axis {dim}")
        n = e.shape(0)[dim]
        cut = n - int(shift) % n
        if cut == n:
            continue
        tail = e.node("Slice", [x, e.ints([cut]), e.ints([n]), e.ints([dim])])
        head = e.node("Slice", [x, e.ints([0]), e.ints([cut]), e.ints([dim])])
        x = e.node("Concat", [tail, head], axis=dim)
    return x if x != e.input(0) else e.node("Identity", [x])


@emits(shape_ops.Repeat)
def repeat(e: Emit) -> str:
    """``x.repeat(*sizes)``: leading axes added by Unsqueeze, then Tile."""
    sizes, x, ndim = list(e.options["sizes"]), e.input(0), len(e.shape(0))
    if len(sizes) > ndim:
        x = e.axes("Unsqueeze", 13, [x], list(range(len(sizes) - ndim)))
    return e.node("Tile", [x, e.ints(sizes)])


@emits(shape_ops.Triangle)
def triangle(e: Emit) -> str:
    """``tril``/``triu``: Trilu (opset 14)."""
    if e.opset < 14:
        raise e.fail(f"Trilu needs opset 14, asked for {e.opset}")
    diagonal = e.constant(np.asarray(int(e.options["diagonal"]), dtype=np.int64))
    return e.node("Trilu", [e.input(0), diagonal], upper=int(bool(e.options["upper"])))


@emits(index_ops.IndexSelect)
def index_select(e: Emit) -> str:
    """The slices ``index`` along ``dim``: Gather with the indices as a constant."""
    index = e.option_array("index").astype(np.int64)
    return e.node("Gather", [e.input(0), e.constant(index)], axis=int(e.options["dim"]))


@emits(index_ops.MaskedFill)
def masked_fill(e: Emit) -> str:
    """``value`` where the constant ``mask`` holds: Where."""
    mask = e.option_array("mask").astype(bool)
    value = e.as_dtype(1, e.out_dtype)
    return e.node("Where", [e.constant(mask), value, e.input(0)])
