"""The per-epoch metrics of a run, written as ``metrics.csv`` or ``metrics.jsonl``.

The history lives in the checkpoint. A run starts the metrics file from it (atomically: the
header, and a resumed run's epochs), then appends each epoch's row and flushes it to disk, so
a crash loses at most the epoch in flight, and after a resume the file holds exactly the
epochs of the checkpoint it continued from, then the new ones.
"""

from __future__ import annotations

import csv
import io
import os
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
    """Write the whole history to ``out/metrics.<fmt>`` atomically."""
    return atomic_write_text(metrics_path(out, fmt), format_metrics(history, fmt))


class MetricsLog:
    """``out/metrics.<fmt>``: started from ``history`` (see the module's docstring), then one
    row appended, flushed and ``fsync``-ed per :meth:`append`."""

    def __init__(self, out: Path, fmt: str, history: list[dict[str, Any]]) -> None:
        self.path, self.fmt = metrics_path(out, fmt), fmt
        try:
            write_metrics(out, history, fmt)
        except OSError as error:
            raise OSError(f"{self.path}: could not write it: {error.strerror or error}") from error

    def append(self, row: dict[str, Any]) -> None:
        """Add ``row``'s line; raise ``OSError`` naming the file and the epoch if it fails."""
        line = format_metrics([row], self.fmt)
        if self.fmt == "csv":
            line = line.split("\n", 1)[1]  # without the header
        try:
            with open(self.path, "a", encoding="utf-8") as file:
                file.write(line)
                file.flush()
                os.fsync(file.fileno())
        except OSError as error:
            raise OSError(
                f"{self.path}: could not add epoch {row['epoch']}: {error.strerror or error}; "
                "the checkpoint keeps the history"
            ) from error


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
