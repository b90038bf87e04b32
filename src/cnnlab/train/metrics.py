"""The per-epoch metrics of a run, written as ``metrics.csv`` or ``metrics.jsonl``.

The history lives in the checkpoint; the metrics file is rewritten from it (atomically) after
every epoch, so after a crash and a resume it holds exactly the epochs the checkpoint holds.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from cnnlab.train.jsoncodec import strict_dumps
from cnnlab.utils.files import atomic_write_text

COLUMNS = (
    "epoch",
    "lr",
    "train_loss",
    "train_acc",
    "test_loss",
    "test_acc",
    "seconds",
    "images_per_s",
)


def metrics_path(out: Path, fmt: str) -> Path:
    """``out/metrics.csv`` or ``out/metrics.jsonl``."""
    return out / f"metrics.{fmt}"


def format_metrics(history: list[dict[str, Any]], fmt: str) -> str:
    """The history as CSV (with a header) or as strict JSON lines, one epoch per row (a loss
    that diverged is ``null``, named under ``"not_finite"``)."""
    if fmt == "jsonl":
        return "".join(strict_dumps({k: row[k] for k in COLUMNS}) + "\n" for row in history)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    return buffer.getvalue()


def write_metrics(out: Path, history: list[dict[str, Any]], fmt: str) -> Path:
    """Write the whole history to ``out/metrics.<fmt>`` atomically. Not fsync-ed: the
    checkpoint is the durable record, and a resume rewrites this file from it."""
    return atomic_write_text(metrics_path(out, fmt), format_metrics(history, fmt), durable=False)


def epoch_legend(augment: bool) -> str:
    """What the numbers of the epoch lines are, printed once above them."""
    images = "augmented images, " if augment else ""
    return (
        "each epoch: lr = the learning rate at the epoch's start; train loss/acc = running "
        f"means over the epoch as it trains ({images}train mode); test loss/acc = the model "
        "at the epoch's end (eval mode)"
    )


def format_epoch(row: dict[str, Any], epochs: int) -> str:
    """One line per epoch:
    ``epoch  3/12  lr 0.0412  train (running) loss 0.1234 acc 96.10%  test loss ...``."""
    width = len(str(epochs))
    return (
        f"epoch {row['epoch']:>{width}}/{epochs}  lr {row['lr']:.4g}  "
        f"train (running) loss {row['train_loss']:.4f} acc {100 * row['train_acc']:.2f}%  "
        f"test loss {row['test_loss']:.4f} acc {100 * row['test_acc']:.2f}%  "
        f"{row['seconds']:.1f}s {row['images_per_s']:,.0f} img/s"
    )
