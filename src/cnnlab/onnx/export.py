"""``cnnlab.onnx.export``: a cnnlab model as an ONNX file, by tracing the engine's own graph.

The model runs twice in eval mode: on the given inputs, and on other random values with every
dynamic axis resized. The first trace gives the graph and its shapes; comparing the two tells
which dimensions follow the dynamic axes (a Reshape copies or infers those), and catches values
that a model computes from its input outside the graph, which a constant would silently freeze.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import onnx
from onnx import helper

import cnnlab
from cnnlab.onnx import (  # noqa: F401  (they fill the op table)
    emit_activation,
    emit_layers,
    emit_math,
    emit_nn,
    emit_tensor,
)
from cnnlab.onnx.errors import OnnxExportError
from cnnlab.onnx.graph import EMITTERS, Emit, GraphBuilder, onnx_dtype
from cnnlab.onnx.trace import Input, Step, Trace, as_inputs, trace
from cnnlab.utils.files import atomic_write

DEFAULT_OPSET = 18
MIN_OPSET = 13
PRODUCER = "cnnlab"

DynamicAxes = dict[str, dict[int, str] | list[int]]


def export(
    model,
    args,
    f: str | os.PathLike | BinaryIO,
    input_names: list[str] | None = None,
    output_names: list[str] | None = None,
    dynamic_axes: DynamicAxes | None = None,
    opset_version: int | None = None,
    *,
    metadata: dict[str, str] | None = None,
) -> onnx.ModelProto:
    """Write ``model`` (a cnnlab ``nn.Module``) to ``f`` as ONNX, as ``torch.onnx.export`` does.

    Args:
        model: traced in eval mode (its mode is restored afterwards).
        args: an example input tensor, or a tuple of them (float32 or float64).
        f: a path (written atomically: to a temporary file, then renamed) or a binary file.
        input_names, output_names: graph value names (default ``input``/``output``, numbered
            when there are several).
        dynamic_axes: ``{name: {axis: "dim_name"}}`` or ``{name: [axes]}``, as in PyTorch; other
            dimensions are fixed at the traced sizes.
        opset_version: the ONNX opset (default 18, at least 13).
        metadata: extra ``metadata_props`` of the model.

    Returns:
        The ``onnx.ModelProto`` written, checked by ``onnx.checker.check_model``.

    Raises:
        OnnxExportError: an op without an ONNX form (naming the op and the layer), an argument
            that is wrong, or a value computed outside the graph; nothing is written then.
    """
    opset = _check_opset(opset_version)
    inputs = as_inputs(args)
    in_names = _value_names(input_names, len(inputs), "input", "input_names")
    axes = _check_dynamic_axes(dynamic_axes)
    was_training = model.training
    model.eval()
    try:
        first = trace(model, inputs)
        second = trace(model, _resized(inputs, in_names, axes))
    finally:
        model.train(was_training)
    out_names = _value_names(output_names, len(first.outputs), "output", "output_names")
    unknown = set(axes) - set(in_names) - set(out_names)
    if unknown:
        raise OnnxExportError(
            f"export: dynamic_axes names {sorted(unknown)} are neither inputs {in_names} nor "
            f"outputs {out_names}"
        )
    proto = build_model(model, first, second, in_names, out_names, axes, opset)
    for key, value in (metadata or {}).items():
        proto.metadata_props.add(key=str(key), value=str(value))
    onnx.checker.check_model(proto)
    _write(proto, f)
    return proto


def build_model(
    model,
    first: Trace,
    second: Trace,
    in_names: list[str],
    out_names: list[str],
    axes: dict[str, dict[int, str]],
    opset: int,
) -> onnx.ModelProto:
    """The ONNX model of a trace (``second``: the same model traced with resized inputs)."""
    _check_exportable(first.steps)
    _check_same_graph(first, second)
    graph = GraphBuilder(opset)
    graph.name_arrays(
        (name, t._data) for name, t in (*model.named_parameters(), *model.named_buffers())
    )
    graph.taken.update(in_names)
    resolve = _resolver(graph, in_names)
    made: list[str] = []
    for step, twin in zip(first.steps, second.steps, strict=True):
        names = [
            resolve(source, twin.inputs[i], step, made) for i, source in enumerate(step.sources)
        ]
        made.append(EMITTERS[step.op](Emit(graph, step, twin, names)))
    outputs = [
        resolve(s, t, None, made) for s, t in zip(first.outputs, _twin_outputs(second), strict=True)
    ]
    _name_outputs(graph, outputs, out_names, in_names)
    dims = _dim_names(first, second, in_names, out_names, axes)
    order = {name: i for i, (name, _) in enumerate(graph.names.values())}
    graph.initializers.sort(key=lambda t: order[t.name])
    g = helper.make_graph(
        graph.nodes,
        type(model).__name__,
        [_value_info(n, t, dims[n]) for n, t in zip(in_names, first.inputs, strict=True)],
        [_value_info(n, _array(first, i), dims[n]) for i, n in enumerate(out_names)],
        graph.initializers,
    )
    proto = helper.make_model(
        g,
        opset_imports=[helper.make_opsetid("", opset)],
        producer_name=PRODUCER,
        producer_version=cnnlab.__version__,
    )
    proto.ir_version = min(proto.ir_version, _max_ir_version(opset))
    return proto


PARTIAL_WRITE = (
    "an in-place write into part of a tensor (x[i] = v, or an in-place op on a view of it); "
    "compute the new tensor out of place instead (torch.cat, torch.where)"
)
HINTS = {
    "SetItem": PARTIAL_WRITE,
    "ViewWrite": PARTIAL_WRITE,
    "ViewOf": PARTIAL_WRITE,
    "Overwrite": "copy_ or fill_ of a tensor inside forward",
}


def _check_exportable(steps: list[Step]) -> None:
    for step in steps:
        if step.op not in EMITTERS:
            name = step.op.__name__
            hint = f": {HINTS[name]}" if name in HINTS else ""
            raise OnnxExportError(
                f"cannot export {name} in {step.where}: the op has no ONNX mapping{hint} "
                f"(cnnlab.onnx.EMITTERS has none for {step.op.__module__}.{name})"
            )


def _check_same_graph(first: Trace, second: Trace) -> None:
    """The resized trace must run the same ops in the same order."""
    for i, (a, b) in enumerate(zip(first.steps, second.steps, strict=False)):
        if a.op is not b.op or a.layer != b.layer or a.output.ndim != b.output.ndim:
            raise OnnxExportError(
                f"cannot export: the graph depends on the input's values or sizes (op {i}: "
                f"{a.op.__name__} in {a.where}, then {b.op.__name__} in {b.where})"
            )
    if len(first.steps) != len(second.steps) or len(first.outputs) != len(second.outputs):
        raise OnnxExportError(
            "cannot export: the graph depends on the input's values or sizes (a different "
            "number of ops or outputs with resized inputs)"
        )


def _resolver(graph: GraphBuilder, in_names: list[str]):
    def resolve(source, twin_tensor, step: Step | None, made: list[str]) -> str | None:
        if source is None:
            return None
        if isinstance(source, int):
            return made[source]
        if isinstance(source, Input):
            return in_names[source.index]
        if id(source._data) not in graph.names and not _same_values(source, twin_tensor):
            where = f" by {step.op.__name__} in {step.where}" if step else " as an output"
            raise OnnxExportError(
                f"cannot export: a value used{where} is computed from the input outside the "
                "graph (a comparison, an index or a NumPy computation), so a constant would "
                "freeze it"
            )
        scope = "/" + step.layer.replace(".", "/") if step and step.layer else ""
        return graph.leaf(source._data, scope)

    return resolve


def _same_values(a, b) -> bool:
    return b is not None and a.shape == b.shape and np.array_equal(a._data, b._data)


def _twin_outputs(second: Trace) -> list:
    return [s if isinstance(s, cnnlab.Tensor) else None for s in second.outputs]


def _name_outputs(graph: GraphBuilder, outputs: list[str], out_names: list[str], in_names):
    produced = {name for node in graph.nodes for name in node.output}
    renamed = set()
    for value, name in zip(outputs, out_names, strict=True):
        if value in produced and value not in renamed and value not in in_names:
            graph.rename(value, name)
            renamed.add(value)
        else:
            graph.nodes.append(helper.make_node("Identity", [value], [name], name=f"/{name}"))


def _array(first: Trace, i: int) -> np.ndarray:
    source = first.outputs[i]
    if isinstance(source, Input):
        return first.inputs[source.index]._data
    return (first.steps[source].output if isinstance(source, int) else source)._data


def _dim_names(first, second, in_names, out_names, axes) -> dict[str, dict[int, str]]:
    """Names of the dynamic dimensions of each input and output: the user's, else an input's
    that has the same sizes in both traces, else ``<output>_dim<i>``."""
    dims = {name: dict(axes.get(name, {})) for name in (*in_names, *out_names)}
    sizes = {}
    for name, a, b in zip(in_names, first.inputs, second.inputs, strict=True):
        for axis, dim in dims[name].items():
            sizes.setdefault((a.shape[axis], b.shape[axis]), dim)
    for i, name in enumerate(out_names):
        a, b = _array(first, i), _array(second, i)
        for axis in range(a.ndim):
            if a.shape[axis] != b.shape[axis] and axis not in dims[name]:
                dims[name][axis] = sizes.get((a.shape[axis], b.shape[axis]), f"{name}_dim{axis}")
    return dims


def _value_info(name: str, array: np.ndarray, dims: dict[int, str]) -> onnx.ValueInfoProto:
    shape = [dims.get(axis, n) for axis, n in enumerate(array.shape)]
    return helper.make_tensor_value_info(name, onnx_dtype(array.dtype), shape)


def _max_ir_version(opset: int) -> int:
    """The newest IR version that a runtime reading ``opset`` is sure to accept."""
    for version, ir in ((21, 10), (19, 9), (15, 8), (13, 7)):
        if opset >= version:
            return ir
    return 7


def _check_opset(opset_version: int | None) -> int:
    latest = onnx.defs.onnx_opset_version()
    opset = DEFAULT_OPSET if opset_version is None else opset_version
    if isinstance(opset, bool) or not isinstance(opset, int) or not MIN_OPSET <= opset <= latest:
        raise OnnxExportError(
            f"export: opset_version must be an int from {MIN_OPSET} to {latest}, got "
            f"{opset_version!r}"
        )
    return opset


def _value_names(names: list[str] | None, count: int, stem: str, arg: str) -> list[str]:
    if names is None:
        return [stem] if count == 1 else [f"{stem}_{i}" for i in range(count)]
    names = list(names)
    if (
        len(names) != count
        or len(set(names)) != count
        or not all(isinstance(n, str) and n for n in names)
    ):
        raise OnnxExportError(
            f"export: {arg} must be {count} distinct non-empty names, got {names}"
        )
    return names


def _check_dynamic_axes(dynamic_axes: DynamicAxes | None) -> dict[str, dict[int, str]]:
    axes: dict[str, dict[int, str]] = {}
    for name, spec in (dynamic_axes or {}).items():
        if isinstance(spec, dict):
            axes[name] = {int(a): str(d) for a, d in spec.items()}
        elif isinstance(spec, list | tuple):
            axes[name] = {int(a): f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(spec)}
        else:
            raise OnnxExportError(
                f"export: dynamic_axes[{name!r}] must be a dict {{axis: name}} or a list of "
                f"axes, got {type(spec).__name__}"
            )
    return axes


def _resized(inputs: list, names: list[str], axes: dict[str, dict[int, str]]) -> list:
    """Inputs of other random values, each dynamic axis resized (axis 0 to n + 1, others to
    2n + 1, so that a strided layer's output changes size too)."""
    rng = np.random.default_rng(0)
    resized = []
    for name, t in zip(names, inputs, strict=True):
        shape = list(t.shape)
        for axis in axes.get(name, {}):
            if not -len(shape) <= axis < len(shape):
                raise OnnxExportError(
                    f"export: dynamic_axes[{name!r}] has axis {axis}, but {name} has "
                    f"{len(shape)} dimensions"
                )
            shape[axis] = shape[axis] + 1 if axis % len(shape) == 0 else 2 * shape[axis] + 1
        array = rng.standard_normal(shape).astype(t.dtype)
        resized.append(cnnlab.Tensor._wrap(array, requires_grad=True))
    return resized


def _write(proto: onnx.ModelProto, f) -> None:
    data = proto.SerializeToString()
    if isinstance(f, str | os.PathLike):
        atomic_write(Path(f), lambda file: file.write(data))
    elif isinstance(f, io.IOBase) or hasattr(f, "write"):
        f.write(data)
    else:
        raise OnnxExportError(f"export: f must be a path or a binary file, got {type(f).__name__}")


def describe(proto: onnx.ModelProto) -> list[dict[str, Any]]:
    """Each graph input and output: ``kind``, ``name``, ``dtype`` and ``shape`` (dim names for
    the dynamic axes)."""
    rows = []
    for kind, values in (("input", proto.graph.input), ("output", proto.graph.output)):
        for value in values:
            tensor = value.type.tensor_type
            shape = [d.dim_param or d.dim_value for d in tensor.shape.dim]
            dtype = helper.tensor_dtype_to_np_dtype(tensor.elem_type).name
            rows.append({"kind": kind, "name": value.name, "dtype": dtype, "shape": shape})
    return rows
