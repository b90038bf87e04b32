"""Running an ``.onnx`` image classifier for ``cnnlab evaluate`` and ``cnnlab predict``: through
onnxruntime, or through the NumPy engine after ``cnnlab.onnx.load``.

:class:`OnnxClassifier` has the interface of the checkpoint models of ``cnnlab.train``
(``scores``, ``logits``, ``classes``, ``input_shape``, ``describe``), so the same evaluation and
prediction code serves both. Its input is taken as raw images in [0, 1] (what ``cnnlab export``
writes); the class names, the training dataset and its class selection come from the metadata
``cnnlab export`` writes, and are ``0 .. K-1`` and unknown for other files.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx

import cnnlab
from cnnlab.data import to_float
from cnnlab.onnx.errors import OnnxImportError
from cnnlab.onnx.load import OnnxModule, read_model

RUNTIMES = ("onnxruntime", "numpy")
BATCH = 500


def default_runtime() -> str:
    """onnxruntime when it is installed, else the NumPy engine."""
    return "onnxruntime" if importlib.util.find_spec("onnxruntime") else "numpy"


def is_onnx_file(path: str | Path) -> bool:
    return str(path).lower().endswith(".onnx")


@dataclass
class OnnxInfo:
    """What the file says of its training, shaped as a checkpoint's ``info``/``config``."""

    info: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)
    epoch: int | None = None


class OnnxClassifier:
    """An ONNX model mapping images ``(N, C, H, W)`` in [0, 1] to class scores ``(N, K)``."""

    def __init__(self, path: str | Path, runtime: str | None = None) -> None:
        runtime = runtime or default_runtime()
        if runtime not in RUNTIMES:
            raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, got {runtime!r}")
        proto, label = read_model(path)
        self.path, self.runtime = Path(path), runtime
        self.input_name, self.input_shape, outputs = _signature(proto, label)
        meta = {p.key: p.value for p in proto.metadata_props}
        self.classes = _classes(meta, outputs, label)
        self.checkpoint = OnnxInfo(
            {"model": meta.get("model", self.path.stem), "classes": self.classes},
            {
                "data": meta.get("data") or None,
                "classes": json.loads(meta.get("data_classes", "null")),
            },
            int(meta["epoch"]) if meta.get("epoch", "").isdigit() else None,
        )
        self._run = (
            _onnxruntime(proto, self.input_name)
            if runtime == "onnxruntime"
            else _engine(OnnxModule(proto, label).eval())
        )

    def scores(self, pixels: np.ndarray) -> np.ndarray:
        """Class scores ``(N, K)`` (float64) of float images ``(N, C, H, W)`` in [0, 1]."""
        pixels = np.asarray(pixels, np.float32)
        parts = [self._run(pixels[i : i + BATCH]) for i in range(0, len(pixels), BATCH)]
        if not parts:
            return np.zeros((0, len(self.classes)))
        return np.concatenate([np.asarray(p, np.float64) for p in parts])

    def logits(self, images: np.ndarray) -> np.ndarray:
        """Class scores of ``uint8`` images ``(N, C, H, W)``."""
        return self.scores(to_float(images))

    def describe(self) -> str:
        """``model.onnx: lenet5 trained on mnist5k, epoch 3, run by onnxruntime``."""
        trained = self.checkpoint.config.get("data")
        parts = [f"{self.path}: {self.checkpoint.info['model']}"]
        if trained:
            parts.append(f" trained on {trained}, epoch {self.checkpoint.epoch}")
        engine = " (the cnnlab engine)" if self.runtime == "numpy" else ""
        return "".join(parts) + f", run by {self.runtime}{engine}"


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


def _json(text: str | None):
    return None if text is None else json.loads(text)


def _dims(value: onnx.ValueInfoProto) -> list:
    return [d.dim_param or d.dim_value or "?" for d in value.type.tensor_type.shape.dim]


def _classes(meta: dict[str, str], outputs: list, label: str) -> list[str]:
    if "classes" in meta:
        return [str(c) for c in json.loads(meta["classes"])]
    if len(outputs) < 1 or len(outputs[0]) != 2 or not isinstance(outputs[0][1], int):
        raise OnnxImportError(
            f"{label}: an image classifier's first output is N x K class scores with fixed K, "
            f"this file's is {outputs[0] if outputs else 'missing'}"
        )
    return [str(k) for k in range(outputs[0][1])]


def _onnxruntime(proto: onnx.ModelProto, input_name: str):
    try:
        import onnxruntime
    except ImportError as error:
        raise ImportError(
            'the onnxruntime runtime needs the onnxruntime package: pip install "cnnlab[onnx]" '
            "(or use the NumPy engine: --runtime numpy)"
        ) from error

    session = onnxruntime.InferenceSession(
        proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return lambda pixels: session.run(None, {input_name: pixels})[0]


def _engine(module: OnnxModule):
    def run(pixels: np.ndarray) -> np.ndarray:
        with cnnlab.no_grad():
            out = module(cnnlab.from_numpy(pixels))
        return (out[0] if isinstance(out, tuple) else out).numpy()

    return run
