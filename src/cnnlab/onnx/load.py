"""``cnnlab.onnx.load``: an ONNX file as a cnnlab ``nn.Module`` that runs on the engine.

Every op of the file is checked at load time against :data:`IMPORTERS`; float initializers
become parameters (those a BatchNormalization reads as its mean and variance, buffers), named
after the initializers: ``conv1.weight`` becomes the parameter ``weight`` of a submodule
``conv1``, so a model exported from cnnlab or PyTorch loads with its own state_dict keys.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import external_data_helper, numpy_helper

from cnnlab.autograd.tensor import Tensor
from cnnlab.nn.module import Module, Parameter
from cnnlab.onnx import import_layers, import_ops, import_pool, import_shape  # noqa: F401  (the op table)
from cnnlab.onnx.errors import OnnxImportError
from cnnlab.onnx.import_node import IMPORTERS, Node

STATISTICS = {"BatchNormalization": (3, 4)}
DEFAULT_DOMAINS = ("", "ai.onnx")


def read_model(source: str | os.PathLike | bytes | onnx.ModelProto) -> tuple[onnx.ModelProto, str]:
    """The checked ``ModelProto`` of a file (or bytes, or a proto) and the name errors use."""
    if isinstance(source, onnx.ModelProto):
        return _checked(source, "<model>"), "<model>"
    label = "<bytes>" if isinstance(source, bytes) else str(source)
    if isinstance(source, bytes):
        data = source
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as error:
            reason = error.strerror or error
            raise OnnxImportError(f"{label}: cannot read the file: {reason}") from None
    proto = onnx.ModelProto()
    try:
        proto.ParseFromString(data)
    except DecodeError as error:
        raise OnnxImportError(
            f"{label}: not an ONNX model (the file is truncated or in another format: {error})"
        ) from None
    if proto.ir_version == 0 or not proto.HasField("graph") or not proto.graph.output:
        raise OnnxImportError(f"{label}: not an ONNX model (no graph with outputs in the file)")
    if not isinstance(source, bytes) and any(
        t.data_location == onnx.TensorProto.EXTERNAL for t in proto.graph.initializer
    ):
        external_data_helper.load_external_data_for_model(proto, str(Path(source).parent))
    return _checked(proto, label), label


def _checked(proto: onnx.ModelProto, label: str) -> onnx.ModelProto:
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as error:
        reason = str(error).strip().splitlines()[0]
        raise OnnxImportError(f"{label}: not a valid ONNX model: {reason}") from None
    return proto


def load(source: str | os.PathLike | bytes | onnx.ModelProto) -> OnnxModule:
    """Load an ONNX model as a cnnlab module (in eval mode) that runs on the NumPy engine.

    Raises:
        OnnxImportError: the file cannot be read, is not ONNX (truncated, another format), or
            uses an op or attribute cnnlab cannot run; the message names the file and the op.
    """
    proto, label = read_model(source)
    return OnnxModule(proto, label).eval()


class OnnxModule(Module):
    """An ONNX graph run node by node on the engine; ``forward(*inputs)`` takes the graph's
    inputs in order and returns its output (a tuple when there are several)."""

    def __init__(self, proto: onnx.ModelProto, file: str = "<model>") -> None:
        super().__init__()
        self.file = file
        self.opset = _default_opset(proto, file)
        self.metadata = {p.key: p.value for p in proto.metadata_props}
        graph = proto.graph
        arrays = {t.name: numpy_helper.to_array(t).copy() for t in graph.initializer}
        self.input_names = [v.name for v in graph.input if v.name not in arrays]
        self.output_names = [v.name for v in graph.output]
        statistics = _statistics(graph)
        self._leaves: dict[str, tuple[Module, str, str]] = {}
        self._constants: dict[str, np.ndarray] = {}
        for name, array in arrays.items():
            if array.dtype.kind != "f":
                self._constants[name] = array
            else:
                self._leaves[name] = _place(self, name, array, name in statistics)
        self._nodes = [self._node(n, self.opset) for n in graph.node]
        _check_defined(self._nodes, {*self.input_names, *arrays}, self.output_names, file)

    def _node(self, proto: onnx.NodeProto, opset: int):
        node = Node(proto, self.file, opset)
        if proto.domain not in DEFAULT_DOMAINS:
            raise node.fail(f"the op domain {proto.domain!r} is not supported")
        factory = IMPORTERS.get(node.op_type)
        if factory is None:
            raise OnnxImportError(
                f"{self.file}: node {node.name!r} uses the op {node.op_type}, which cnnlab "
                f"cannot load (it runs {', '.join(sorted(IMPORTERS))})"
            )
        return node, factory(node)

    def forward(self, *inputs):
        if len(inputs) != len(self.input_names):
            raise ValueError(
                f"{self.file}: the model takes {len(self.input_names)} input(s) "
                f"{self.input_names}, got {len(inputs)}"
            )
        values = {name: _tensor(x) for name, x in zip(self.input_names, inputs, strict=True)}
        for name, (module, table, key) in self._leaves.items():
            values[name] = getattr(module, table)[key]
        for name, array in self._constants.items():
            values[name] = Tensor._wrap(array)
        for node, run in self._nodes:
            arguments = [values[name] if name else None for name in node.inputs]
            try:
                result = run(arguments)
            except (ValueError, TypeError, IndexError) as error:
                raise node.fail(str(error)) from error
            results = result if isinstance(result, tuple) else (result,)
            for name, value in zip(node.outputs, results, strict=False):
                if name:
                    values[name] = value
        outputs = tuple(values[name] for name in self.output_names)
        return outputs[0] if len(outputs) == 1 else outputs

    def extra_repr(self) -> str:
        return f"file={self.file!r}, opset={self.opset}, nodes={len(self._nodes)}"


class Namespace(Module):
    """Holds the parameters whose initializer names share a dotted prefix (``layer1.0``)."""


def _default_opset(proto: onnx.ModelProto, file: str) -> int:
    for entry in proto.opset_import:
        if entry.domain in DEFAULT_DOMAINS:
            return entry.version
    raise OnnxImportError(f"{file}: the model imports no version of the default ONNX op set")


def _statistics(graph: onnx.GraphProto) -> set[str]:
    """Initializers that a node reads as running statistics (buffers, not parameters)."""
    names = set()
    for node in graph.node:
        for position in STATISTICS.get(node.op_type, ()):
            if position < len(node.input):
                names.add(node.input[position])
    return names


def _place(root: Module, name: str, array: np.ndarray, buffer: bool) -> tuple[Module, str, str]:
    """Register ``array`` under its dotted ``name`` (submodules for the prefixes), or flat on
    the root with the dots made underscores when the prefixes collide with something."""
    *prefix, key = name.split(".")
    owner = root
    for part in prefix:
        child = owner._modules.get(part)
        if child is None:
            if not part or part in owner.__dict__ or part in owner._parameters:
                owner, key = root, name.replace(".", "_")
                break
            child = Namespace()
            owner.add_module(part, child)
        owner = child
    if not key or key in owner._modules:
        owner, key = root, name.replace(".", "_")
    table = "_buffers" if buffer else "_parameters"
    if buffer:
        owner.register_buffer(key, Tensor._wrap(array))
    else:
        owner.register_parameter(key, Parameter(Tensor._wrap(array)))
    return owner, table, key


def _check_defined(nodes, known: set[str], outputs: list[str], file: str) -> None:
    """Every value a node reads is made before it (ONNX graphs are topologically sorted)."""
    for node, _ in nodes:
        for name in node.inputs:
            if name and name not in known:
                raise node.fail(f"it reads {name!r}, which no earlier node or input makes")
        known.update(node.outputs)
    missing = [name for name in outputs if name not in known]
    if missing:
        raise OnnxImportError(f"{file}: no node makes the graph outputs {missing}")


def _tensor(x) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor._wrap(np.asarray(x))
