"""Recording the engine's graph: every ``Function`` a forward pass applies, with its options and
the layer that applied it.

A forward pass on the engine links each result to the ``Function`` node that made it
(``tensor.grad_fn``) and each node to its input tensors. The tracer runs the model once with the
inputs requiring gradients, so that every op fed by them is recorded, and notes for each node
what the graph itself does not keep: the keyword options it was applied with (kernel sizes,
strides, axes), the node that made each input at that moment (an in-place op may later point the
same tensor at a new node), and the module path of the innermost layer running. Tensors that no
recorded op made are leaves: the inputs, the parameters and buffers, or constants.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cnnlab.autograd.function import Function
from cnnlab.autograd.grad_mode import enable_grad
from cnnlab.autograd.math_ops import Clone
from cnnlab.autograd.tensor import Tensor
from cnnlab.onnx.errors import OnnxExportError

_TRACING = threading.Lock()


@dataclass(frozen=True)
class Input:
    """The source of a value that is the model's input number ``index``."""

    index: int


@dataclass
class Step:
    """One op of the forward pass.

    ``sources[i]`` says where input ``i`` came from: the index of the step that made it, an
    :class:`Input`, a leaf ``Tensor``, or None for an absent optional input (a conv without
    bias).
    """

    op: type
    sources: tuple
    inputs: tuple
    options: dict[str, Any]
    output: Tensor
    layer: str
    layer_type: str

    @property
    def where(self) -> str:
        """The layer that ran this op, as an error message names it."""
        return f"layer '{self.layer}' ({self.layer_type})" if self.layer else self.layer_type


@dataclass
class Trace:
    """The steps of one forward pass, the model's inputs and its outputs (as sources)."""

    steps: list[Step]
    inputs: list[Tensor]
    outputs: list
    leaves: dict[int, Tensor] = field(default_factory=dict)


def trace(model, inputs: list[Tensor]) -> Trace:
    """Run ``model(*inputs)`` and record its graph (one trace at a time, in this thread).

    The model receives copies of ``inputs`` made by a recorded op, so that an in-place change
    of an input is an op on a value with a history, as in PyTorch's eval-mode forward.
    """
    with _TRACING:
        steps: list[Step] = []
        with enable_grad():
            fed = [Clone.apply(t) for t in inputs]
        made_by: dict[int, int | Input] = {id(t.grad_fn): Input(i) for i, t in enumerate(fed)}
        layers: list[tuple[str, str]] = [("", type(model).__name__)]
        leaves: dict[int, Tensor] = {}

        def record(op, tensors, options, run):
            sources = tuple(_source(t, made_by, leaves, layers[-1]) for t in tensors)
            output = run()
            if isinstance(output, Tensor) and output.grad_fn is not None:
                made_by[id(output.grad_fn)] = len(steps)
                steps.append(Step(op, sources, tensors, options, output, *layers[-1]))
            return output

        with _layer_paths(model, layers), _recording(record), enable_grad():
            result = model(*fed)
        outputs = _flatten_outputs(result)
        sources = [_source(t, made_by, leaves, ("", type(model).__name__)) for t in outputs]
        return Trace(steps, inputs, sources, leaves)


def _source(t, made_by: dict[int, int | Input], leaves: dict[int, Tensor], layer: tuple[str, str]):
    if t is None:
        return None
    if not isinstance(t, Tensor):
        raise OnnxExportError(f"{layer[0] or layer[1]}: an op received {type(t).__name__}")
    if t.grad_fn is None:
        leaves[id(t)] = t
        return t
    index = made_by.get(id(t.grad_fn))
    if index is None:
        where = f"layer '{layer[0]}' ({layer[1]})" if layer[0] else layer[1]
        raise OnnxExportError(
            f"cannot export: {where} uses a value made by {type(t.grad_fn).__name__}, an op "
            "that was not recorded while tracing"
        )
    return index


def _flatten_outputs(result) -> list[Tensor]:
    items = list(result) if isinstance(result, tuple | list) else [result]
    for item in items:
        if not isinstance(item, Tensor):
            raise OnnxExportError(
                f"export: the model must return a Tensor or a tuple of Tensors, got "
                f"{type(item).__name__}"
            )
    return items


@contextmanager
def _recording(record: Callable) -> Iterator[None]:
    """Route ``Function.apply`` through ``record`` in this thread while the context is open."""
    apply = Function.__dict__["apply"]
    owner = threading.get_ident()

    def traced_apply(cls, *tensors, **options):
        def run():
            return apply.__func__(cls, *tensors, **options)

        if threading.get_ident() != owner:
            return run()
        return record(cls, tensors, options, run)

    Function.apply = classmethod(traced_apply)
    try:
        yield
    finally:
        Function.apply = apply


@contextmanager
def _layer_paths(model, layers: list[tuple[str, str]]) -> Iterator[None]:
    """Keep ``layers[-1]`` at the (path, class name) of the innermost module running."""
    wrapped = []
    for path, module in model.named_modules():
        layer = (path, type(module).__name__)

        def entered(*args, _forward=module.forward, _layer=layer, **kwargs):
            layers.append(_layer)
            try:
                return _forward(*args, **kwargs)
            finally:
                layers.pop()

        wrapped.append((module, module.__dict__.get("forward")))
        object.__setattr__(module, "forward", entered)
    try:
        yield
    finally:
        for module, own in wrapped:
            if own is None:
                del module.__dict__["forward"]
            else:
                object.__setattr__(module, "forward", own)


def as_inputs(args, dtype=None) -> list[Tensor]:
    """The model's example inputs as fresh leaf tensors that require gradients."""
    items = list(args) if isinstance(args, tuple | list) else [args]
    if not items:
        raise OnnxExportError("export: args must hold at least one input tensor")
    inputs = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            raise OnnxExportError("export: keyword inputs (a dict in args) are not supported")
        array = item._data if isinstance(item, Tensor) else np.asarray(item)
        if array.dtype.kind != "f":
            raise OnnxExportError(
                f"export: input {i} must be a floating point tensor, got dtype {array.dtype}"
            )
        inputs.append(Tensor._wrap(array.copy(), requires_grad=True))
    return inputs
