"""``cnnlab export``: a trained checkpoint as a self-contained ONNX classifier.

The file takes raw images, float32 in [0, 1], N x C x H x W with any N; the normalization the
model was trained with is the graph's first two nodes (Sub, Div), so a client needs nothing but
the file. Its metadata holds the class names, the input layout and range, and the cnnlab version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

import cnnlab
from cnnlab.autograd.tensor import Tensor
from cnnlab.nn.module import Module
from cnnlab.onnx.export import describe, export
from cnnlab.train.inference import load_model

INPUT, OUTPUT = "image", "logits"


class Normalize(Module):
    """``(x - mean) / std`` per channel, the dataset normalization of training."""

    def __init__(self, mean, std) -> None:
        super().__init__()
        shape = (1, -1, 1, 1)
        self.register_buffer("mean", Tensor(np.asarray(mean, np.float32).reshape(shape)))
        self.register_buffer("std", Tensor(np.asarray(std, np.float32).reshape(shape)))

    def forward(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std


class Normalized(Module):
    """``model(normalize(x))`` whose parameters keep the model's own names (``conv1.weight``),
    beside ``normalize.mean`` and ``normalize.std``."""

    def __init__(self, model: Module, mean, std) -> None:
        super().__init__()
        self.normalize = Normalize(mean, std)
        for name, child in model.named_children():
            self.add_module(name, child)
        for name, value in model._parameters.items():
            self.register_parameter(name, value)
        object.__setattr__(self, "model", model)

    def forward(self, x: Tensor) -> Tensor:
        return self.model(self.normalize(x))


@dataclass
class Exported:
    """What ``cnnlab export`` wrote: the file, its size and the model."""

    path: Path
    size: int
    proto: onnx.ModelProto


def export_checkpoint(
    checkpoint: str | Path, out: str | Path | None = None, opset_version: int | None = None
) -> Exported:
    """Write the model of ``checkpoint`` (a file or run directory) as ONNX to ``out`` (default:
    the checkpoint's path with the suffix ``.onnx``), atomically."""
    loaded = load_model(checkpoint)
    info, config = loaded.checkpoint.info, loaded.checkpoint.config
    path = Path(out) if out is not None else Path(loaded.path).with_suffix(".onnx")
    model = Normalized(loaded.model, loaded.normalize.mean, loaded.normalize.std)
    metadata = {
        "cnnlab_version": cnnlab.__version__,
        "model": info["model"],
        "classes": json.dumps(list(loaded.classes)),
        "input_layout": "NCHW",
        "input_range": "[0, 1]",
        "normalization": json.dumps(
            {"mean": loaded.normalize.mean.tolist(), "std": loaded.normalize.std.tolist()}
        ),
        "data": config.get("data", ""),
        "data_classes": json.dumps(config.get("classes")),
        "epoch": str(loaded.checkpoint.epoch),
    }
    example = cnnlab.zeros(1, *loaded.input_shape)
    proto = export(
        model,
        example,
        path,
        input_names=[INPUT],
        output_names=[OUTPUT],
        dynamic_axes={INPUT: {0: "N"}, OUTPUT: {0: "N"}},
        opset_version=opset_version,
        metadata=metadata,
    )
    return Exported(path, path.stat().st_size, proto)


def format_export(exported: Exported) -> str:
    """What ``cnnlab export`` prints: the file, then each input and output."""
    opset = exported.proto.opset_import[0].version
    lines = [f"wrote {exported.path} ({exported.size:,} bytes, ONNX opset {opset})"]
    for row in describe(exported.proto):
        shape = " x ".join(map(str, row["shape"]))
        note = "raw pixels in [0, 1]" if row["kind"] == "input" else "class scores (logits)"
        lines.append(f"  {row['kind']:<6} {row['name']:<7} {row['dtype']} {shape}  {note}")
    return "\n".join(lines)
