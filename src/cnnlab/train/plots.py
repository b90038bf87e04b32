"""PNG plots of a run: loss and accuracy curves, the confusion matrix, and test images with
their true and predicted labels. Drawn with Matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_GRID = (4, 8)


def pyplot():
    """Matplotlib's pyplot on the Agg backend, imported only when plots are drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(history: list[dict[str, Any]], path: Path) -> Path:
    """Train and test loss (left) and accuracy (right) against the epoch."""
    plt = pyplot()
    epochs = [row["epoch"] for row in history]
    figure, (loss_axes, acc_axes) = plt.subplots(1, 2, figsize=(10, 4))
    for split, style in (("train", "-o"), ("test", "-s")):
        loss_axes.plot(epochs, [row[f"{split}_loss"] for row in history], style, label=split, ms=3)
        acc_axes.plot(
            epochs, [100 * row[f"{split}_acc"] for row in history], style, label=split, ms=3
        )
    loss_axes.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
    acc_axes.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
    for axes in (loss_axes, acc_axes):
        axes.grid(alpha=0.3)
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def plot_confusion(report: dict[str, Any], path: Path) -> Path:
    """The confusion matrix as an image with the counts written in the cells."""
    plt = pyplot()
    matrix = np.asarray(report["confusion_matrix"])
    names = report["classes"]
    size = max(4.0, 0.55 * len(names) + 2)
    figure, axes = plt.subplots(figsize=(size + 1, size))
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes, fraction=0.046)
    ticks = range(len(names))
    axes.set_xticks(ticks, names, rotation=45, ha="right")
    axes.set_yticks(ticks, names)
    axes.set(
        xlabel="predicted class",
        ylabel="true class",
        title=f"Test accuracy {100 * report['accuracy']:.2f}%",
    )
    threshold = matrix.max() / 2 if matrix.size else 0
    for (i, j), count in np.ndenumerate(matrix):
        color = "white" if count > threshold else "black"
        axes.text(j, i, str(count), ha="center", va="center", color=color, fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def plot_samples(
    images: np.ndarray,
    labels: np.ndarray,
    predictions: np.ndarray,
    classes: Sequence[str],
    path: Path,
) -> Path:
    """A grid of the first test images titled ``true / predicted`` (red when wrong)."""
    plt = pyplot()
    rows, cols = SAMPLE_GRID
    count = min(rows * cols, len(images))
    figure, grid = plt.subplots(rows, cols, figsize=(1.5 * cols, 1.7 * rows))
    for index, axes in enumerate(np.ravel(grid)):
        axes.axis("off")
        if index >= count:
            continue
        image = images[index]
        if image.shape[0] == 1:
            axes.imshow(image[0], cmap="gray", vmin=0, vmax=255)
        else:
            axes.imshow(np.transpose(image, (1, 2, 0)))
        true, guess = classes[labels[index]], classes[predictions[index]]
        axes.set_title(
            f"{true} / {guess}",
            fontsize=8,
            color="black" if labels[index] == predictions[index] else "red",
        )
    figure.suptitle("test images: true / predicted", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
