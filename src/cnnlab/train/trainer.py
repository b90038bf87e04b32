"""``train(config)``: a whole run — data, model, epochs with checkpoints and metrics, resume,
the final report and the plots — in a run directory."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.data import ImageData
from cnnlab.train import distributed
from cnnlab.train.checkpoint import (
    CHECKPOINT_NAME,
    CheckpointError,
    CheckpointWriter,
    load_checkpoint,
)
from cnnlab.train.config import TrainConfig, resumed_config
from cnnlab.train.divergence import TrainingDiverged
from cnnlab.train.jsoncodec import strict_dumps
from cnnlab.train.loop import Run, build_run, capture, evaluate, restore, run_epochs
from cnnlab.train.metrics import MetricsLog, epoch_legend, format_epoch
from cnnlab.train.report import class_report, format_report
from cnnlab.train.splits import check_compatible, load_split
from cnnlab.train.threads import compute_threads
from cnnlab.utils.files import atomic_write_text

RUNS_DIR = Path("runs")
REPORT_NAME = "report.json"


@dataclass
class TrainResult:
    """What a run produced: its directory, the trained model, the history and the report."""

    config: TrainConfig
    out: Path
    model: Any
    history: list[dict[str, Any]]
    report: dict[str, Any]


def new_run_directory(config: TrainConfig) -> Path:
    """``runs/<model>-<data>-<YYYYmmdd-HHMMSS>`` (with ``-2``, ``-3``... if that exists)."""
    stem = f"{config.model}-{config.data}-{time.strftime('%Y%m%d-%H%M%S')}"
    candidate, number = RUNS_DIR / stem, 1
    while candidate.exists():
        number += 1
        candidate = RUNS_DIR / f"{stem}-{number}"
    return candidate


def latest_run_directory() -> Path:
    """The run under ``runs/`` whose checkpoint was written last (for ``--resume`` alone)."""
    checkpoints = sorted(RUNS_DIR.glob(f"*/{CHECKPOINT_NAME}"), key=lambda p: p.stat().st_mtime)
    if not checkpoints:
        raise CheckpointError(
            f"nothing to resume: no {RUNS_DIR}/*/{CHECKPOINT_NAME} here; give the run's --out DIR"
        )
    return checkpoints[-1].parent


def resolve_config(config: TrainConfig, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """The config to run: for a resumed run, the checkpoint's config with ``overrides`` (see
    :func:`resumed_config`) and the run directory filled in; else ``config`` with its ``out``.

    A ``data_dir`` is stored as an absolute path, so that the checkpoint finds its data from
    any folder (``cnnlab evaluate``, ``--resume``).
    """
    if not config.resume:
        out = Path(config.out) if config.out else new_run_directory(config)
        if (out / CHECKPOINT_NAME).exists():
            raise ValueError(
                f"{out} already holds a run ({out / CHECKPOINT_NAME}); continue it with --resume "
                f"or choose another --out"
            )
        values = {**config.to_dict(), "out": str(out)}
        return TrainConfig.from_dict(absolute_data_dir(values))
    out = Path(config.out) if config.out else latest_run_directory()
    saved = load_checkpoint(out / CHECKPOINT_NAME).config
    return resumed_config(saved, absolute_data_dir({**(overrides or {}), "out": str(out)}))


def absolute_data_dir(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with its ``data_dir`` (if any) made absolute, ``~`` expanded."""
    if values.get("data_dir"):
        return {**values, "data_dir": str(Path(values["data_dir"]).expanduser().resolve())}
    return values


def resolved_on_every_rank(config: TrainConfig) -> TrainConfig:
    """:func:`resolve_config`; on several processes, as rank 0 resolves it (a new run's
    directory is named by the time)."""
    if not distributed.joined():
        return resolve_config(config, config.to_dict())
    decided = distributed.agreed_on_rank0(
        lambda: resolve_config(config, config.to_dict()).to_dict()
    )
    return TrainConfig.from_dict(decided)


def load_data(config: TrainConfig) -> tuple[ImageData, ImageData]:
    """The training and test splits of ``config.data``, each cut to ``config.limit``."""
    options = dict(
        data_dir=config.data_dir,
        download=config.download,
        classes=config.classes,
        limit=config.limit,
    )
    train_split = load_split(config.data, train=True, **options)
    return train_split, load_split(config.data, train=False, **options)


def train(
    config: TrainConfig,
    *,
    data: tuple[ImageData, ImageData] | None = None,
    log: Callable[[str], None] = print,
    on_epoch_end: Callable[[int, list[dict[str, Any]]], None] | None = None,
) -> TrainResult:
    """Train ``config.model`` on ``config.data`` and write the run to ``config.out``.

    Every epoch writes ``checkpoint.npz`` (atomically, on a background thread while the next
    epoch trains; a failed write stops the run at the next batch, naming the file) and appends
    its row to ``metrics.csv``/``.jsonl`` (flushed to disk); at the end the report
    (train/test accuracy, per-class accuracy, confusion matrix) is printed and written to
    ``report.json``, and the plots to PNG files.

    Args:
        config: the run; with ``resume`` it continues from ``config.out``'s checkpoint and must
            agree with it (build it with :func:`resolve_config`).
        data: ``(train, test)`` splits already loaded (else loaded from ``config``).
        log: where lines of text go (``print``); progress bars go to stderr.
        on_epoch_end: called as ``on_epoch_end(epoch, history)`` after each epoch, once its
            checkpoint is submitted; it is on disk by the time ``train`` returns or raises.

    Raises:
        TrainingDiverged: the loss, a gradient or a weight stopped being finite; the run stops
            at once and its checkpoint stays the last epoch whose numbers were all finite.
    """
    parallel = distributed.current(config.engine)
    config = resolved_on_every_rank(config)
    out = Path(config.out)
    say = (lambda text: None) if config.quiet or not parallel.is_main else log
    train_split, test_split = data if data is not None else load_data(config)
    run = build_run(config, train_split, test_split)
    history: list[dict[str, Any]] = []
    if config.resume:
        checkpoint = load_checkpoint(out / CHECKPOINT_NAME)
        for split in (train_split, test_split):
            check_compatible(
                split,
                checkpoint.info["input_shape"],
                checkpoint.info["classes"],
                f"the run in {out}",
            )
        restore(run, checkpoint)
        history = list(checkpoint.history)
        say(f"resuming from {out / CHECKPOINT_NAME} after epoch {checkpoint.epoch}")
    parallel.attach(run)
    run.parallel = parallel
    say(describe(run, train_split, test_split, out))
    say(epoch_legend(config.augment))
    writer = run_writer(out, history) if parallel.is_main else None
    metrics = MetricsLog(out, config.metrics, history) if parallel.is_main else None
    if writer is not None:
        run.poll = writer.raise_if_failed  # a failed write stops the run at the next batch

    def after_epoch(epoch: int, history: list[dict[str, Any]]) -> None:
        if writer is not None and metrics is not None:
            writer.wait()  # the last epoch's checkpoint is on disk, or its failure raised, first
            metrics.append(history[-1])
            writer.submit(capture(run, epoch, history))
        say(format_epoch(history[-1], config.epochs))
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)

    with compute_threads(run.lib, config.threads or parallel.default_threads()):
        try:
            show = not config.quiet and parallel.is_main
            run_epochs(run, history, show_progress=show, after_epoch=after_epoch)
        except TrainingDiverged as diverged:
            diverged.kept = kept_checkpoint(out, history)
            raise
        finally:
            if writer is not None:
                writer.close()  # even when interrupted: the last finished epoch reaches the disk
        report, test_predictions = final_report(run, train_split, test_split, history)
    if parallel.is_main:
        atomic_write_text(out / REPORT_NAME, strict_dumps(report, indent=2) + "\n", durable=False)
        say("the final model, in eval mode, on every image without augmentation:")
        say(format_report(report, report["train"]))
        if config.plots:
            write_plots(out, history, report, test_split, test_predictions)
        say(f"run directory: {out}")
    return TrainResult(config, out, run.model, history, report)


def run_writer(out: Path, history: list[dict[str, Any]]) -> CheckpointWriter:
    """The run directory, made, and the writer of its checkpoints (which holds the epochs of
    ``history`` already, for a resumed run)."""
    out.mkdir(parents=True, exist_ok=True)
    return CheckpointWriter(out / CHECKPOINT_NAME, kept=len(history) or None)


def kept_checkpoint(out: Path, history: list[dict[str, Any]]) -> str:
    """What a diverged run leaves: the end of its one-line message."""
    if not history:
        return "; no epoch had finished, so there is no checkpoint"
    return f"; {out / CHECKPOINT_NAME} keeps epoch {history[-1]['epoch']}"


def describe(run: Run, train: ImageData, test: ImageData, out: Path) -> str:
    """The opening line of a run."""
    c = run.config
    schedule = "" if c.schedule == "none" else f", {c.schedule} schedule"
    rate = {"none": "", "onecycle": "peak "}.get(c.schedule, "initial ")
    augment = ", augmented" if c.augment else ""
    return (
        f"{c.model} on {c.data} ({len(train):,} train / {len(test):,} test images, "
        f"{len(train.classes)} classes{augment}), {c.engine} engine: {c.optimizer} {rate}lr "
        f"{c.lr:g}{schedule}, {c.epochs} epochs of batch {c.batch_size}, seed {c.seed}; "
        f"run directory {out}"
    )


def final_report(
    run: Run, train: ImageData, test: ImageData, history: list[dict[str, Any]]
) -> tuple[dict[str, Any], np.ndarray]:
    """The chapter's ``validate`` (train and test accuracy in eval mode, no augmentation), the
    per-class test accuracy and the confusion matrix as one JSON-ready dict; and the test
    predictions."""
    _, train_predictions = evaluate(run, run.train)
    test_loss, test_predictions = evaluate(run, run.test)
    train_report = class_report(train.labels, train_predictions, train.classes)
    c = run.config
    report = {
        "model": c.model,
        "data": c.data,
        "engine": c.engine,
        "epochs": len(history),
        "seed": c.seed,
        "train_accuracy": train_report["accuracy"],
        "test_accuracy": None,
        "test_loss": test_loss,
        **class_report(test.labels, test_predictions, test.classes),
        "training_seconds": sum(row["seconds"] for row in history),
        "train": {k: train_report[k] for k in ("accuracy", "correct", "total")},
    }
    report["test_accuracy"] = report["accuracy"]
    return report, test_predictions


def write_plots(
    out: Path,
    history: list[dict[str, Any]],
    report: dict[str, Any],
    test: ImageData,
    predictions: np.ndarray,
) -> None:
    """``curves.png``, ``confusion.png`` and ``samples.png`` in ``out``."""
    from cnnlab.train.plots import plot_confusion, plot_curves, plot_samples

    plot_curves(history, out / "curves.png")
    plot_confusion(report, out / "confusion.png")
    plot_samples(test.images, test.labels, predictions, test.classes, out / "samples.png")
