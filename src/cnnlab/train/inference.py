"""Using a trained checkpoint: rebuild its model, and evaluate it on a test split."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.data import Normalize, to_float
from cnnlab.models import build, engine_module
from cnnlab.ops.floating import quietly
from cnnlab.train.checkpoint import (
    Checkpoint,
    CheckpointError,
    find_checkpoint,
    load_checkpoint,
    load_model_state,
)
from cnnlab.train.report import class_report
from cnnlab.train.splits import check_compatible, load_split
from cnnlab.train.threads import compute_threads

BATCH = 500


@dataclass
class LoadedModel:
    """A model rebuilt from a checkpoint, in eval mode, with what inference needs."""

    model: Any
    lib: Any
    classes: list[str]
    input_shape: tuple[int, int, int]
    normalize: Normalize
    checkpoint: Checkpoint
    path: Path

    def logits(self, images: np.ndarray) -> np.ndarray:
        """Class scores ``(N, classes)`` for ``uint8`` images ``(N, C, H, W)``."""
        return self.scores(to_float(images))

    def scores(self, pixels: np.ndarray) -> np.ndarray:
        """Class scores ``(N, classes)`` for float images ``(N, C, H, W)`` in [0, 1]."""
        lib, scores = self.lib, []
        with lib.no_grad(), compute_threads(lib, None):
            for start in range(0, len(pixels), BATCH):
                batch = self.normalize(np.asarray(pixels[start : start + BATCH], np.float32))
                scores.append(np.asarray(self.model(lib.from_numpy(batch)).numpy(), np.float64))
        return np.concatenate(scores) if scores else np.zeros((0, len(self.classes)))

    def describe(self) -> str:
        """``runs/x/checkpoint.npz: lenet5 trained on mnist, epoch 3``."""
        info, epoch = self.checkpoint.info, self.checkpoint.epoch
        return f"{self.path}: {info['model']} trained on {info['data']}, epoch {epoch}"


def load_model(path: str | Path | LoadedModel, engine: str = "numpy") -> LoadedModel:
    """Rebuild the checkpoint's model on ``engine`` (either engine, whichever trained it).

    ``path`` is a checkpoint file or a run directory holding ``checkpoint.npz``; a model
    already loaded is returned as it is.
    """
    if isinstance(path, LoadedModel):
        return path
    path = find_checkpoint(path)
    checkpoint = load_checkpoint(path)
    info = checkpoint.info
    lib = engine_module(engine)
    channels, size, _ = info["input_shape"]
    model = build(
        info["model"], lib, in_channels=channels, num_classes=len(info["classes"]), image_size=size
    )
    try:
        load_model_state(model, checkpoint.model, lib)
    except (RuntimeError, ValueError) as error:
        raise CheckpointError(
            f"{path}: the weights do not fit {info['model']}: {str(error).splitlines()[0]}"
        ) from error
    model.eval()
    return LoadedModel(
        model,
        lib,
        list(info["classes"]),
        (channels, size, size),
        Normalize(info["mean"], info["std"]),
        checkpoint,
        path,
    )


@quietly
def cross_entropy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean cross-entropy of ``scores`` (N, K) at ``labels`` (N,), computed stably."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


@quietly
def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def evaluate_checkpoint(
    path: str | Path | LoadedModel,
    *,
    data: str | None = None,
    data_dir: str | None = None,
    download: bool = False,
    classes: Sequence[int] | None = None,
    limit: int | None = None,
    engine: str = "numpy",
) -> dict[str, Any]:
    """Accuracy, per-class accuracy and confusion matrix of a checkpoint on a test split.

    ``path`` is a checkpoint file, a run directory or a :class:`LoadedModel`. ``data``
    defaults to the dataset the model was trained on (and then ``classes`` to its class
    selection); ``data_dir`` to the run's own (stored as an absolute path), else the default
    data directory. Only the test split's files are read.
    """
    loaded = load_model(path, engine)
    saved = loaded.checkpoint.config
    name = data or saved["data"]
    if classes is None and name == saved["data"]:
        classes = saved.get("classes")
    split = load_split(
        name,
        train=False,
        data_dir=data_dir or saved.get("data_dir"),
        download=download,
        classes=classes,
        limit=limit,
    )
    check_compatible(split, loaded.input_shape, loaded.classes, f"the model in {loaded.path}")
    scores = loaded.logits(split.images)
    report = class_report(split.labels, scores.argmax(axis=1), split.classes)
    return {
        "checkpoint": str(loaded.path),
        "model": loaded.checkpoint.info["model"],
        "data": name,
        "epoch": loaded.checkpoint.epoch,
        "loss": cross_entropy(scores, split.labels),
        **report,
    }
