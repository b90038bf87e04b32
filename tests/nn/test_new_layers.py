"""Every new layer as a module, with torch's parameters loaded: output and every gradient
against ``torch.nn`` in train and eval mode, and loss modules with their weight buffers."""

import numpy as np
import pytest
import torch

import cnnlab
from layer_differential import compare_layer
from reference import DTYPES

LAYERS = {
    "LeakyReLU": (lambda nn: nn.LeakyReLU(0.1), (2, 3, 4)),
    "ReLU6": (lambda nn: nn.ReLU6(), (2, 3, 4)),
    "Hardtanh": (lambda nn: nn.Hardtanh(-2, 3), (2, 5)),
    "ELU": (lambda nn: nn.ELU(0.5), (2, 5)),
    "GELU": (lambda nn: nn.GELU(), (2, 5)),
    "GELU tanh": (lambda nn: nn.GELU("tanh"), (2, 5)),
    "SiLU": (lambda nn: nn.SiLU(), (2, 5)),
    "Hardswish": (lambda nn: nn.Hardswish(), (2, 5)),
    "Hardsigmoid": (lambda nn: nn.Hardsigmoid(), (2, 5)),
    "Softplus": (lambda nn: nn.Softplus(2.0, 5.0), (2, 5)),
    "Mish": (lambda nn: nn.Mish(), (2, 5)),
    "Softmax2d": (lambda nn: nn.Softmax2d(), (2, 3, 2, 2)),
    "Dropout2d": (lambda nn: nn.Dropout2d(0.3), (2, 3, 2, 2)),
    "AdaptiveAvgPool2d": (lambda nn: nn.AdaptiveAvgPool2d((1, 1)), (2, 3, 5, 4)),
    "AdaptiveMaxPool2d": (lambda nn: nn.AdaptiveMaxPool2d((3, None)), (2, 3, 5, 4)),
    "LayerNorm": (lambda nn: nn.LayerNorm([3, 4]), (2, 5, 3, 4)),
    "GroupNorm": (lambda nn: nn.GroupNorm(2, 4), (3, 4, 2, 3)),
    "Upsample": (lambda nn: nn.Upsample(scale_factor=2), (1, 2, 3, 3)),
    "UpsamplingBilinear2d": (lambda nn: nn.UpsamplingBilinear2d(size=(5, 4)), (1, 2, 3, 3)),
    "ReflectionPad2d": (lambda nn: nn.ReflectionPad2d((1, 2, 0, 1)), (1, 2, 3, 3)),
    "ReplicationPad2d": (lambda nn: nn.ReplicationPad2d(2), (1, 2, 3, 3)),
    "ZeroPad2d": (lambda nn: nn.ZeroPad2d(1), (1, 2, 3, 3)),
    "ConstantPad2d": (lambda nn: nn.ConstantPad2d((1, 0, 2, 1), 3.5), (1, 2, 3, 3)),
    "Unflatten": (lambda nn: nn.Unflatten(1, (2, 3)), (4, 6)),
}


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("training", [True, False])
def test_new_layers_match_torch_in_train_and_eval(name, dtype, training):
    make, shape = LAYERS[name]
    ours, theirs = (
        make(cnnlab.nn).to(dtype),
        make(torch.nn).to(getattr(torch, np.dtype(dtype).name)),
    )
    rng = np.random.default_rng(len(name))
    with torch.no_grad():
        for p in theirs.parameters():  # not the default ones and zeros
            p.copy_(torch.tensor(rng.uniform(0.5, 1.5, p.shape)))
    ours.load_state_dict(theirs.state_dict())
    ours.train(training)
    theirs.train(training)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    if name == "Dropout2d" and training:  # random: the mask is checked in test_functional_*
        return
    compare_layer(name, ours, theirs, x)


LOSSES = {
    "L1Loss": lambda nn, lib, rng: nn.L1Loss(reduction="sum"),
    "SmoothL1Loss": lambda nn, lib, rng: nn.SmoothL1Loss(beta=0.5),
    "HuberLoss": lambda nn, lib, rng: nn.HuberLoss(delta=0.5),
    "BCELoss": lambda nn, lib, rng: nn.BCELoss(weight=lib.tensor(rng.uniform(0.5, 2, 4))),
    "BCEWithLogitsLoss": lambda nn, lib, rng: nn.BCEWithLogitsLoss(
        weight=lib.tensor(rng.uniform(0.5, 2, 4)), pos_weight=lib.tensor(rng.uniform(0.5, 3, 4))
    ),
    "CrossEntropyLoss": lambda nn, lib, rng: nn.CrossEntropyLoss(
        weight=lib.tensor(rng.uniform(0.5, 2, 4)), label_smoothing=0.2
    ),
}


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_modules_hold_their_weights_as_buffers_and_match_torch(name):
    make = LOSSES[name]
    ours = make(cnnlab.nn, cnnlab, np.random.default_rng(0))
    theirs = make(torch.nn, torch, np.random.default_rng(0))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(1)
    x = rng.uniform(0.05, 0.95, (3, 4))
    targets = np.array([0, 3, 1]) if name == "CrossEntropyLoss" else rng.uniform(0, 1, (3, 4))
    compare_layer(name, ours, theirs, x, targets=targets)
