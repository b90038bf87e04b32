"""Running an ``.onnx`` image classifier for ``cnnlab evaluate`` and ``cnnlab predict``: through
onnxruntime, or through the NumPy engine after ``cnnlab.onnx.load``.

:func:`load_onnx_model` returns the ``LoadedModel`` that the checkpoint commands use, so the same
evaluation and prediction code serves both. The file's input is taken as raw images in [0, 1]
(what ``cnnlab export`` writes: the normalization is inside the graph); the class names, the
training dataset and its class selection come from the metadata ``cnnlab export`` writes, and
are ``0 .. K-1`` and unknown for other files.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import onnx

import cnnlab
from cnnlab.data import Normalize
from cnnlab.onnx.errors import OnnxImportError
from cnnlab.onnx.load import OnnxModule, read_model
from cnnlab.train.inference import LoadedModel

RUNTIMES = ("onnxruntime", "numpy")


def default_runtime() -> str:
    """onnxruntime when it is installed, else the NumPy engine."""
    return "onnxruntime" if importlib.util.find_spec("onnxruntime") else "numpy"


def is_onnx_file(path) -> bool:
    return str(path).lower().endswith(".onnx")


@dataclass
class OnnxInfo:
    """What the file says of its training, shaped as a checkpoint's ``info``/``config``."""

    info: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)
    epoch: int | None = None


@dataclass
class OnnxModel(LoadedModel):
    """A ``LoadedModel`` whose ``model`` runs an ONNX file (by ``runtime``)."""

    runtime: str = "onnxruntime"

    def describe(self) -> str:
        """``model.onnx: lenet5 trained on mnist5k, epoch 3, run by onnxruntime``."""
        info, trained = self.checkpoint.info, self.checkpoint.config.get("data")
        text = f"{self.path}: {info['model']}"
        if trained:
            text += f" trained on {trained}, epoch {self.checkpoint.epoch}"
        engine = " (the cnnlab engine)" if self.runtime == "numpy" else ""
        return f"{text}, run by {self.runtime}{engine}"


class Session:
    """onnxruntime behind the engine's calling convention: a cnnlab tensor in, one out."""

    def __init__(self, proto: onnx.ModelProto, input_name: str) -> None:
        try:
            import onnxruntime
        except ImportError as error:
            raise ImportError(
                'the onnxruntime runtime needs the onnxruntime package: pip install "cnnlab[onnx]" '
                "(or run the file on the cnnlab engine: --runtime numpy)"
            ) from error
        self.session = onnxruntime.InferenceSession(
            proto.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        self.input_name = input_name

    def __call__(self, x):
        return cnnlab.from_numpy(self.session.run(None, {self.input_name: x.numpy()})[0])


def load_onnx_model(path: str | Path, runtime: str | None = None) -> OnnxModel:
    """An ``.onnx`` image classifier (one input N x C x H x W in [0, 1], first output N x K
    class scores) ready for ``evaluate_checkpoint`` and ``predict_images``."""
    runtime = runtime or default_runtime()
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
    proto, label = read_model(path)
    input_name, input_shape, outputs = _signature(proto, label)
    meta = {p.key: p.value for p in proto.metadata_props}
    classes = _classes(meta, outputs, label)
    data = meta.get("data") or None
    checkpoint = OnnxInfo(
        {"model": meta.get("model", Path(path).stem), "classes": classes, "data": data},
        {"data": data, "classes": _json(meta.get("data_classes"))},
        int(meta["epoch"]) if meta.get("epoch", "").isdigit() else None,
    )
    if runtime == "onnxruntime":
        model = Session(proto, input_name)
    else:
        model = _first_output(OnnxModule(proto, label).eval())
    channels = input_shape[0]
    identity = Normalize([0.0] * channels, [1.0] * channels)
    return OnnxModel(model, cnnlab, classes, input_shape, identity, checkpoint, Path(path), runtime)


def _first_output(module: OnnxModule):
    def run(x):
        out = module(x)
        return out[0] if isinstance(out, tuple) else out

    return run


def _signature(proto: onnx.ModelProto, label: str) -> tuple[str, tuple[int, int, int], list]:
    initializers = {t.name for t in proto.graph.initializer}
    inputs = [v for v in proto.graph.input if v.name not in initializers]
    dims = [_dims(v) for v in inputs]
    if len(inputs) != 1 or len(dims[0]) != 4 or not all(isinstance(n, int) for n in dims[0][1:]):
        shapes = ", ".join(f"{v.name} {d}" for v, d in zip(inputs, dims, strict=True))
        raise OnnxImportError(
            f"{label}: an image classifier takes one input N x C x H x W with fixed C, H and W, "
            f"this file takes {shapes or 'none'}"
        )
    return inputs[0].name, tuple(dims[0][1:]), [_dims(v) for v in proto.graph.output]


def _dims(value: onnx.ValueInfoProto) -> list:
    return [d.dim_param or d.dim_value or "?" for d in value.type.tensor_type.shape.dim]


def _json(text: str | None):
    return None if text is None else json.loads(text)


def _classes(meta: dict[str, str], outputs: list, label: str) -> list[str]:
    if "classes" in meta:
        return [str(c) for c in json.loads(meta["classes"])]
    if len(outputs) < 1 or len(outputs[0]) != 2 or not isinstance(outputs[0][1], int):
        raise OnnxImportError(
            f"{label}: an image classifier's first output is N x K class scores with fixed K, "
            f"this file's is {outputs[0] if outputs else 'missing'}"
        )
    return [str(k) for k in range(outputs[0][1])]
