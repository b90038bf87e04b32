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


def summary(model, input_shape: tuple[int, ...]) -> ModelSummary:
    """Run a zero batch of ``input_shape`` (C, H, W) through the children of ``model`` in order,
    recording each child's output shape and parameter count.

    The model is run in eval mode (so batch-norm statistics are untouched) and left in the mode
    it was in. Works for sequential models such as those of :mod:`cnnlab.models`, on both engines.
    """
    shape = tuple(int(n) for n in input_shape)
    if not shape or any(n < 1 for n in shape):
        raise ValueError(
            f"summary: input_shape must be positive sizes such as (3, 32, 32), got {input_shape!r}"
        )
    lib = model_library(model)
    was_training = model.training
    model.eval()
    rows = []
    try:
        x = lib.from_numpy(np.zeros((2, *shape), np.float32))
        with lib.no_grad():
            for name, layer in model.named_children():
                try:
                    x = layer(x)
                except (RuntimeError, ValueError) as error:
                    raise ValueError(
                        f"summary: layer {name!r} ({type(layer).__name__}) cannot take the output "
                        f"of the layer before it, shape {list(x.shape[1:])}, "
                        f"for input {list(shape)}: "
                        f"{str(error).splitlines()[0]}"
                    ) from error
                count = sum(p.numel() for p in layer.parameters())
                rows.append(LayerRow(name, type(layer).__name__, tuple(x.shape[1:]), count))
    finally:
        model.train(was_training)
    params = list(model.parameters())
    return ModelSummary(
        input_shape=shape,
        rows=rows,
        total_parameters=sum(p.numel() for p in params),
        trainable_parameters=sum(p.numel() for p in params if p.requires_grad),
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
