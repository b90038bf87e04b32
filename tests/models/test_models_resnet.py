"""The registry's ``resnet``: d2l's ResNet-18 layout at a chosen width, equal on both engines,
and trained by ``cnnlab train --model resnet`` on either engine."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import cnnlab
from cnnlab.models import build, resnet, summary


def test_default_width_and_d2l_resnet18_sizes():
    assert sum(p.numel() for p in build("resnet").parameters()) == 176954
    # width 64 is d2l's ResNet-18: 11,178,378 parameters for 1-channel input and 10 classes
    # (counted by the book's layer summary); the stage widths double from 64 to 512
    full = resnet("torch", width=64)
    assert sum(p.numel() for p in full.parameters()) == 11178378
    assert [full.get_submodule(f"stage{i}")[0].conv1.out_channels for i in range(1, 5)] == [
        64,
        128,
        256,
        512,
    ]


@pytest.mark.parametrize("side", [28, 32, 9])
def test_shapes_halve_through_the_stages(side):
    model = build("resnet", in_channels=3, image_size=side)
    rows = {r.name: r.output_shape for r in summary(model, (3, side, side)).rows}
    stem = math.ceil(math.ceil(side / 2) / 2)  # stride 2, then pooling of stride 2
    assert rows["stem"] == (8, stem, stem)
    assert rows["stage2"][1] == math.ceil(stem / 2)
    assert rows["fc"] == (10,)


def test_width_is_checked():
    with pytest.raises(ValueError, match="resnet: width must be a positive int, got 0"):
        resnet(width=0)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_same_outputs_and_gradients_on_both_engines(training):
    x = np.random.default_rng(0).standard_normal((8, 1, 28, 28)).astype(np.float32)
    y = np.arange(8)
    mine = build("resnet", seed=3)
    theirs = build("resnet", "torch", seed=3)
    results = []
    for lib, model in ((cnnlab, mine), (torch, theirs)):
        model.train(training)
        out = model(lib.from_numpy(x))
        lib.nn.functional.cross_entropy(out, lib.from_numpy(y)).backward()
        grads = {n: p.grad.numpy().copy() for n, p in model.named_parameters()}
        results.append((out.detach().numpy(), grads))
    (out, grads), (ref_out, ref_grads) = results
    # float32 through 20 layers, batch norm over 8 values at stage 4's 1x1 side
    np.testing.assert_allclose(out, ref_out, rtol=1e-4, atol=1e-4)
    scale = max(np.abs(g).max() for g in ref_grads.values())
    for name, grad in grads.items():
        np.testing.assert_allclose(
            grad, ref_grads[name], rtol=1e-3, atol=1e-5 * scale, err_msg=name
        )
