"""The training runs under a runs directory, as the page's runs view shows them.

A run directory holds ``checkpoint.npz`` (rewritten atomically after every epoch, with the
config and the metric history in its ``meta`` entry) and, once the run has ended,
``report.json`` (accuracy per class and the confusion matrix). Only ``meta`` is read from the
checkpoint, never its arrays. A run without a report whose checkpoint changed recently is
still training; one without a report that has not changed for a while was stopped.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.train import jsoncodec
from cnnlab.train.checkpoint import CHECKPOINT_NAME, FORMAT
from cnnlab.train.trainer import REPORT_NAME

STALE_SECONDS = 120.0  # a running epoch rewrites the checkpoint at least this often...
STALE_EPOCHS = 3.0  # ...or within this many times its last epoch's duration
HISTORY_KEYS = ("epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc", "seconds")


class RunNotFound(LookupError):
    """No run of that name under the runs directory."""

    status = 404


def checkpoint_meta(path: Path) -> dict[str, Any] | None:
    """The ``meta`` of a checkpoint, read alone; None if the file is not a readable one."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = jsoncodec.loads(str(archive["meta"]))
    except (OSError, ValueError, KeyError, EOFError, TypeError, json.JSONDecodeError):
        return None
    return meta if isinstance(meta, dict) and meta.get("format") == FORMAT else None


def read_report(directory: Path) -> dict[str, Any] | None:
    """``report.json`` of a finished run, or None."""
    try:
        report = json.loads((directory / REPORT_NAME).read_text())
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) else None


def run_status(checkpoint: Path, meta: dict[str, Any], report: dict[str, Any] | None) -> str:
    """``finished`` (a report was written), ``training`` or ``stopped``."""
    if report is not None:
        return "finished"
    history = meta.get("history") or [{}]
    epoch_seconds = float(history[-1].get("seconds") or 0.0)
    quiet_for = time.time() - checkpoint.stat().st_mtime
    return "training" if quiet_for < max(STALE_SECONDS, STALE_EPOCHS * epoch_seconds) else "stopped"


def summarize(directory: Path) -> dict[str, Any] | None:
    """The list entry of a run directory, or None if it holds no readable checkpoint."""
    checkpoint = directory / CHECKPOINT_NAME
    meta = checkpoint_meta(checkpoint) if checkpoint.is_file() else None
    if meta is None:
        return None
    config, history = meta.get("config") or {}, meta.get("history") or []
    report = read_report(directory)
    last = history[-1] if history else {}
    return {
        "name": directory.name,
        "model": config.get("model"),
        "data": config.get("data"),
        "engine": config.get("engine"),
        "epoch": meta.get("epoch"),
        "epochs": config.get("epochs"),
        "test_acc": report["test_accuracy"] if report else last.get("test_acc"),
        "status": run_status(checkpoint, meta, report),
        "updated": checkpoint.stat().st_mtime,
    }


def list_runs(runs_dir: Path) -> list[dict[str, Any]]:
    """Every run under ``runs_dir``, the most recently updated first."""
    if not runs_dir.is_dir():
        return []
    entries = (summarize(path) for path in runs_dir.iterdir() if path.is_dir())
    return sorted((e for e in entries if e is not None), key=lambda e: -e["updated"])


def run_details(runs_dir: Path, name: str) -> dict[str, Any]:
    """A run's summary with its configuration, history and (once finished) report.

    Raises:
        RunNotFound: ``name`` is not a run directory directly under ``runs_dir``.
    """
    known = {path.name: path for path in runs_dir.iterdir()} if runs_dir.is_dir() else {}
    directory = known.get(name)
    summary = summarize(directory) if directory is not None and directory.is_dir() else None
    if summary is None:
        raise RunNotFound(f"no run {name!r} under {runs_dir}")
    meta = checkpoint_meta(directory / CHECKPOINT_NAME) or {}
    report = read_report(directory)
    return {
        **summary,
        "config": meta.get("config"),
        "history": [
            {key: row.get(key) for key in HISTORY_KEYS} for row in meta.get("history") or []
        ],
        "report": None
        if report is None
        else {
            key: report.get(key)
            for key in ("accuracy", "train_accuracy", "classes", "per_class", "confusion_matrix")
        },
    }


def latest_checkpoint(runs_dir: Path) -> Path | None:
    """The checkpoint under ``runs_dir`` written last, or None."""
    checkpoints = [p for p in runs_dir.glob(f"*/{CHECKPOINT_NAME}") if p.is_file()]
    return max(checkpoints, key=lambda p: p.stat().st_mtime) if checkpoints else None
