"""Building the ONNX graph: value names, initializers, constants and nodes, and the op table.

:data:`EMITTERS` maps each engine ``Function`` class to the function that writes its ONNX
nodes; :func:`emits` registers one, so exporting a new op is one decorated function.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper

from cnnlab.onnx.errors import OnnxExportError
from cnnlab.onnx.trace import Step

EMITTERS: dict[type, Callable[[Emit], str]] = {}


def emits(*ops: type) -> Callable:
    """Register the decorated function as the ONNX emitter of the ``Function`` classes ``ops``."""

    def register(emitter: Callable[[Emit], str]) -> Callable[[Emit], str]:
        for op in ops:
            EMITTERS[op] = emitter
        return emitter

    return register


def onnx_dtype(dtype) -> int:
    """The ONNX element type of a NumPy dtype."""
    return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


class GraphBuilder:
    """The nodes and initializers of one graph, with unique names."""

    def __init__(self, opset: int) -> None:
        self.opset = opset
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.taken: set[str] = set()
        self.counts: Counter = Counter()
        self.names: dict[int, tuple[str, np.ndarray]] = {}
        self.values: dict[int, str] = {}

    def name_arrays(self, named) -> None:
        """Give arrays (parameters, buffers) the names their initializers will have."""
        for name, array in named:
            self.names.setdefault(id(array), (name, array))

    def leaf(self, array: np.ndarray, scope: str = "") -> str:
        """The value of a leaf array: its named initializer, or else a constant."""
        key = id(array)
        if key not in self.values:
            if key in self.names:
                self.values[key] = self.initializer(*self.names[key])
            else:
                self.values[key] = self.constant(array, scope)
        return self.values[key]

    def unique(self, base: str) -> str:
        name, self.counts[base] = base, self.counts[base] + 1
        while name in self.taken:
            name = f"{base}_{self.counts[base]}"
            self.counts[base] += 1
        self.taken.add(name)
        return name

    def initializer(self, name: str, array: np.ndarray) -> str:
        self.taken.add(name)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def constant(self, array, scope: str = "") -> str:
        output = self.unique(f"{scope}/Constant_output_0")
        value = numpy_helper.from_array(np.asarray(array))
        self.nodes.append(
            helper.make_node(
                "Constant", [], [output], name=self.unique(f"{scope}/Constant"), value=value
            )
        )
        return output

    def node(self, op_type: str, inputs: list[str], scope: str = "", **attributes) -> str:
        """Append one node with a single output and return the output's name."""
        output = self.unique(f"{scope}/{op_type}_output_0")
        self.nodes.append(
            helper.make_node(
                op_type,
                inputs,
                [output],
                name=self.unique(f"{scope}/{op_type}"),
                **{k: v for k, v in attributes.items() if v is not None},
            )
        )
        return output

    def rename(self, old: str, new: str) -> None:
        """Give the value ``old`` the name ``new`` everywhere (a graph output's name)."""
        self.taken.add(new)
        for node in self.nodes:
            for names in (node.input, node.output):
                for i, name in enumerate(names):
                    if name == old:
                        names[i] = new


class Emit:
    """What an emitter sees of one step: its options, its inputs' value names, shapes and
    dtypes in the first trace, which dimensions changed in the second trace (the dynamic ones),
    and the builder to write nodes with."""

    def __init__(self, graph: GraphBuilder, step: Step, twin: Step, names: list[str | None]):
        self.graph, self.step, self.twin, self.names = graph, step, twin, names
        self.scope = "/" + step.layer.replace(".", "/") if step.layer else ""

    @property
    def options(self) -> dict[str, Any]:
        return self.step.options

    @property
    def opset(self) -> int:
        return self.graph.opset

    def input(self, i: int) -> str | None:
        return self.names[i] if i < len(self.names) else None

    def array(self, i: int) -> np.ndarray:
        return self.step.inputs[i]._data

    def shape(self, i: int) -> tuple[int, ...]:
        return self.step.inputs[i]._data.shape

    @property
    def out_shape(self) -> tuple[int, ...]:
        return self.step.output._data.shape

    @property
    def out_dtype(self) -> np.dtype:
        return self.step.output._data.dtype

    def dynamic(self, i: int) -> set[int]:
        """The dimensions of input ``i`` that depend on the model's dynamic axes."""
        return _changed(self.shape(i), self.twin.inputs[i]._data.shape)

    @property
    def out_dynamic(self) -> set[int]:
        return _changed(self.out_shape, self.twin.output._data.shape)

    def node(self, op_type: str, inputs: list[str], **attributes) -> str:
        return self.graph.node(op_type, inputs, self.scope, **attributes)

    def constant(self, array) -> str:
        return self.graph.constant(array, self.scope)

    def ints(self, values) -> str:
        """A constant int64 vector (axes, shapes, pads given as inputs)."""
        return self.constant(np.asarray(values, dtype=np.int64).reshape(-1))

    def axes(self, op_type: str, since: int, inputs: list[str], axes, **attributes) -> str:
        """``op_type`` whose ``axes`` became an input in opset ``since``."""
        if axes is None:
            return self.node(op_type, inputs, **attributes)
        if self.opset >= since:
            return self.node(op_type, [*inputs, self.ints(axes)], **attributes)
        return self.node(op_type, inputs, axes=list(axes), **attributes)

    def statistic(self, array: np.ndarray) -> str:
        """A buffer passed as an array option (batch norm's running statistics)."""
        return self.graph.leaf(array, self.scope)

    def as_dtype(self, i: int, dtype) -> str:
        """Input ``i`` converted to ``dtype`` (a Cast node where it is not already)."""
        if self.step.inputs[i]._data.dtype == np.dtype(dtype):
            return self.input(i)
        return self.node("Cast", [self.input(i)], to=onnx_dtype(dtype))

    def option_array(self, key: str) -> np.ndarray:
        """An array option that must not depend on the input: the same in both traces."""
        value = np.asarray(self.options[key])
        other = np.asarray(self.twin.options[key])
        if value.shape != other.shape or not np.array_equal(value, other):
            raise self.fail(f"its {key} is computed from the input outside the graph")
        return value

    def fail(self, reason: str) -> OnnxExportError:
        """The error to raise when this step cannot be written: it names the op and the layer."""
        return OnnxExportError(
            f"cannot export {self.step.op.__name__} in {self.step.where}: {reason}"
        )


def _changed(a: tuple[int, ...], b: tuple[int, ...]) -> set[int]:
    return {i for i, (m, n) in enumerate(zip(a, b, strict=True)) if m != n}
