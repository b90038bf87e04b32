"""The training loop: batches, both engines, the files of a run, and the chapter's report."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch

from cnnlab.data import Normalize
from cnnlab.train import TrainConfig, class_report, confusion_matrix, format_report, train
from cnnlab.train.batches import ImageBatches, augmentation, epoch_rng, normalization
from cnnlab.train.checkpoint import load_model_state, model_state
from cnnlab.train.loop import build_run, train_one_epoch
from cnnlab.train.progress import EpochProgress
from cnnlab.train.splits import limited


def test_batches_are_normalized_and_reproducible(digits):
    train_split, _ = digits
    normalize = Normalize(*normalization("mnist5k", 1))
    batches = ImageBatches(train_split.images, train_split.labels, normalize)
    first = list(batches.epoch(100, epoch_rng(0, 1)))
    again = list(batches.epoch(100, epoch_rng(0, 1)))
    other = list(batches.epoch(100, epoch_rng(0, 2)))
    assert [len(y) for _, y in first] == [100, 100, 100, 20]
    for (x1, y1), (x2, y2) in zip(first, again, strict=True):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(first[0][1], other[0][1])
    x, y = first[0]
    assert x.dtype == np.float32 and y.dtype == np.int64
    order = epoch_rng(0, 1).permutation(320)[:100]
    np.testing.assert_allclose(
        x, (train_split.images[order] / 255 - 0.1307) / 0.3081, rtol=1e-5, atol=1e-6
    )
    ordered = np.concatenate([b for b, _ in batches.in_order(64)])
    np.testing.assert_allclose(
        ordered, (train_split.images / 255 - 0.1307) / 0.3081, rtol=1e-5, atol=1e-6
    )


def test_augmented_batches_shift_before_normalizing(digits):
    train_split, _ = digits
    normalize = Normalize(*normalization("mnist5k", 1))
    batches = ImageBatches(
        train_split.images, train_split.labels, normalize, augmentation("mnist5k", 28)
    )
    x, _ = next(batches.epoch(320, epoch_rng(3, 1)))
    background = (0 - 0.1307) / 0.3081
    assert np.isclose(x.min(), background)  # the shifted-in border is black, not "zero"
    plain = ImageBatches(train_split.images, train_split.labels, normalize)
    assert not np.array_equal(x, next(plain.epoch(320, epoch_rng(3, 1)))[0])


def test_a_last_batch_of_one_image_is_dropped():
    images, labels = np.zeros((65, 1, 4, 4), np.uint8), np.zeros(65, np.int64)
    batches = ImageBatches(images, labels, Normalize((0.5,), (0.5,)))
    assert batches.num_batches(64) == 1
    assert [len(y) for _, y in batches.epoch(64, epoch_rng(0, 1))] == [64]
    assert batches.num_batches(32) == 2  # 32 + 32 + 1: the 1 is dropped
    assert batches.num_batches(21) == 4  # 21 * 3 + 2: the 2 make a batch


def test_cifar_normalization_is_the_chapters_and_augmentation_crops_and_flips():
    assert normalization("cifar2", 3) == ((0.5,) * 3, (0.5,) * 3)
    assert "RandomCrop" in repr(augmentation("cifar10", 32))
    assert "RandomHorizontalFlip" in repr(augmentation("cifar10", 32))


def test_one_epoch_gives_the_same_weights_on_both_engines(digits):
    runs = {}
    for engine in ("numpy", "torch"):
        config = TrainConfig(engine=engine, epochs=1, batch_size=64, schedule="none", lr=0.02)
        runs[engine] = build_run(config, *digits)
    load_model_state(runs["torch"].model, model_state(runs["numpy"].model), torch)
    rows = {e: train_one_epoch(r, 1, EpochProgress(1, 1, 0, disable=True)) for e, r in runs.items()}
    assert rows["numpy"]["train_loss"] == pytest.approx(rows["torch"]["train_loss"], rel=1e-4)
    mine, theirs = model_state(runs["numpy"].model), model_state(runs["torch"].model)
    for key in mine:
        np.testing.assert_allclose(mine[key], theirs[key], rtol=1e-3, atol=1e-5, err_msg=key)


def test_a_run_writes_checkpoint_metrics_report_and_plots(tmp_path, digits, capsys):
    out = tmp_path / "run"
    result = train(TrainConfig(epochs=2, out=str(out), batch_size=32), data=digits)
    printed = capsys.readouterr().out
    assert {p.name for p in out.iterdir()} == {
        "checkpoint.npz",
        "metrics.csv",
        "report.json",
        "curves.png",
        "confusion.png",
        "samples.png",
    }
    with open(out / "metrics.csv") as file:
        rows = list(csv.DictReader(file))
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert list(rows[0]) == [
        "epoch",
        "lr",
        "train_loss",
        "train_acc",
        "test_loss",
        "test_acc",
        "seconds",
        "images_per_s",
    ]
    report = json.loads((out / "report.json").read_text())
    assert report == json.loads(json.dumps(result.report))
    assert report["accuracy"] == report["test_accuracy"] == float(rows[-1]["test_acc"])
    assert sum(map(sum, report["confusion_matrix"])) == 200
    assert set(report["per_class"]) == {str(d) for d in range(10)}
    assert "Accuracy train:" in printed and "Accuracy test:" in printed
    assert "Accuracy of     0 :" in printed
    for png in ("curves.png", "confusion.png", "samples.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_jsonl_metrics_and_quiet(tmp_path, digits, capsys):
    out = tmp_path / "run"
    train(
        TrainConfig(epochs=1, out=str(out), metrics="jsonl", quiet=True, plots=False), data=digits
    )
    assert capsys.readouterr().out == ""
    (line,) = (out / "metrics.jsonl").read_text().splitlines()
    assert json.loads(line)["epoch"] == 1
    assert not (out / "metrics.csv").exists()


def test_report_has_the_chapters_format():
    labels = np.array([0, 0, 0, 1, 1, 2])
    predictions = np.array([0, 1, 0, 1, 1, 0])
    report = class_report(labels, predictions, ("plane", "car", "bird"))
    assert report["confusion_matrix"] == [[2, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert report["per_class"]["plane"] == {"accuracy": 2 / 3, "correct": 2, "total": 3}
    assert report["accuracy"] == pytest.approx(4 / 6)
    text = format_report(report)
    assert "Accuracy of plane : 66 %" in text.splitlines()
    assert "Accuracy of   car : 100 %" in text.splitlines()
    assert "Accuracy of  bird :  0 %" in text.splitlines()
    assert "Accuracy of the network on the 6 test images: 66 %" in text
    np.testing.assert_array_equal(
        confusion_matrix(labels, predictions, 3), report["confusion_matrix"]
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(model="vgg"), "model must be one of"),
        (dict(epochs=0), "epochs must be a positive integer, got 0"),
        (dict(batch_size=-1), "batch_size must be a positive integer, got -1"),
        (dict(lr=0), "lr must be a positive number"),
        (dict(momentum=1.0), r"momentum must be in \[0, 1\)"),
        (dict(seed=-3), "seed must be a non-negative integer"),
    ],
)
def test_bad_configurations_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**options)


def test_the_same_seed_is_the_same_run_on_both_engines(tmp_path, digits):
    train_split, test_split = digits
    data = (limited(train_split, 256), limited(test_split, 100))
    runs = {}
    for engine in ("numpy", "torch"):
        config = TrainConfig(
            engine=engine, epochs=2, augment=True, threads=1, seed=3, quiet=True, plots=False
        )
        config.out = str(tmp_path / engine)
        runs[engine] = train(config, data=data)
    ours, theirs = runs["numpy"], runs["torch"]
    for mine, other in zip(ours.history, theirs.history, strict=True):
        assert mine["train_loss"] == pytest.approx(other["train_loss"], rel=1e-5)
        assert mine["train_acc"] == other["train_acc"] and mine["test_acc"] == other["test_acc"]
    theirs_state = theirs.model.state_dict()
    for key, value in ours.model.state_dict().items():
        expected = theirs_state[key].detach().numpy()
        error = np.abs(value.numpy() - expected).max() / max(np.abs(expected).max(), 1e-12)
        assert error < 1e-4, key
