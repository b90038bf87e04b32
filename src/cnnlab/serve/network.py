"""The model behind the page: a checkpoint's network on the NumPy engine, run one image at a
time under a lock, with every layer's feature maps and the chapter's equation for any cell."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.serve.explain import explain_cell
from cnnlab.serve.geometry import direct_source, layer_window, receptive_field
from cnnlab.serve.trace import LayerCall, Tracer
from cnnlab.train.inference import LoadedModel, load_model, softmax
from cnnlab.train.predict import is_digit_model

DECIMALS = 4  # feature-map values sent to the page (the eq. 8.2 terms are sent in full)


class BadRequest(ValueError):
    """A request the network cannot answer (an unknown layer, a cell outside the map)."""

    status = 400


@dataclass
class Pass:
    """One forward pass: the probabilities and the calls of every leaf module."""

    image: np.ndarray
    probabilities: np.ndarray
    calls: list[LayerCall]
    image_id: int


def rounded(array: np.ndarray) -> np.ndarray:
    """``array`` to :data:`DECIMALS` decimals, in float32: short numbers in the JSON."""
    return np.round(array, DECIMALS).astype(np.float32)


def is_feature_map(call: LayerCall) -> bool:
    """Whether a layer's output is a stack of 2-D maps ``(N, C, H, W)``."""
    return call.output.ndim == 4


class Network:
    """A checkpoint's model in eval mode, thread-safe: one forward pass at a time.

    Args:
        loaded: the model from :func:`cnnlab.train.load_model` (NumPy engine).
        label: how the page names where the weights come from.
    """

    def __init__(self, loaded: LoadedModel, label: str) -> None:
        self.loaded = loaded
        self.label = label
        self.tracer = Tracer(loaded.model)
        self.lock = threading.Lock()
        self.layers = self.describe_layers(self.run(np.zeros(loaded.input_shape, np.float32)))

    @classmethod
    def from_checkpoint(cls, path: str | Path, label: str | None = None) -> Network:
        return cls(load_model(path, "numpy"), label or str(path))

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.loaded.input_shape

    def run(self, image: np.ndarray) -> Pass:
        """The forward pass of one image ``(C, H, W)`` in [0, 1], normalized as in training."""
        lib = self.loaded.lib
        batch = lib.from_numpy(self.loaded.normalize(image[np.newaxis]).astype(np.float32))
        with self.lock, lib.no_grad():
            output, calls = self.tracer.run(batch)
        scores = np.asarray(output.numpy(), np.float64)
        return Pass(image, softmax(scores)[0], calls, id(batch))

    def predict(self, image: np.ndarray) -> dict[str, Any]:
        """The class, its label, the probabilities, the input and every feature map."""
        result = self.run(image)
        best = int(result.probabilities.argmax())
        channels = self.input_shape[0]
        return {
            "class": best,
            "label": self.loaded.classes[best],
            "probabilities": result.probabilities.tolist(),
            "input": image[0] if channels == 1 else image,
            "layers": [
                {
                    "name": call.name,
                    "kind": call.kind,
                    "shape": list(call.output.shape[1:]),
                    "maps": rounded(call.output[0]),
                }
                for call in result.calls
                if is_feature_map(call)
            ],
        }

    def explain(self, image: np.ndarray, layer: str, channel: int, row: int, col: int) -> dict:
        """The formula of ``layer`` at cell ``(channel, row, col)`` for ``image``, with the
        cell's receptive field on the input."""
        result = self.run(image)
        index = self.layer_index(result.calls, layer)
        call = result.calls[index]
        for name, value, size in zip(
            ("channel", "row", "col"), (channel, row, col), call.output.shape[1:], strict=True
        ):
            if not 0 <= value < size:
                raise BadRequest(f"'{name}' must be in 0..{size - 1} for {layer}, got {value}")
        before = direct_source(result.calls, index, result.image_id)
        return {
            "layer": layer,
            "kind": call.kind,
            "channel": channel,
            "row": row,
            "col": col,
            "input_layer": None if before is None else self.source_name(result.calls, before),
            "receptive_field": receptive_field(
                result.calls, index, row, col, result.image_id, self.input_shape
            ),
            **explain_cell(call, channel, row, col),
        }

    @staticmethod
    def source_name(calls: list[LayerCall], index: int) -> str:
        return "input" if index == -1 else calls[index].name

    def layer_index(self, calls: list[LayerCall], layer: str) -> int:
        for index, call in enumerate(calls):
            if call.name == layer and is_feature_map(call):
                return index
        names = ", ".join(call.name for call in calls if is_feature_map(call))
        raise BadRequest(f"'layer' must be one of {names}, got {layer!r}")

    def describe_layers(self, result: Pass) -> list[dict[str, Any]]:
        """Every feature-map layer: name, kind, output shape, window geometry, and the filters
        of conv layers."""
        layers = []
        for call in result.calls:
            if not is_feature_map(call):
                continue
            window = layer_window(call)
            entry: dict[str, Any] = {
                "name": call.name,
                "kind": call.kind,
                "shape": list(call.output.shape[1:]),
                "input_shape": list(call.input.shape[1:]),
                "window": None
                if window is None
                else {
                    "kernel": list(window.kernel),
                    "stride": list(window.stride),
                    "padding": [window.padding[0][0], window.padding[1][0]],
                    "dilation": list(window.dilation),
                },
            }
            if call.kind == "Conv2d":
                entry["filters"] = np.array(call.module.weight._data)
            layers.append(entry)
        return layers

    def info(self) -> dict[str, Any]:
        """What the page needs to know about the model."""
        checkpoint = self.loaded.checkpoint
        return {
            "model": checkpoint.info["model"],
            "data": checkpoint.info.get("data", checkpoint.config.get("data")),
            "source": self.label,
            "epoch": checkpoint.epoch,
            "classes": self.loaded.classes,
            "input_shape": list(self.input_shape),
            "digits": is_digit_model(self.loaded),
            "mean": self.loaded.normalize.mean.tolist(),
            "std": self.loaded.normalize.std.tolist(),
            "layers": self.layers,
        }
