"""The pretrained LeNet-5 that ships in the package: it reads MNIST digits on both engines,
and it is what the README's command trains."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest
import torch

import cnnlab
from cnnlab.cli import build_parser
from cnnlab.data import Normalize, load, to_float
from cnnlab.models import build
from cnnlab.models.registry import pretrained_path
from cnnlab.train import TrainConfig, load_checkpoint
from cnnlab.train.config import TRAJECTORY_FIELDS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.fixture(scope="module")
def test_split():
    split = load("mnist5k", train=False)
    return Normalize([0.1307], [0.3081])(to_float(split.images)), split.labels


def test_pretrained_lenet5_reads_mnist_on_both_engines(test_split):
    images, labels = test_split
    ours = build("lenet5", pretrained=True)
    theirs = build("lenet5", "torch", pretrained=True)
    assert not ours.training and not theirs.training
    with cnnlab.no_grad():
        our_scores = ours(cnnlab.from_numpy(images)).numpy()
    with torch.no_grad():
        their_scores = theirs(torch.from_numpy(images)).numpy()
    np.testing.assert_allclose(our_scores, their_scores, rtol=1e-4, atol=1e-4)
    assert (our_scores.argmax(axis=1) == labels).mean() >= 0.975


def test_pretrained_refuses_other_models_and_shapes():
    with pytest.raises(
        ValueError, match="no pretrained weights for 'lenet5_bn'; pretrained models: lenet5"
    ):
        build("lenet5_bn", pretrained=True)
    with pytest.raises(ValueError, match="pretrained lenet5 takes its default input 1x28x28"):
        build("lenet5", in_channels=3, pretrained=True)


def test_the_readme_command_trains_the_packaged_weights():
    command = next(
        line.split("#")[0].strip()
        for line in README.splitlines()
        if line.startswith("cnnlab train") and "lenet5-mnist5k" in line
    )
    args = build_parser().parse_args(shlex.split(command)[1:])
    given = {k: v for k, v in vars(args).items() if k in TrainConfig.__dataclass_fields__}
    expected = TrainConfig(**given).to_dict()
    saved = load_checkpoint(pretrained_path("lenet5")).config
    for field in TRAJECTORY_FIELDS:
        assert saved[field] == expected[field], field
    assert re.search(
        r"cp runs/lenet5-mnist5k/checkpoint\.npz\s+src/cnnlab/models/pretrained/", README
    )
