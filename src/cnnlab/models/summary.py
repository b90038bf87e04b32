"""``summary``: a per-layer table of output shapes and parameter counts (Table 8.1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnlab.models.engine import engine_module


@dataclass(frozen=True)
class LayerRow:
    """One layer: its name in the model, its type, its output shape (no batch axis) and the
    number of learnable parameters it owns."""

    name: str
    type: str
    output_shape: tuple[int, ...]
    parameters: int


@dataclass(frozen=True)
class ModelSummary:
    """The rows of :func:`summary` with the input shape and the totals."""

    input_shape: tuple[int, ...]
    rows: list[LayerRow]
    total_parameters: int
    trainable_parameters: int

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.rows[-1].output_shape if self.rows else self.input_shape


def model_library(model):
    """The engine module (``cnnlab`` or ``torch``) that ``model`` was built with."""
    cnnlab = engine_module("numpy")
    return cnnlab if isinstance(model, cnnlab.nn.Module) else engine_module("torch")


def summary(model, input_shape: tuple[int, ...], depth: int = 1) -> ModelSummary:
    """Run a zero batch of ``input_shape`` (C, H, W) through ``model``, recording with forward
    hooks the output shape and parameter count of each layer, in the order the layers run.

    The layers are the modules ``depth`` levels down (``1``: the children, as Table 8.1 lists
    them), and the leaves above that level; a model with no children is its own one layer.
    Since hooks see every call, a branching model (ResNet's blocks, Inception's four branches
    joined by ``torch.cat``) is summarized as well as an ``nn.Sequential``. A layer called twice
    gets two rows, its parameters counted in the first.

    The model is run in eval mode (so batch-norm statistics are untouched) and left in the mode
    it was in. Works on both engines.
    """
    shape = tuple(int(n) for n in input_shape)
    if not shape or any(n < 1 for n in shape):
        raise ValueError(
            f"summary: input_shape must be positive sizes such as (3, 32, 32), got {input_shape!r}"
        )
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"summary: depth must be a positive int, got {depth!r}")
    lib = model_library(model)
    was_training = model.training
    model.eval()
    recorder = LayerRecorder(summary_layers(model, depth))
    try:
        x = lib.from_numpy(np.zeros((2, *shape), np.float32))
        with lib.no_grad(), recorder:
            try:
                model(x)
            except (RuntimeError, ValueError) as error:
                raise recorder.failure(shape, error) from error
    finally:
        model.train(was_training)
    params = list(model.parameters())
    return ModelSummary(
        input_shape=shape,
        rows=recorder.rows,
        total_parameters=sum(p.numel() for p in params),
        trainable_parameters=sum(p.numel() for p in params if p.requires_grad),
    )


def summary_layers(model, depth: int) -> list[tuple[str, object]]:
    """The (name, module) pairs ``depth`` levels below ``model``, or leaves above that level."""
    children = list(model.named_children())
    if not children:
        return [(type(model).__name__, model)]
    layers = []
    for name, child in children:
        if depth == 1 or not list(child.children()):
            layers.append((name, child))
        else:
            layers += [(f"{name}.{sub}", m) for sub, m in summary_layers(child, depth - 1)]
    return layers


def first_tensor(value):
    """``value``, or the first tensor of a tuple or list of outputs."""
    while isinstance(value, (tuple, list)) and value:
        value = value[0]
    return value


class LayerRecorder:
    """Forward hooks on ``layers`` that append a :class:`LayerRow` after each call, and note
    the layer running and its input shape, to name it if it fails."""

    def __init__(self, layers: list[tuple[str, object]]) -> None:
        self.layers = layers
        self.rows: list[LayerRow] = []
        self.counted: set[int] = set()
        self.running: list[tuple[str, object, tuple[int, ...]]] = []
        self.handles: list = []

    def __enter__(self) -> LayerRecorder:
        for name, layer in self.layers:
            self.handles.append(layer.register_forward_pre_hook(self.pre_hook(name)))
            self.handles.append(layer.register_forward_hook(self.hook(name)))
        return self

    def __exit__(self, *exc_info) -> None:
        for handle in self.handles:
            handle.remove()

    def pre_hook(self, name: str):
        def note(layer, inputs):
            x = first_tensor(inputs)
            self.running.append((name, layer, tuple(getattr(x, "shape", ())[1:])))

        return note

    def hook(self, name: str):
        def record(layer, inputs, output):
            self.running.pop()
            count = 0
            if id(layer) not in self.counted:
                self.counted.add(id(layer))
                count = sum(p.numel() for p in layer.parameters())
            out_shape = tuple(int(n) for n in first_tensor(output).shape[1:])
            self.rows.append(LayerRow(name, type(layer).__name__, out_shape, count))

        return record

    def failure(self, shape: tuple[int, ...], error: Exception) -> ValueError:
        """The error naming the layer that could not take its input."""
        reason = str(error).splitlines()[0]
        if not self.running:
            return ValueError(f"summary: the model cannot take input {list(shape)}: {reason}")
        name, layer, in_shape = self.running[-1]
        return ValueError(
            f"summary: layer {name!r} ({type(layer).__name__}) cannot take the output "
            f"of the layer before it, shape {list(in_shape)}, for input {list(shape)}: {reason}"
        )


def format_shape(shape: tuple[int, ...]) -> str:
    """``[6, 28, 28]``: the chapter's [C, H, W] notation."""
    return "[" + ", ".join(str(n) for n in shape) + "]"


def format_summary(result: ModelSummary, title: str = "") -> str:
    """The summary as a text table with a totals line."""
    header = ("layer", "type", "output shape", "parameters")
    body = [
        (row.name, row.type, format_shape(row.output_shape), f"{row.parameters:,}")
        for row in result.rows
    ]
    table = [("input", "", format_shape(result.input_shape), ""), *body]
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(4)]

    def line(cells: tuple[str, ...]) -> str:
        left = "  ".join(c.ljust(w) for c, w in zip(cells[:3], widths[:3], strict=True))
        return f"{left}  {cells[3].rjust(widths[3])}"

    rule = "-" * len(line(header))
    lines = [title] if title else []
    lines += [line(header), rule, *(line(r) for r in table), rule]
    lines.append(f"total parameters: {result.total_parameters:,}")
    if result.trainable_parameters != result.total_parameters:
        lines.append(f"trainable parameters: {result.trainable_parameters:,}")
    return "\n".join(lines)
