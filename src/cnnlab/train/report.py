"""The final report of Section 8.6.4 and 8.6.6: train and test accuracy, the accuracy of each
class with its name, and the confusion matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
    """``m[i, j]``: how many images of class ``i`` were predicted as class ``j``."""
    pairs = np.asarray(labels, np.int64) * num_classes + np.asarray(predictions, np.int64)
    return np.bincount(pairs, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def class_report(
    labels: np.ndarray, predictions: np.ndarray, classes: Sequence[str]
) -> dict[str, Any]:
    """Accuracy (a fraction), per-class accuracy by class name, and the confusion matrix.

    Returns:
        ``{"accuracy", "correct", "total", "per_class": {name: {"accuracy", "correct",
        "total"}}, "classes", "confusion_matrix"}`` with plain Python values (JSON-ready).
    """
    matrix = confusion_matrix(labels, predictions, len(classes))
    correct, totals = np.diag(matrix), matrix.sum(axis=1)
    per_class = {
        name: {
            "accuracy": float(c / t) if t else None,
            "correct": int(c),
            "total": int(t),
        }
        for name, c, t in zip(classes, correct, totals, strict=True)
    }
    total = int(totals.sum())
    return {
        "accuracy": float(correct.sum() / total) if total else 0.0,
        "correct": int(correct.sum()),
        "total": total,
        "per_class": per_class,
        "classes": list(classes),
        "confusion_matrix": matrix.tolist(),
    }


def format_per_class(report: dict[str, Any]) -> list[str]:
    """``Accuracy of plane : 68 %`` for every class, as the chapter prints it (Section 8.6.6)."""
    width = max(5, *(len(name) for name in report["classes"]))
    lines = []
    for name, entry in report["per_class"].items():
        if entry["accuracy"] is None:
            lines.append(f"Accuracy of {name:>{width}} :  - % (no test images)")
        else:
            percent = 100 * entry["correct"] // entry["total"]  # truncated, as '%2d' does
            lines.append(f"Accuracy of {name:>{width}} : {percent:2d} %")
    return lines


def format_confusion(report: dict[str, Any]) -> list[str]:
    """The confusion matrix as a table: rows are true classes, columns predicted classes."""
    names = report["classes"]
    matrix = report["confusion_matrix"]
    label_width = max(len(name) for name in names)
    cell = max(4, *(len(str(v)) + 1 for row in matrix for v in row), *(len(n) + 1 for n in names))
    lines = ["Confusion matrix (rows: true class, columns: predicted class):"]
    lines.append(" " * label_width + "".join(f"{name:>{cell}}" for name in names))
    for name, row in zip(names, matrix, strict=True):
        lines.append(f"{name:>{label_width}}" + "".join(f"{v:>{cell}}" for v in row))
    return lines


def format_report(test: dict[str, Any], train: dict[str, Any] | None = None) -> str:
    """The whole report: train/test accuracy (as ``validate`` of Section 8.6.4 prints it), the
    overall and per-class test accuracy (Section 8.6.6) and the confusion matrix."""
    lines = []
    if train is not None:
        lines.append(
            f"Accuracy train: {train['accuracy']:.4f} ({train['correct']}/{train['total']})"
        )
    lines.append(
        f"Accuracy test: {test['accuracy']:.4f} ({test['correct']}/{test['total']} held-out images)"
    )
    lines.append(
        f"Accuracy of the network on the {test['total']} test images: "
        f"{100 * test['correct'] // max(test['total'], 1)} %"
    )
    return "\n".join([*lines, *format_per_class(test), *format_confusion(test)])
