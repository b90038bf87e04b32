"""The served network: feature maps of any model (Sequential or not), the chapter's equation
for a cell checked against PyTorch, receptive fields checked against PyTorch's gradients, and
concurrent requests."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import cnnlab
from cnnlab.data import Normalize
from cnnlab.serve.network import BadRequest, Network
from cnnlab.train import Checkpoint
from cnnlab.train.inference import LoadedModel
from reference import assert_close


class Branchy:
    """A non-Sequential net on either library: functional ReLU, a residual sum, a reused
    pooling module, batch norm, dilation, stride, padding, max and average pooling."""

    @staticmethod
    def build(lib, twin: bool = False):
        nn, F = lib.nn, lib.nn.functional

        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.conv1 = nn.Conv2d(1, 4, 3, stride=2, padding=1)  # 28 -> 14
                self.bn = nn.Identity() if twin else nn.BatchNorm2d(4)
                self.conv2 = nn.Conv2d(4, 4, 3, padding=2, dilation=2)  # 14 -> 14
                self.shortcut = nn.Conv2d(4, 4, 1)
                self.act = nn.Identity() if twin else nn.Tanh()
                pool = nn.AvgPool2d if twin else nn.MaxPool2d
                self.pool = pool(3, stride=2, padding=1)  # 14 -> 7 -> 4
                self.avg = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
                self.sig = nn.Identity() if twin else nn.Sigmoid()
                self.fc = nn.Linear(4 * 2 * 2, 10)

            def forward(self, x):
                y = self.bn(self.conv1(x))
                y = y if twin else F.relu(y)
                z = self.act(self.conv2(y) + self.shortcut(y))
                z = self.sig(self.avg(self.pool(self.pool(z))))
                return self.fc(z.flatten(1))

        return Net()


class ChapterNet:
    """LeNet-5 written as the chapter writes its ``Net``: ``self.pool`` used twice and
    ``F.relu`` between the modules."""

    @staticmethod
    def build(lib, twin: bool = False):
        nn, F = lib.nn, lib.nn.functional

        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
                self.pool = (nn.AvgPool2d if twin else nn.MaxPool2d)(2, 2)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.fc1 = nn.Linear(16 * 5 * 5, 10)

            def forward(self, x):
                relu = (lambda v: v) if twin else F.relu
                x = self.pool(relu(self.conv1(x)))
                x = self.pool(relu(self.conv2(x)))
                return self.fc1(x.flatten(1))

        return Net()


def serve_model(model, name: str = "test") -> Network:
    """A Network around any cnnlab model taking 1x28x28 digits."""
    model.eval()
    checkpoint = Checkpoint(0, {"data": "mnist5k"}, [], {}, {"model": name})
    loaded = LoadedModel(
        model,
        cnnlab,
        [str(k) for k in range(10)],
        (1, 28, 28),
        Normalize([0.5], [0.5]),
        checkpoint,
        Path(name),
    )
    return Network(loaded, name)


def seeded(builder, seed: int = 0):
    """The model on cnnlab with random weights and non-trivial batch-norm statistics."""
    cnnlab.manual_seed(seed)
    model = builder.build(cnnlab)
    rng = np.random.default_rng(seed)
    for name, buffer in model.named_buffers():
        if name.endswith("running_mean"):
            buffer.numpy()[...] = rng.normal(0, 0.3, buffer.shape)
        elif name.endswith("running_var"):
            buffer.numpy()[...] = rng.uniform(0.5, 2.0, buffer.shape)
    return model


def torch_layer(call) -> torch.nn.Module:
    """The torch module of the same kind and arguments as ``call``'s, in float64."""
    module = call.module
    if call.kind == "Conv2d":
        layer = torch.nn.Conv2d(
            module.in_channels,
            module.out_channels,
            module.kernel_size,
            module.stride,
            module.padding,
            module.dilation,
        )
    elif call.kind == "BatchNorm2d":
        layer = torch.nn.BatchNorm2d(module.num_features, module.eps)
    elif call.kind == "MaxPool2d":
        layer = torch.nn.MaxPool2d(
            module.kernel_size, module.stride, module.padding, module.dilation
        )
    elif call.kind == "AvgPool2d":
        layer = torch.nn.AvgPool2d(
            module.kernel_size,
            module.stride,
            module.padding,
            count_include_pad=module.count_include_pad,
        )
    else:
        layer = {"ReLU": torch.nn.ReLU, "Tanh": torch.nn.Tanh, "Sigmoid": torch.nn.Sigmoid}[
            call.kind
        ]()
    state = {
        k: torch.from_numpy(v.numpy().astype(np.float64)) for k, v in module.state_dict().items()
    }
    layer.double().load_state_dict(state, strict=bool(state))
    return layer.eval()


def cells(shape, count: int, rng) -> list[tuple[int, int, int]]:
    """``count`` random cells of a (C, H, W) map, always with its four corners."""
    c, h, w = shape
    corners = [(0, 0, 0), (c - 1, h - 1, w - 1), (0, 0, w - 1), (c - 1, h - 1, 0)]
    return corners + [tuple(int(rng.integers(n)) for n in shape) for _ in range(count)]


def digit(digits, index: int = 0) -> np.ndarray:
    return (digits[0][index] / 255).astype(np.float32)[np.newaxis]


@pytest.mark.parametrize(
    "network_of",
    [lambda: Network.from_checkpoint(build_path()), lambda: serve_model(seeded(Branchy))],
    ids=["lenet5", "branchy"],
)
def test_every_cell_formula_equals_pytorch_and_the_engine(network_of, digits):
    network = network_of()
    rng = np.random.default_rng(1)
    image = digit(digits, 3)
    run = network.run(image)
    explained_kinds = set()
    for call in run.calls:
        if call.output.ndim != 4:
            continue
        expected = torch_layer(call)(torch.from_numpy(call.input.astype(np.float64)))[0]
        chosen = cells(call.output.shape[1:], 12, rng)
        answers = [network.explain(image, call.name, *cell) for cell in chosen]
        results = np.array([a["result"] for a in answers])
        at = tuple(np.array(chosen).T)
        assert_close(
            f"serve explain {call.kind}", results, expected.detach().numpy()[at], np.float64
        )
        assert_close(
            f"serve explain {call.kind} vs engine",
            [a["value"] for a in answers],
            results,
            np.float32,
        )
        explained_kinds.add(call.kind)
    assert explained_kinds >= {"Conv2d", "MaxPool2d"}


def build_path():
    from cnnlab.models.registry import pretrained_path

    return pretrained_path("lenet5")


def torch_fields(builder, cnnlab_model, layer_names: list[str], rng) -> dict:
    """For random cells of each layer, the box of input pixels with a non-zero gradient in a
    linear twin of the model (all weights 1, activations removed, max pooling made average
    pooling): exactly the receptive field the geometry gives."""
    twin = builder.build(torch, twin=True).double()
    for parameter in twin.parameters():
        torch.nn.init.ones_(parameter)
    outputs = {}
    for name, module in twin.named_modules():
        module.register_forward_hook(
            lambda m, i, o, name=name: outputs.setdefault(name, []).append(o)
        )
    x = torch.zeros(1, 1, 28, 28, dtype=torch.float64, requires_grad=True)
    twin(x)
    fields = {}
    for layer in layer_names:
        base, _, count = layer.partition(":")
        output = outputs[base][int(count or 1) - 1]
        for cell in cells(output.shape[1:], 6, rng):
            (grad,) = torch.autograd.grad(output[(0, *cell)], x, retain_graph=True)
            rows, cols = np.nonzero(grad[0, 0].numpy())
            fields[layer, cell] = {
                "top": rows.min(),
                "bottom": rows.max(),
                "left": cols.min(),
                "right": cols.max(),
            }
    return fields


@pytest.mark.parametrize("builder", [ChapterNet, Branchy])
def test_receptive_fields_equal_the_gradient_support_of_a_linear_twin(builder, digits):
    network = serve_model(seeded(builder))
    names = [layer["name"] for layer in network.layers]
    expected = torch_fields(builder, network.loaded.model, names, np.random.default_rng(2))
    for (layer, cell), field in expected.items():
        answer = network.explain(digit(digits), layer, *cell)
        assert answer["receptive_field"] == {k: int(v) for k, v in field.items()}, (layer, cell)


def test_lenet5_receptive_fields_equal_the_gradient_support(network, digits):
    from cnnlab.models.lenet import lenet5

    class Lenet:
        @staticmethod
        def build(lib, twin=False):
            model = lenet5(lib)
            if twin:
                nn = lib.nn
                for name in ("relu1", "relu2", "relu3", "relu4"):
                    setattr(model, name, nn.Identity())
                model.pool1, model.pool2 = nn.AvgPool2d(2, 2), nn.AvgPool2d(2, 2)
            return model

    names = [layer["name"] for layer in network.layers]
    expected = torch_fields(Lenet, network.loaded.model, names, np.random.default_rng(3))
    for (layer, cell), field in expected.items():
        answer = network.explain(digit(digits), layer, *cell)
        assert answer["receptive_field"] == {k: int(v) for k, v in field.items()}, (layer, cell)


def test_a_non_sequential_model_shows_its_layers_and_their_sources(digits):
    network = serve_model(seeded(ChapterNet))
    assert [(layer["name"], layer["shape"]) for layer in network.layers] == [
        ("conv1", [6, 28, 28]),
        ("pool", [6, 14, 14]),
        ("conv2", [16, 10, 10]),
        ("pool:2", [16, 5, 5]),
    ]
    answer = network.predict(digit(digits))
    assert [layer["name"] for layer in answer["layers"]] == ["conv1", "pool", "conv2", "pool:2"]
    # F.relu made pool's input outside modules: its window is not some module's output
    assert network.explain(digit(digits), "pool", 0, 3, 3)["input_layer"] is None
    assert network.explain(digit(digits), "conv1", 0, 3, 3)["input_layer"] == "input"
    branchy = serve_model(seeded(Branchy))
    assert [layer["name"] for layer in branchy.layers] == [
        "conv1",
        "bn",
        "conv2",
        "shortcut",
        "act",
        "pool",
        "pool:2",
        "avg",
        "sig",
    ]
    assert branchy.explain(digit(digits), "bn", 1, 2, 2)["input_layer"] == "conv1"


def test_explain_names_what_is_wrong(network, digits):
    with pytest.raises(BadRequest, match="'layer' must be one of conv1, relu1"):
        network.explain(digit(digits), "fc1", 0, 0, 0)
    with pytest.raises(BadRequest, match=r"'row' must be in 0\.\.9 for conv2, got 10"):
        network.explain(digit(digits), "conv2", 0, 10, 0)


def test_concurrent_predictions_are_each_their_own(network, digits):
    images = [digit(digits, n) for n in range(16)]
    alone = [network.predict(image) for image in images]
    together: dict[int, dict] = {}

    def ask(n: int) -> None:
        for _ in range(3):
            together[n] = network.predict(images[n])

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n in range(16):
        assert together[n]["probabilities"] == alone[n]["probabilities"]
        for ours, theirs in zip(together[n]["layers"], alone[n]["layers"], strict=True):
            assert np.array_equal(ours["maps"], theirs["maps"])
