"""Inference from a checkpoint: the model rebuilt, evaluation, threads."""

from __future__ import annotations

import json

import pytest
import torch

import cnnlab
from cnnlab.data import ImageData
from cnnlab.train import TrainConfig, evaluate_checkpoint, train
from cnnlab.train.threads import compute_threads


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, digits):
    out = tmp_path_factory.mktemp("inference") / "run"
    train(TrainConfig(epochs=1, quiet=True, plots=False, out=str(out)), data=digits)
    return out / "checkpoint.npz"


def test_evaluation_refuses_data_with_other_classes(checkpoint, digits, monkeypatch):
    _, test = digits
    other = ImageData(test.images, test.labels, tuple("abcdefghij"), "fashion-mnist")
    monkeypatch.setattr("cnnlab.train.inference.load_split", lambda *a, **k: other)
    with pytest.raises(ValueError, match="was trained on the classes"):
        evaluate_checkpoint(checkpoint, data="fashion-mnist")


def test_evaluation_report_matches_the_training_report(checkpoint, digits, monkeypatch):
    _, test = digits
    monkeypatch.setattr("cnnlab.train.inference.load_split", lambda *a, **k: test)
    report = evaluate_checkpoint(checkpoint)
    assert report["total"] == len(test)
    assert report["epoch"] == 1
    saved = json.loads((checkpoint.parent / "report.json").read_text())
    assert report["confusion_matrix"] == saved["confusion_matrix"]


def test_compute_threads_are_set_and_restored():
    cnnlab_before, torch_before = cnnlab.get_num_threads(), torch.get_num_threads()
    with compute_threads(cnnlab, None):
        assert cnnlab.get_num_threads() == cnnlab_before
    with compute_threads(cnnlab, 3):
        assert cnnlab.get_num_threads() == 3
    assert cnnlab.get_num_threads() == cnnlab_before
    with compute_threads(torch, 1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == torch_before
    with compute_threads(torch, None):
        assert torch.get_num_threads() == torch_before
