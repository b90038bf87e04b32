"""Strict JSON for what users read: a number that is not finite is null, and named."""

from __future__ import annotations

import json
import math

import numpy as np

from cnnlab.train.jsoncodec import strict, strict_dumps
from cnnlab.train.metrics import COLUMNS, format_metrics


def refuse(constant: str):
    raise AssertionError(f"not strict JSON: {constant}")


def test_non_finite_numbers_become_null_and_are_listed_by_place():
    report = {
        "loss": float("nan"),
        "accuracy": 0.5,
        "per_class": {"cat": {"accuracy": np.float32("inf")}, "dog": {"accuracy": None}},
        "curve": [1.0, -math.inf],
        "epochs": 3,
    }
    text = strict_dumps(report)
    decoded = json.loads(text, parse_constant=refuse)
    assert decoded == {
        "loss": None,
        "accuracy": 0.5,
        "per_class": {"cat": {"accuracy": None}, "dog": {"accuracy": None}},
        "curve": [1.0, None],
        "epochs": 3,
        "not_finite": ["loss", "per_class.cat.accuracy", "curve[1]"],
    }
    assert strict({"loss": 1.5}) == {"loss": 1.5}  # nothing to flag, no flag
    assert math.isnan(report["loss"])  # the caller's dict is left as it was


def test_metrics_lines_are_strict_json():
    row = dict.fromkeys(COLUMNS, 1.0) | {"epoch": 1, "train_loss": float("nan")}
    fast = row | {"epoch": 2, "train_loss": 0.5, "images_per_s": float("inf")}
    lines = format_metrics([row, fast], "jsonl").splitlines()
    first, second = (json.loads(line, parse_constant=refuse) for line in lines)
    assert first["train_loss"] is None and first["not_finite"] == ["train_loss"]
    assert second["images_per_s"] is None and second["not_finite"] == ["images_per_s"]
