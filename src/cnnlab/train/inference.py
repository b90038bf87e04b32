"""Using a trained checkpoint: evaluate it on a test split, or classify image files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.data import Normalize, to_float
from cnnlab.models import build, engine_module
from cnnlab.train.checkpoint import Checkpoint, CheckpointError, load_checkpoint, load_model_state
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
        lib, scores = self.lib, []
        with lib.no_grad(), compute_threads(lib, None):
            for start in range(0, len(images), BATCH):
                batch = self.normalize(to_float(images[start : start + BATCH]))
                scores.append(np.asarray(self.model(lib.from_numpy(batch)).numpy(), np.float64))
        return np.concatenate(scores) if scores else np.zeros((0, len(self.classes)))


def load_model(path: str | Path, engine: str = "numpy") -> LoadedModel:
    """Rebuild the checkpoint's model on ``engine`` (either engine, whichever trained it)."""
    path = Path(path)
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


def cross_entropy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean cross-entropy of ``scores`` (N, K) at ``labels`` (N,), computed stably."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(labels)), labels].mean())


def softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def evaluate_checkpoint(
    path: str | Path,
    *,
    data: str | None = None,
    data_dir: str | None = None,
    download: bool = False,
    classes: Sequence[int] | None = None,
    limit: int | None = None,
    engine: str = "numpy",
) -> dict[str, Any]:
    """Accuracy, per-class accuracy and confusion matrix of a checkpoint on a test split.

    ``data`` defaults to the dataset the model was trained on (and then ``classes`` to its
    class selection). Only the test split's files are read.
    """
    loaded = load_model(path, engine)
    saved = loaded.checkpoint.config
    name = data or saved["data"]
    if classes is None and name == saved["data"]:
        classes = saved.get("classes")
    split = load_split(
        name, train=False, data_dir=data_dir, download=download, classes=classes, limit=limit
    )
    check_compatible(split, loaded.input_shape, loaded.classes, f"the model in {path}")
    scores = loaded.logits(split.images)
    report = class_report(split.labels, scores.argmax(axis=1), split.classes)
    return {
        "checkpoint": str(path),
        "model": loaded.checkpoint.info["model"],
        "data": name,
        "epoch": loaded.checkpoint.epoch,
        "loss": cross_entropy(scores, split.labels),
        **report,
    }


def read_image(path: str | Path, shape: tuple[int, int, int], invert: bool = False) -> np.ndarray:
    """An image file as ``uint8`` ``(C, H, W)``: made grey (C=1) or RGB (C=3), transparency
    put on white, resized to H x W (bilinear), optionally inverted (``255 - x``)."""
    from PIL import Image, UnidentifiedImageError

    channels, height, width = shape
    try:
        with Image.open(path) as opened:
            opened.load()
            image = opened
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                image = image.convert("RGBA")
                image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image)
            image = image.convert("L" if channels == 1 else "RGB")
    except (OSError, UnidentifiedImageError, ValueError) as error:
        raise ValueError(f"{path}: cannot read the image: {error}") from error
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.BILINEAR)
    pixels = np.asarray(image, dtype=np.uint8)
    pixels = pixels[np.newaxis] if channels == 1 else np.transpose(pixels, (2, 0, 1))
    return 255 - pixels if invert else pixels


def predict_images(
    path: str | Path, files: Sequence[str | Path], *, engine: str = "numpy", invert: bool = False
) -> list[dict[str, Any]]:
    """Classify image files with a checkpoint's model.

    Returns one dict per file: ``file``, ``class`` (the name), ``index``, ``probability`` and
    ``probabilities`` (by class name, softmax of the scores).
    """
    loaded = load_model(path, engine)
    images = np.stack([read_image(f, loaded.input_shape, invert) for f in files])
    probabilities = softmax(loaded.logits(images))
    results = []
    for file, p in zip(files, probabilities, strict=True):
        best = int(p.argmax())
        results.append(
            {
                "file": str(file),
                "class": loaded.classes[best],
                "index": best,
                "probability": float(p[best]),
                "probabilities": {
                    name: float(v) for name, v in zip(loaded.classes, p, strict=True)
                },
            }
        )
    return results
