"""The ``nn`` names of the API list, each built on cnnlab and on torch from the same weights and
run on the same input: outputs, gradients of the input, and the Module methods' results."""

from __future__ import annotations

import numpy as np
import pytest

import cnnlab
from api_table import check

RNG = np.random.default_rng(5)
IMAGES = RNG.standard_normal((2, 4, 6, 6)).astype(np.float64)
ROWS = RNG.standard_normal((3, 5)).astype(np.float64)
PROBS = RNG.uniform(0.05, 0.95, (3, 5))
TARGETS = (RNG.uniform(size=(3, 5)) > 0.5).astype(np.float64)
CLASSES = np.array([4, 0, 2])

LAYERS = {
    "Dropout eval": (lambda nn: nn.Dropout(0.3).eval(), ROWS),
    "Dropout2d eval": (lambda nn: nn.Dropout2d().eval(), IMAGES),
    "BatchNorm2d eval": (lambda nn: _trained_batch_norm(nn).eval(), IMAGES),
    "Identity": (lambda nn: nn.Identity(), ROWS),
    "AdaptiveAvgPool2d((1, 1))": (lambda nn: nn.AdaptiveAvgPool2d((1, 1)), IMAGES),
    "AdaptiveAvgPool2d(4)": (lambda nn: nn.AdaptiveAvgPool2d(4), IMAGES),
    "AdaptiveMaxPool2d((2, 3))": (lambda nn: nn.AdaptiveMaxPool2d((2, 3)), IMAGES),
    "LeakyReLU(0.2)": (lambda nn: nn.LeakyReLU(0.2), ROWS),
    "LeakyReLU(negative_slope=, inplace=True)": (
        lambda nn: nn.LeakyReLU(negative_slope=0.1, inplace=True),
        ROWS,
    ),
    "ReLU(inplace=True)": (lambda nn: nn.ReLU(inplace=True), ROWS),
    "ReLU6(inplace=True)": (lambda nn: nn.ReLU6(inplace=True), ROWS * 4),
    "ELU": (lambda nn: nn.ELU(), ROWS),
    "GELU": (lambda nn: nn.GELU(), ROWS),
    "GELU(approximate='tanh')": (lambda nn: nn.GELU(approximate="tanh"), ROWS),
    "SiLU": (lambda nn: nn.SiLU(), ROWS),
    "Sigmoid Tanh": (lambda nn: nn.Sequential(nn.Sigmoid(), nn.Tanh()), ROWS),
    "Softmax(dim=1)": (lambda nn: nn.Softmax(dim=1), ROWS),
    "LogSoftmax(dim=1)": (lambda nn: nn.LogSoftmax(dim=1), ROWS),
    "Flatten": (lambda nn: nn.Flatten(), IMAGES),
    "Flatten(0)": (lambda nn: nn.Flatten(0), IMAGES),
    "Unflatten": (lambda nn: nn.Unflatten(1, (1, 5)), ROWS),
    "LayerNorm": (lambda nn: nn.LayerNorm(5), ROWS),
    "LayerNorm over C,H,W": (lambda nn: nn.LayerNorm([4, 6, 6]), IMAGES),
    "GroupNorm": (lambda nn: nn.GroupNorm(2, 4), IMAGES),
    "BatchNorm2d train": (lambda nn: nn.BatchNorm2d(4), IMAGES),
    "BatchNorm1d train": (lambda nn: nn.BatchNorm1d(5), ROWS),
    "Conv2d": (lambda nn: nn.Conv2d(4, 3, 3, padding=1), IMAGES),
    "Conv2d(groups=4, bias=False)": (lambda nn: nn.Conv2d(4, 4, 3, groups=4, bias=False), IMAGES),
    "Conv2d(stride=2, kernel_size=1)": (
        lambda nn: nn.Conv2d(4, 2, kernel_size=1, stride=2),
        IMAGES,
    ),
    "Conv2d(padding='same')": (lambda nn: nn.Conv2d(4, 2, 3, padding="same"), IMAGES),
    "ConvTranspose2d": (lambda nn: nn.ConvTranspose2d(4, 2, 2, stride=2), IMAGES),
    "MaxPool2d(2, 2)": (lambda nn: nn.MaxPool2d(2, 2), IMAGES),
    "MaxPool2d(3, stride=2, padding=1)": (lambda nn: nn.MaxPool2d(3, stride=2, padding=1), IMAGES),
    "AvgPool2d(2)": (lambda nn: nn.AvgPool2d(2), IMAGES),
    "Linear": (lambda nn: nn.Linear(5, 2), ROWS),
    "Sequential(OrderedDict)": (lambda nn: _ordered_sequential(nn), ROWS),
    "ModuleList": (lambda nn: _ModuleListNet(nn), ROWS),
    "ModuleDict": (lambda nn: _ModuleDictNet(nn), ROWS),
}


def _trained_batch_norm(nn):
    norm = nn.BatchNorm2d(4, momentum=0.5)
    lib = _library(nn)
    norm(lib.tensor(IMAGES[::-1].copy()).float() * 2 + 1)
    return norm


def _ordered_sequential(nn):
    from collections import OrderedDict

    return nn.Sequential(OrderedDict([("fc", nn.Linear(5, 3)), ("act", nn.ReLU())]))


class _ModuleListNet:
    def __new__(cls, nn):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([nn.Linear(5, 4), nn.Linear(4, 2)])
                self.layers.append(nn.Tanh())

            def forward(self, x):
                for layer in self.layers:
                    x = layer(x)
                return x

        return Net()


class _ModuleDictNet:
    def __new__(cls, nn):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.parts = nn.ModuleDict({"a": nn.Linear(5, 3), "b": nn.ReLU()})
                self.scale = nn.ParameterList([nn.Parameter(nn.init.ones_(_empty(nn, 3)))])

            def forward(self, x):
                return self.parts["b"](self.parts["a"](x)) * self.scale[0]

        return Net()


def _empty(nn, n):
    lib = cnnlab if nn is cnnlab.nn else __import__("torch")
    return lib.empty(n)


def _library(nn):
    return cnnlab if nn is cnnlab.nn else __import__("torch")


def run_layer(lib, make, array):
    """Build on torch first (its seeded initial weights), copy into cnnlab, run forward and
    backward; the output and the input's gradient."""
    import torch

    torch.manual_seed(0)
    reference = make(torch.nn).double()
    model = reference if lib is torch else make(cnnlab.nn).double()
    if lib is not torch:
        model.load_state_dict(
            {k: cnnlab.tensor(v.numpy()) for k, v in reference.state_dict().items()}
        )
    model.train(reference.training)
    x = lib.tensor(array.copy(), requires_grad=True)
    out = model(x * 1)
    out.backward(lib.ones_like(out))
    return out, x.grad


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_torch(name):
    make, array = LAYERS[name]
    check(name, lambda lib: run_layer(lib, make, array))


FUNCTIONAL = {
    "log_softmax(dim=1)": lambda F, t: F.log_softmax(t(ROWS), dim=1),
    "softmax(x, 1)": lambda F, t: F.softmax(t(ROWS), 1),
    "nll_loss": lambda F, t: F.nll_loss(F.log_softmax(t(ROWS), 1), t(CLASSES)),
    "nll_loss(reduction='sum')": lambda F, t: F.nll_loss(
        F.log_softmax(t(ROWS), 1), t(CLASSES), reduction="sum"
    ),
    "nll_loss(reduction='none')": lambda F, t: F.nll_loss(
        F.log_softmax(t(ROWS), 1), t(CLASSES), reduction="none"
    ),
    "cross_entropy": lambda F, t: F.cross_entropy(t(ROWS), t(CLASSES)),
    "cross_entropy(label_smoothing=)": lambda F, t: F.cross_entropy(
        t(ROWS), t(CLASSES), label_smoothing=0.1
    ),
    "cross_entropy(reduction='sum')": lambda F, t: F.cross_entropy(
        t(ROWS), t(CLASSES), reduction="sum"
    ),
    "cross_entropy probabilities target": lambda F, t: F.cross_entropy(
        t(ROWS), F.softmax(t(ROWS[::-1].copy()), 1)
    ),
    "dropout(training=False)": lambda F, t: F.dropout(t(ROWS), 0.5, training=False),
    "dropout(p=0)": lambda F, t: F.dropout(t(ROWS), p=0.0),
    "adaptive_avg_pool2d": lambda F, t: F.adaptive_avg_pool2d(t(IMAGES), (1, 1)),
    "adaptive_avg_pool2d int": lambda F, t: F.adaptive_avg_pool2d(t(IMAGES), 3),
    "adaptive_max_pool2d": lambda F, t: F.adaptive_max_pool2d(t(IMAGES), 2),
    "pad": lambda F, t: F.pad(t(IMAGES), (1, 2)),
    "pad 4 sides value=": lambda F, t: F.pad(t(IMAGES), (1, 0, 2, 1), value=0.5),
    "pad reflect": lambda F, t: F.pad(t(IMAGES), (1, 1, 1, 1), mode="reflect"),
    "pad replicate": lambda F, t: F.pad(t(IMAGES), (2, 1, 1, 2), mode="replicate"),
    "one_hot": lambda F, t: F.one_hot(t(CLASSES)),
    "one_hot(num_classes=)": lambda F, t: F.one_hot(t(CLASSES), num_classes=6),
    "leaky_relu": lambda F, t: F.leaky_relu(t(ROWS), 0.2),
    "leaky_relu(negative_slope=)": lambda F, t: F.leaky_relu(t(ROWS), negative_slope=0.05),
    "gelu": lambda F, t: F.gelu(t(ROWS)),
    "relu relu6 elu silu": lambda F, t: (
        F.relu(t(ROWS)),
        F.relu6(t(ROWS)),
        F.elu(t(ROWS)),
        F.silu(t(ROWS)),
    ),
    "sigmoid tanh": lambda F, t: (F.sigmoid(t(ROWS)), F.tanh(t(ROWS))),
    "binary_cross_entropy": lambda F, t: F.binary_cross_entropy(t(PROBS), t(TARGETS)),
    "binary_cross_entropy(weight=)": lambda F, t: F.binary_cross_entropy(
        t(PROBS), t(TARGETS), weight=t(PROBS[0]).detach()
    ),
    "binary_cross_entropy_with_logits": lambda F, t: F.binary_cross_entropy_with_logits(
        t(ROWS), t(TARGETS)
    ),
    "binary_cross_entropy_with_logits(pos_weight=)": lambda F, t: (
        F.binary_cross_entropy_with_logits(
            t(ROWS), t(TARGETS), pos_weight=t(PROBS[0]).detach().detach()
        )
    ),
    "mse_loss": lambda F, t: F.mse_loss(t(ROWS), t(PROBS)),
    "l1_loss smooth_l1_loss": lambda F, t: (
        F.l1_loss(t(ROWS), t(PROBS)),
        F.smooth_l1_loss(t(ROWS), t(PROBS)),
    ),
    "interpolate nearest scale": lambda F, t: F.interpolate(t(IMAGES), scale_factor=2),
    "interpolate nearest size": lambda F, t: F.interpolate(t(IMAGES), size=(9, 4), mode="nearest"),
    "interpolate bilinear": lambda F, t: F.interpolate(
        t(IMAGES), size=(9, 4), mode="bilinear", align_corners=False
    ),
    "interpolate bilinear align_corners": lambda F, t: F.interpolate(
        t(IMAGES), scale_factor=1.5, mode="bilinear", align_corners=True
    ),
    "max_pool2d": lambda F, t: F.max_pool2d(t(IMAGES), 2),
    "max_pool2d(kernel_size=, stride=)": lambda F, t: F.max_pool2d(
        t(IMAGES), kernel_size=3, stride=1
    ),
    "avg_pool2d": lambda F, t: F.avg_pool2d(t(IMAGES), 2, 2),
    "linear": lambda F, t: F.linear(t(ROWS), t(PROBS)),
    "conv2d": lambda F, t: F.conv2d(t(IMAGES), t(IMAGES[:3, :, :3, :3].copy()), padding=1),
    "normalize": lambda F, t: F.normalize(t(ROWS), dim=1),
    "normalize(p=1, dim=0)": lambda F, t: F.normalize(t(ROWS), p=1, dim=0),
    "normalize of a zero row": lambda F, t: F.normalize(t(np.vstack([ROWS, 0 * ROWS[:1]])), dim=1),
    "layer_norm": lambda F, t: F.layer_norm(t(ROWS), (5,)),
}


def run_functional(lib, fn):
    """``fn(F, t)`` with ``t`` making float64 inputs that require grad (int64 for labels); the
    result and the gradients of the inputs."""
    inputs = []

    def t(array):
        if array.dtype.kind == "f":
            inputs.append(lib.tensor(array.copy(), requires_grad=True))
        else:
            return lib.tensor(array)
        return inputs[-1]

    out = fn(lib.nn.functional, t)
    outs = out if isinstance(out, tuple) else (out,)
    total = sum(
        (o.sum() for o in outs if o.dtype.is_floating_point), lib.tensor(0.0, dtype=lib.float64)
    )
    if total.requires_grad:
        total.backward()
    return out, [i.grad for i in inputs]


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_matches_torch(name):
    check(name, lambda lib: run_functional(lib, FUNCTIONAL[name]))


LOSSES = {
    "NLLLoss": (lambda nn: nn.NLLLoss(), lambda t: (t(ROWS).log_softmax(1), t(CLASSES))),
    "CrossEntropyLoss": (lambda nn: nn.CrossEntropyLoss(), lambda t: (t(ROWS), t(CLASSES))),
    "CrossEntropyLoss(reduction='sum')": (
        lambda nn: nn.CrossEntropyLoss(reduction="sum"),
        lambda t: (t(ROWS), t(CLASSES)),
    ),
    "MSELoss": (lambda nn: nn.MSELoss(), lambda t: (t(ROWS), t(PROBS))),
    "BCELoss": (lambda nn: nn.BCELoss(), lambda t: (t(PROBS), t(TARGETS))),
    "BCEWithLogitsLoss": (lambda nn: nn.BCEWithLogitsLoss(), lambda t: (t(ROWS), t(TARGETS))),
    "L1Loss": (lambda nn: nn.L1Loss(), lambda t: (t(ROWS), t(PROBS))),
    "SmoothL1Loss": (lambda nn: nn.SmoothL1Loss(), lambda t: (t(ROWS), t(PROBS))),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_module_matches_torch(name):
    make, inputs = LOSSES[name]
    check(name, lambda lib: run_functional(lib, lambda F, t: make(lib.nn)(*inputs(t))))


def module_program(lib, program):
    """``program(lib, model)`` on a small CNN built the same way on both libraries."""
    nn = lib.nn
    lib.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3)
    )
    return program(lib, model)


def _names(items):
    return [name for name, _ in items]


def _init_counts(lib, model):
    calls = []

    def init_weights(m):
        calls.append(type(m).__name__)
        if type(m) in (lib.nn.Linear, lib.nn.Conv2d):
            lib.nn.init.xavier_uniform_(m.weight)
            lib.nn.init.zeros_(m.bias)

    model.apply(init_weights)
    return calls, [
        float(m.bias.abs().sum()) for m in model if hasattr(m, "bias") and m.bias is not None
    ]


def _buffer_program(lib, model):
    model.register_buffer("steps", lib.zeros(1))
    model.register_buffer("scratch", lib.zeros(1), persistent=False)
    return sorted(model.state_dict()), _names(model.named_buffers())


def _zero_grad(lib, model):
    model(lib.ones(2, 1, 4, 4)).sum().backward()
    model.zero_grad()
    return [p.grad for p in model.parameters()]


def _requires_grad(lib, model):
    model.requires_grad_(False)
    first = [p.requires_grad for p in model.parameters()]
    model[0].requires_grad_()
    return first, [p.requires_grad for p in model.parameters()]


def _eval_train(lib, model):
    model.eval()
    states = [model.training, model[1].training]
    model.train()
    states += [model.training, model[1].training]
    model.train(False)
    return [*states, model.training]


def _to(lib, model):
    same = model.to("cpu") is model
    moved = model.to(lib.device("cpu")).to(lib.float64)
    return same, [str(p.dtype).split(".")[-1] for p in moved.parameters()]


MODULE_PROGRAMS = {
    "apply(init_weights) with xavier_uniform_": _init_counts,
    "add_module": lambda lib, m: (m.add_module("extra", lib.nn.ReLU()), _names(m.named_children()))[
        1
    ],
    "modules()": lambda lib, m: [type(x).__name__ for x in m.modules()],
    "named_modules()": lambda lib, m: _names(m.named_modules()),
    "children()": lambda lib, m: [type(x).__name__ for x in m.children()],
    "named_parameters()": lambda lib, m: _names(m.named_parameters()),
    "parameters() shapes": lambda lib, m: [tuple(p.shape) for p in m.parameters()],
    "sum of numel": lambda lib, m: sum(p.numel() for p in m.parameters()),
    "sum of numel trainable": lambda lib, m: sum(
        p.numel() for p in m.parameters() if p.requires_grad
    ),
    "state_dict keys": lambda lib, m: list(m.state_dict()),
    "register_buffer": _buffer_program,
    "zero_grad()": _zero_grad,
    "requires_grad_": _requires_grad,
    "train/eval": _eval_train,
    "to(device)/to(dtype)": _to,
    "iterate Sequential": lambda lib, m: [type(layer).__name__ for layer in m],
    "Sequential[i] and len": lambda lib, m: (type(m[1]).__name__, len(m), type(m[-1]).__name__),
    "Sequential slice": lambda lib, m: [type(layer).__name__ for layer in m[1:3]],
    "Sequential.append": lambda lib, m: len(m.append(lib.nn.Softmax(dim=1))),
    "repr of a Linear": lambda lib, m: repr(m[4]),
    "repr of a Conv2d": lambda lib, m: repr(m[0]),
    "weight.data shape": lambda lib, m: tuple(m[0].weight.data.shape),
    "weight.grad is None": lambda lib, m: m[0].weight.grad is None,
    "in_features out_features": lambda lib, m: (m[4].in_features, m[4].out_features),
    "Conv2d attributes": lambda lib, m: (
        m[0].in_channels,
        m[0].out_channels,
        m[0].kernel_size,
        m[0].stride,
        m[0].padding,
    ),
    "BatchNorm running stats": lambda lib, m: (
        m[1].running_mean,
        m[1].running_var,
        m[1].num_batches_tracked,
    ),
    "Parameter is Tensor": lambda lib, m: isinstance(m[0].weight, lib.Tensor),
    "Parameter requires_grad": lambda lib, m: lib.nn.Parameter(lib.zeros(2)).requires_grad,
    "Parameter(requires_grad=False)": lambda lib, m: (
        lib.nn.Parameter(lib.zeros(2), requires_grad=False).requires_grad
    ),
    "init.normal_(mean=, std=) shape": lambda lib, m: tuple(
        lib.nn.init.normal_(m[0].weight, mean=0, std=0.01).shape
    ),
    "init.constant_": lambda lib, m: lib.nn.init.constant_(m[0].bias, 0.1),
    "init.ones_ zeros_": lambda lib, m: (
        lib.nn.init.ones_(m[1].weight),
        lib.nn.init.zeros_(m[1].bias),
    ),
    "init.kaiming_normal_(mode=, nonlinearity=)": lambda lib, m: tuple(
        lib.nn.init.kaiming_normal_(m[0].weight, mode="fan_out", nonlinearity="relu").shape
    ),
    "init.kaiming_uniform_(a=)": lambda lib, m: tuple(
        lib.nn.init.kaiming_uniform_(m[0].weight, a=5**0.5).shape
    ),
    "init.xavier_normal_": lambda lib, m: tuple(lib.nn.init.xavier_normal_(m[4].weight).shape),
    "init.uniform_(a=, b=) bounds": lambda lib, m: bool(
        (lib.nn.init.uniform_(m[4].weight, a=-0.1, b=0.1).abs() <= 0.1).all()
    ),
    "init.calculate_gain": lambda lib, m: lib.nn.init.calculate_gain("relu"),
    "init in-place under no_grad": lambda lib, m: m[0].weight.requires_grad,
    "clip_grad_norm_": lambda lib, m: _clip(lib, m),
}


def _clip(lib, model):
    model(lib.ones(2, 1, 4, 4)).sum().backward()
    norm = lib.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.01)
    return type(norm).__name__, norm.dtype == lib.float32


@pytest.mark.parametrize("name", sorted(MODULE_PROGRAMS))
def test_module_method_matches_torch(name):
    check(name, lambda lib: module_program(lib, MODULE_PROGRAMS[name]))


def test_uninitialised_lazy_layers_infer_their_shapes_as_torch():
    def program(lib):
        nn = lib.nn
        net = nn.Sequential(
            nn.LazyConv2d(3, 3), nn.LazyBatchNorm2d(), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2)
        )
        net(lib.ones(2, 4, 5, 5))
        return [tuple(p.shape) for p in net.parameters()], repr(net[0])

    check("Lazy layers", program)


MISSING = [
    "nn.LSTM",
    "nn.Conv1d",
    "nn.functional.cosine_similarity",
    "nn.init.sparse_",
    "optim.LBFGS",
    "optim.lr_scheduler.NoSuchScheduler",
    "utils.data.NoSuchSampler",
    "cuda.nccl",
]


@pytest.mark.parametrize("path", MISSING)
def test_a_name_left_out_raises_not_implemented_naming_it(path):
    import importlib

    owner, name = path.rsplit(".", 1)
    module = importlib.import_module(f"cnnlab.{owner}")
    with pytest.raises(NotImplementedError, match=name):
        getattr(module, name)
    assert not hasattr(module, name)
