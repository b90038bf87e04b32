"""Checkpoints from the user's side: a run found from any folder by its directory, its data
found where it was trained, and output that says what its numbers are."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from cnnlab.train import load_checkpoint, save_checkpoint


def refuse(constant: str):
    raise AssertionError(f"not strict JSON: {constant}")


def test_a_run_on_idx_files_is_evaluated_and_resumed_from_another_folder(
    cnnlab_main, mnist_dir, tmp_path, monkeypatch
):
    shutil.copytree(mnist_dir, tmp_path / "data")
    args = ("--data", "mnist", "--data-dir", "data", "--schedule", "none", "--limit", "200")
    cnnlab_main("train", *args, "--epochs", "1", "--quiet", "--no-plots", "--out", "runs/idx")
    assert load_checkpoint(tmp_path / "runs/idx").config["data_dir"] == str(tmp_path / "data")
    monkeypatch.chdir(tmp_path / "runs")  # another folder, where "data" means nothing
    result = cnnlab_main("evaluate", "idx", "--json")
    assert result.stderr == "checkpoint idx/checkpoint.npz: lenet5 trained on mnist, epoch 1\n"
    assert json.loads(result.stdout)["total"] == 100
    text = cnnlab_main("evaluate", "idx/checkpoint.npz").stdout
    assert text.startswith("lenet5 on mnist: loss ")
    wrong = cnnlab_main("evaluate", "idx", "--data-dir", "nowhere", expect=1).stderr
    assert "mnist: dataset files not found" in wrong and "files in nowhere/mnist" in wrong
    resumed = cnnlab_main("train", "--resume", "idx", "--epochs", "2", "--no-plots").stdout
    assert resumed.startswith("resuming from idx/checkpoint.npz after epoch 1\n")
    assert "epoch 2/2" in resumed and load_checkpoint("idx").epoch == 2
    clash = cnnlab_main("train", "--resume", "idx", "--out", "other", expect=1).stderr
    assert clash.startswith("cnnlab: error: --resume idx and --out other name two different runs")


def test_a_folder_without_a_checkpoint_is_named(cnnlab_main, tmp_path):
    (tmp_path / "empty").mkdir()
    result = cnnlab_main("predict", "empty", "digit.png", expect=1)
    assert result.stderr.startswith("cnnlab: error: empty: a directory without a checkpoint.npz")


def test_epoch_lines_and_the_report_say_what_their_numbers_are(cnnlab_main):
    args = ("train", "--limit", "200", "--no-plots", "--lr", "0.05")
    out = cnnlab_main(*args, "--epochs", "2", "--schedule", "onecycle", "--augment", "--out", "a")
    lines = out.stdout.splitlines()
    assert ": sgd peak lr 0.05, onecycle schedule, 2 epochs" in lines[0]
    assert lines[1] == (
        "each epoch: lr = the learning rate at the epoch's start; train loss/acc = running means "
        "over the epoch as it trains (augmented images, train mode); test loss/acc = the model "
        "at the epoch's end (eval mode)"
    )
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert len(epochs) == 2 and all("  train (running) loss " in line for line in epochs)
    final = lines.index("the final model, in eval mode, on every image without augmentation:")
    assert lines[final + 1].startswith("Accuracy train: ")
    plain = cnnlab_main(*args, "--epochs", "1", "--schedule", "none", "--no-augment", "--out", "b")
    head = plain.stdout.splitlines()
    assert ": sgd lr 0.05, 1 epochs" in head[0]
    assert "(train mode)" in head[1] and "augmented" not in head[1]
    step = cnnlab_main(*args, "--epochs", "1", "--schedule", "step", "--out", "c")
    assert ": sgd initial lr 0.05, step schedule" in step.stdout


def test_evaluate_json_is_strict_when_the_model_has_diverged(cnnlab_main, tmp_path):
    cnnlab_main("train", "--epochs", "1", "--limit", "100", "--quiet", "--no-plots", "--out", "r")
    checkpoint = load_checkpoint(tmp_path / "r")
    checkpoint.model = {k: np.full_like(v, np.nan) for k, v in checkpoint.model.items()}
    save_checkpoint(tmp_path / "diverged.npz", checkpoint)
    result = cnnlab_main("evaluate", "diverged.npz", "--json", "--limit", "50")
    report = json.loads(result.stdout, parse_constant=refuse)
    assert report["loss"] is None and report["not_finite"] == ["loss"]
    assert report["total"] == 50 and 0 <= report["accuracy"] <= 1
    with pytest.raises(AssertionError, match="not strict JSON: NaN"):
        json.loads('{"loss": NaN}', parse_constant=refuse)
