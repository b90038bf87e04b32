"""A run that diverges (``--lr 1000``) stops at once with one line, exit status 3, and keeps its
last good checkpoint; no NumPy warning reaches the terminal."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from cnnlab.train import load_checkpoint
from cnnlab.train.divergence import EXIT_DIVERGED

# One batch per epoch: the first step at lr 1000 keeps every number finite, the weights it
# leaves give a nan loss two epochs later, on either engine.
ONE_BATCH = ("--schedule", "none", "--limit", "64", "--batch-size", "64", "--no-augment")


def test_lr_1000_stops_with_one_line_and_no_warning(cnnlab):
    args = ("train", "--lr", "1000", "--limit", "300", "--epochs", "2", "--out", "run")
    result = cnnlab(*args, "--no-plots", expect=EXIT_DIVERGED)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cnnlab: training diverged at epoch 1, batch ")
    assert ": the loss is nan; lower --lr (this run's is 1000); no epoch had finished" in lines[0]
    assert "Warning" not in result.stderr + result.stdout
    assert "epoch 1/2" not in result.stdout  # no epoch line, no report of a dead network
    assert "Accuracy" not in result.stdout


@pytest.mark.parametrize("engine", ["numpy", "torch"])
def test_the_last_good_checkpoint_is_kept_and_resumes(cnnlab_main, tmp_path, engine):
    args = ("train", "--lr", "1000", *ONE_BATCH, "--epochs", "4", "--engine", engine)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = cnnlab_main(*args, "--out", "run", "--quiet", expect=EXIT_DIVERGED)
        line = (
            "cnnlab: training diverged at epoch 3, batch 1/1: the loss is nan; lower --lr "
            "(this run's is 1000); run/checkpoint.npz keeps epoch 2\n"
        )
        assert first.stderr == line
        checkpoint = load_checkpoint(tmp_path / "run")
        assert checkpoint.epoch == 2 and len(checkpoint.history) == 2
        assert all(np.isfinite(weights).all() for weights in checkpoint.model.values())
        assert (tmp_path / "run" / "metrics.csv").read_text().count("\n") == 3  # header + 2
        # --resume continues from epoch 2 and meets the same batch again: the same run
        again = cnnlab_main("train", "--resume", "run", "--quiet", expect=EXIT_DIVERGED)
        assert again.stderr == line
        assert cnnlab_main("evaluate", "run").stdout.startswith("lenet5 on mnist5k: loss ")
    assert [str(w) for w in caught if issubclass(w.category, RuntimeWarning)] == []


def test_detect_anomaly_names_the_first_op_that_is_not_finite_and_where_it_was_made(cnnlab_main):
    args = ("train", "--lr", "1000", *ONE_BATCH, "--epochs", "4", "--quiet", "--detect-anomaly")
    result = cnnlab_main(*args, "--out", "run", expect=EXIT_DIVERGED)
    first, header, *frames = result.stderr.splitlines()
    assert first == (
        "cnnlab: training diverged at epoch 3, batch 1/1: Function 'Linear' returned inf values "
        "in its forward output; lower --lr (this run's is 1000); run/checkpoint.npz keeps epoch 2"
    )
    assert header == "Traceback of forward call that caused the error:"
    assert "in train_step" in result.stderr and frames[-2].endswith(", in linear")
    assert frames[-3].strip() == "return F.linear(input, self.weight, self.bias)"
