"""Parameter counts, names and engine interchange of the chapter's models (exercise 9)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch

import cnnlab
from cnnlab.models import MODELS, build, chapter_net, lenet5, lenet5_bn, lenet5_classic

ENGINES = ("numpy", "torch")

# (model, build kwargs) -> (total, per-tensor list): the chapter's numbers where it gives them.
EXPECTED = {
    ("chapter_net", ()): (18090, [432, 16, 1152, 8, 16384, 32, 64, 2]),
    ("lenet5_bn", ()): (
        62186,
        [450, 6, 6, 6, 2400, 16, 48000, 120, 10080, 84, 84, 84, 840, 10],
    ),
    ("lenet5", ()): (61706, [150, 6, 2400, 16, 48000, 120, 10080, 84, 840, 10]),
    ("lenet5", (("in_channels", 3),)): (62006, [450, 6, 2400, 16, 48000, 120, 10080, 84, 840, 10]),
    ("lenet5_classic", ()): (61706, [150, 6, 2400, 16, 48000, 120, 10080, 84, 840, 10]),
}
CHAPTER_LENET_BN_KEYS = [
    "conv1.weight",
    "conv1.bias",
    "bn1.weight",
    "bn1.bias",
    "bn1.running_mean",
    "bn1.running_var",
    "bn1.num_batches_tracked",
    "conv2.weight",
    "conv2.bias",
    "fc1.weight",
    "fc1.bias",
    "fc2.weight",
    "fc2.bias",
    "bn2.weight",
    "bn2.bias",
    "bn2.running_mean",
    "bn2.running_var",
    "bn2.num_batches_tracked",
    "fc3.weight",
    "fc3.bias",
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("key", "expected"), EXPECTED.items(), ids=lambda v: str(v))
def test_parameter_counts_match_the_chapter(engine, key, expected):
    name, kwargs = key
    model = build(name, engine, **dict(kwargs))
    numel_list = [p.numel() for p in model.parameters()]
    assert (sum(numel_list), numel_list) == expected


@pytest.mark.parametrize("name", MODELS)
def test_both_engines_have_the_same_state_dict_names_and_shapes(name):
    mine = build(name, "numpy").state_dict()
    theirs = build(name, "torch").state_dict()
    assert list(mine) == list(theirs)
    assert [tuple(v.shape) for v in mine.values()] == [tuple(v.shape) for v in theirs.values()]


def test_lenet5_bn_has_exactly_the_keys_of_the_chapters_net():
    assert list(build("lenet5_bn").state_dict()) == CHAPTER_LENET_BN_KEYS


def test_chapter_net_has_the_keys_of_the_chapters_net():
    keys = list(build("chapter_net").state_dict())
    assert keys == [
        "conv1.weight",
        "conv1.bias",
        "conv2.weight",
        "conv2.bias",
        "fc1.weight",
        "fc1.bias",
        "fc2.weight",
        "fc2.bias",
    ]


def outputs(model, x: np.ndarray, lib) -> np.ndarray:
    with lib.no_grad():
        return np.asarray(model(lib.from_numpy(x)).detach().numpy())


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("training", [False, True], ids=["eval", "train"])
def test_state_dict_round_trip_numpy_torch_numpy(name, training):
    cnnlab.manual_seed(1)
    spec = MODELS[name]
    source = build(name, "numpy")
    x = np.random.default_rng(0).standard_normal((4, *spec.input_shape)).astype(np.float32)
    if training:  # give the batch-norm layers non-trivial running statistics first
        source.train()
        outputs(source, x * 2 + 1, cnnlab)
    source.train(training)
    state = {k: v.numpy().copy() for k, v in source.state_dict().items()}
    expected = outputs(source, x, cnnlab)

    as_torch = build(name, "torch")
    as_torch.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    torch_state = {k: v.clone() for k, v in as_torch.state_dict().items()}
    as_torch.train(training)
    got = outputs(as_torch, x, torch)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())

    back = build(name, "numpy")
    back.load_state_dict(torch_state)
    for key, value in state.items():
        np.testing.assert_array_equal(back.state_dict()[key].numpy(), value, err_msg=key)
    back.train(training)
    np.testing.assert_array_equal(outputs(back, x, cnnlab), expected)


class ChapterNet(cnnlab.nn.Module):
    """The ``Net`` of Section 8.6.2, as printed, on the NumPy engine."""

    def __init__(self):
        super().__init__()
        nn = cnnlab.nn
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 8, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(8 * 8 * 8, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        F = cnnlab.nn.functional
        out = F.max_pool2d(cnnlab.tanh(self.conv1(x)), 2)
        out = F.max_pool2d(cnnlab.tanh(self.conv2(out)), 2)
        out = out.view(-1, 8 * 8 * 8)
        return self.fc2(cnnlab.tanh(self.fc1(out)))


class ChapterLeNet(cnnlab.nn.Module):
    """The LeNet-5 ``Net`` with batch normalization of Section 8.6.6, as printed."""

    def __init__(self):
        super().__init__()
        nn = cnnlab.nn
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.bn1 = nn.BatchNorm2d(6)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.bn2 = nn.BatchNorm1d(84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        F = cnnlab.nn.functional
        x = self.bn1(F.max_pool2d(F.relu(self.conv1(x)), 2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2, 2).view(-1, 16 * 5 * 5)
        x = self.bn2(F.relu(self.fc2(F.relu(self.fc1(x)))))
        return self.fc3(x)


@pytest.mark.parametrize(
    ("name", "listing"), [("chapter_net", ChapterNet), ("lenet5_bn", ChapterLeNet)]
)
def test_the_chapters_listing_weights_load_and_give_the_same_outputs(name, listing):
    reference = listing()
    model = build(name)
    model.load_state_dict(reference.state_dict())
    x = np.random.default_rng(2).standard_normal((3, 3, 32, 32)).astype(np.float32)
    for mode in (True, False):
        reference.train(mode)
        model.train(mode)
        np.testing.assert_array_equal(outputs(model, x, cnnlab), outputs(reference, x, cnnlab))


def test_lenet5_pads_mnist_digits_and_not_cifar_images():
    assert build("lenet5").conv1.padding in (2, (2, 2))
    assert build("lenet5", in_channels=3).conv1.padding in (0, (0, 0))
    x = cnnlab.zeros(2, 1, 28, 28)
    assert tuple(lenet5()(x).shape) == (2, 10)
    assert tuple(lenet5(in_channels=3)(cnnlab.zeros(2, 3, 32, 32)).shape) == (2, 10)


def test_lenet5_classic_uses_average_pooling_and_a_squashing_activation():
    model = lenet5_classic()
    kinds = [type(m).__name__ for m in model.children()]
    assert kinds.count("AvgPool2d") == 2 and "MaxPool2d" not in kinds
    assert kinds.count("Tanh") == 4
    sigmoid = lenet5_classic("torch", activation="sigmoid")
    assert [type(m).__name__ for m in sigmoid.children()].count("Sigmoid") == 4
    with pytest.raises(ValueError, match="activation"):
        lenet5_classic(activation="gelu")


def test_builders_accept_other_sizes_and_class_counts():
    model = chapter_net("torch", in_channels=1, num_classes=10, image_size=28)
    assert tuple(model(torch.zeros(2, 1, 28, 28)).shape) == (2, 10)
    assert tuple(lenet5_bn(in_channels=1)(cnnlab.zeros(2, 1, 28, 28)).shape) == (2, 10)
    assert isinstance(build("lenet5", "torch"), torch.nn.Sequential)
    assert isinstance(build("lenet5"), cnnlab.nn.Sequential)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: build("resnet50"), "unknown model 'resnet50'"),
        (lambda: build("lenet5", engine="jax"), "engine must be one of numpy, torch"),
        (lambda: lenet5(image_size=12), "lenet5: the input is too small"),
        (lambda: chapter_net(image_size=3), "chapter_net: the input is too small"),
        (lambda: lenet5(num_classes=0), "lenet5: num_classes must be a positive int, got 0"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_sequential_layers_are_named_like_the_chapter():
    names = list(OrderedDict(build("lenet5_bn").named_children()))
    assert names == [
        "conv1",
        "relu1",
        "pool1",
        "bn1",
        "conv2",
        "relu2",
        "pool2",
        "flatten",
        "fc1",
        "relu3",
        "fc2",
        "relu4",
        "bn2",
        "fc3",
    ]
