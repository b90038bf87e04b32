"""Training and evaluating the chapter's networks on either engine: one loop written against
PyTorch's API, atomic checkpoints with exact resume, metrics, the chapter's per-class report and
plots.

Example:
    >>> from cnnlab.train import TrainConfig, train
    >>> result = train(TrainConfig(epochs=1, limit=500, out="runs/demo"))  # doctest: +SKIP
    >>> result.report["accuracy"]  # doctest: +SKIP
    0.87
"""

from cnnlab.train.checkpoint import (
    Checkpoint,
    CheckpointError,
    find_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from cnnlab.train.config import TrainConfig, resumed_config
from cnnlab.train.inference import LoadedModel, evaluate_checkpoint, load_model
from cnnlab.train.predict import predict_images
from cnnlab.train.report import class_report, confusion_matrix, format_report
from cnnlab.train.trainer import TrainResult, resolve_config, train

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "LoadedModel",
    "TrainConfig",
    "TrainResult",
    "class_report",
    "confusion_matrix",
    "evaluate_checkpoint",
    "find_checkpoint",
    "format_report",
    "load_checkpoint",
    "load_model",
    "predict_images",
    "resolve_config",
    "resumed_config",
    "save_checkpoint",
    "train",
]
