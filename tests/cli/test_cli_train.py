"""``cnnlab train`` end to end, as a subprocess: the default data, IDX and CIFAR files, and a run
killed with SIGKILL then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from cnnlab.train.checkpoint import load_checkpoint

RUN_FILES = {
    "checkpoint.npz",
    "metrics.csv",
    "report.json",
    "curves.png",
    "confusion.png",
    "samples.png",
}


def test_train_on_the_embedded_digits_prints_the_report_and_writes_the_run(cnnlab, tmp_path):
    result = cnnlab("train", "--epochs", "1", "--limit", "400")
    out = result.stdout
    opening = "lenet5 on mnist5k (400 train / 400 test images, 10 classes, augmented), numpy engine"
    assert opening in out
    assert "epoch 1/1" in out
    assert "Accuracy train: " in out and "Accuracy test: " in out
    assert "Accuracy of     7 : " in out and "Confusion matrix" in out
    assert "Traceback" not in result.stderr
    (run,) = (tmp_path / "runs").iterdir()  # the default run directory
    assert run.name.startswith("lenet5-mnist5k-")
    assert f"run directory: {os.path.join('runs', run.name)}" in out
    assert {p.name for p in run.iterdir()} == RUN_FILES
    report = json.loads((run / "report.json").read_text())
    assert report["epochs"] == 1 and report["total"] == 400


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_train_resnet_on_either_engine(cnnlab, engine, tmp_path):
    args = ["--model", "resnet", "--engine", engine, "--epochs", "1", "--limit", "128"]
    result = cnnlab("train", *args, "--no-plots", "--out", "run", "--batch-size", "32")
    assert f"resnet on mnist5k (128 train / 128 test images, 10 classes, augmented), {engine}" in (
        result.stdout
    )
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["model"] == "resnet" and report["total"] == 128
    state = load_checkpoint(tmp_path / "run" / "checkpoint.npz")
    assert "stage4.1.bn2.running_var" in str(state)


def test_train_on_mnist_idx_files(cnnlab, mnist_dir, tmp_path):
    args = ["--data", "mnist", "--data-dir", mnist_dir, "--epochs", "2", "--batch-size", "32"]
    result = cnnlab("train", *args, "--metrics", "jsonl", "--no-plots", "--out", "run")
    assert "lenet5 on mnist (400 train / 100 test images" in result.stdout
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2]


def test_chapter_net_on_cifar2_then_evaluate_as_json(cnnlab, cifar_dir, tmp_path):
    args = ["--model", "chapter_net", "--data", "cifar2", "--data-dir", cifar_dir, "--epochs", "1"]
    cnnlab("train", *args, "--engine", "torch", "--quiet", "--no-plots", "--out", "run")
    checkpoint = tmp_path / "run" / "checkpoint.npz"
    report = json.loads(cnnlab("evaluate", checkpoint, "--data-dir", cifar_dir, "--json").stdout)
    assert 0 <= report["accuracy"] <= 1
    assert list(report["per_class"]) == ["airplane", "bird"]
    matrix = np.array(report["confusion_matrix"])
    assert matrix.shape == (2, 2) and matrix.sum() == report["total"] > 0


def test_a_killed_run_resumes_to_the_same_weights(cnnlab, cli_env, tmp_path):
    args = ["train", "--epochs", "4", "--limit", "1000", "--augment", "--quiet", "--no-plots"]
    checkpoint = tmp_path / "runs" / "killed" / "checkpoint.npz"
    command = [sys.executable, "-m", "cnnlab", *args, "--out", "runs/killed"]
    process = subprocess.Popen(command, cwd=tmp_path, env=cli_env)
    deadline = time.monotonic() + 90
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert load_checkpoint(checkpoint).epoch < 4  # killed mid-run; its last checkpoint is whole
    cnnlab("train", "--resume", "--quiet")  # without --out: the latest run under runs/
    cnnlab(*args, "--out", "straight")
    resumed, straight = (
        load_checkpoint(checkpoint),
        load_checkpoint(tmp_path / "straight" / "checkpoint.npz"),
    )
    assert resumed.epoch == straight.epoch == 4
    assert list(resumed.model) == list(straight.model)
    for key in straight.model:
        np.testing.assert_array_equal(resumed.model[key], straight.model[key], err_msg=key)
