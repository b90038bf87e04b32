"""Models for the ONNX tests: the named models and small-width versions of the example
programs' CNNs (d2l.ai's LeNet, NiN, GoogLeNet, ResNet, DenseNet), each written once against
either engine's ``nn`` (``cnnlab`` or ``torch``), and onnxruntime to run the files."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import onnxruntime  # a missing onnxruntime must fail the suite, never skip it
import pytest
import torch

import cnnlab
from cnnlab.models import MODELS, build
from cnnlab.train import TrainConfig, train


def global_average(x):
    """Global average pooling, (N, C, H, W) -> (N, C), on either engine."""
    return x.mean(dim=(2, 3))


def lenet_d2l(lib: ModuleType):
    """d2l.ai's LeNet: sigmoid and average pooling."""
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(2, stride=2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10),
    )  # fmt: skip


def nin(lib: ModuleType):
    """d2l.ai's network in network: blocks of a conv and two 1x1 convs, dropout, global
    average pooling of ten channels (widths cut down)."""
    nn = lib.nn

    def block(cin, cout, kernel, stride, padding):
        return nn.Sequential(
            nn.Conv2d(cin, cout, kernel, stride, padding), nn.ReLU(),
            nn.Conv2d(cout, cout, kernel_size=1), nn.ReLU(),
            nn.Conv2d(cout, cout, kernel_size=1), nn.ReLU(),
        )  # fmt: skip

    class NiN(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                block(1, 8, 11, 4, 0), nn.MaxPool2d(3, stride=2),
                block(8, 16, 5, 1, 2), nn.MaxPool2d(3, stride=2),
                block(16, 24, 3, 1, 1), nn.MaxPool2d(3, stride=2),
                nn.Dropout(0.5), block(24, 10, 3, 1, 1),
            )  # fmt: skip

        def forward(self, x):
            return global_average(self.features(x))

    return NiN()


def googlenet(lib: ModuleType):
    """d2l.ai's GoogLeNet: Inception blocks whose four paths are joined by ``cat``."""
    nn, F = lib.nn, lib.nn.functional

    class Inception(nn.Module):
        def __init__(self, cin, c1, c2, c3, c4):
            super().__init__()
            self.p1_1 = nn.Conv2d(cin, c1, kernel_size=1)
            self.p2_1 = nn.Conv2d(cin, c2[0], kernel_size=1)
            self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
            self.p3_1 = nn.Conv2d(cin, c3[0], kernel_size=1)
            self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
            self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
            self.p4_2 = nn.Conv2d(cin, c4, kernel_size=1)

        def forward(self, x):
            p1 = F.relu(self.p1_1(x))
            p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
            p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
            p4 = F.relu(self.p4_2(self.p4_1(x)))
            return lib.cat((p1, p2, p3, p4), dim=1)

    class GoogLeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.b1 = nn.Sequential(
                nn.Conv2d(1, 8, kernel_size=7, stride=2, padding=3), nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            )  # fmt: skip
            self.b2 = nn.Sequential(
                Inception(8, 4, (4, 8), (2, 4), 4),
                Inception(20, 8, (8, 12), (2, 6), 6),
                nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            )  # fmt: skip
            self.fc = nn.Linear(32, 10)

        def forward(self, x):
            return self.fc(global_average(self.b2(self.b1(x))))

    return GoogLeNet()


def resnet(lib: ModuleType):
    """d2l.ai's ResNet: residual blocks with batch norm, a 1x1 convolution on the shortcut
    where the shape changes, and residual adds."""
    nn, F = lib.nn, lib.nn.functional

    class Residual(nn.Module):
        def __init__(self, cin, cout, use_1x1conv=False, strides=1):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, kernel_size=3, padding=1, stride=strides)
            self.conv2 = nn.Conv2d(cout, cout, kernel_size=3, padding=1)
            self.conv3 = nn.Conv2d(cin, cout, 1, stride=strides) if use_1x1conv else None
            self.bn1, self.bn2 = nn.BatchNorm2d(cout), nn.BatchNorm2d(cout)

        def forward(self, x):
            y = F.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            if self.conv3 is not None:
                x = self.conv3(x)
            return F.relu(y + x)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(
                nn.Conv2d(1, 8, kernel_size=7, stride=2, padding=3), nn.BatchNorm2d(8),
                nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            )  # fmt: skip
            self.layer1 = nn.Sequential(Residual(8, 8), Residual(8, 8))
            self.layer2 = nn.Sequential(Residual(8, 16, use_1x1conv=True, strides=2))
            self.fc = nn.Linear(16, 10)

        def forward(self, x):
            return self.fc(global_average(self.layer2(self.layer1(self.stem(x)))))

    return ResNet()


def densenet(lib: ModuleType):
    """d2l.ai's DenseNet: dense blocks that ``cat`` each conv block's output onto its input,
    and transition blocks (1x1 convolution, average pooling)."""
    nn = lib.nn

    def conv_block(cin, cout):
        return nn.Sequential(
            nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin, cout, kernel_size=3, padding=1)
        )

    class DenseBlock(nn.Module):
        def __init__(self, convs, cin, growth):
            super().__init__()
            self.net = nn.Sequential(*(conv_block(cin + i * growth, growth) for i in range(convs)))

        def forward(self, x):
            for block in self.net:
                x = lib.cat((x, block(x)), dim=1)
            return x

    class DenseNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(
                nn.Conv2d(1, 8, kernel_size=7, stride=2, padding=3), nn.BatchNorm2d(8),
                nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
                DenseBlock(2, 8, 4),
                nn.BatchNorm2d(16), nn.ReLU(), nn.Conv2d(16, 8, kernel_size=1),
                nn.AvgPool2d(kernel_size=2, stride=2),
                DenseBlock(2, 8, 4), nn.BatchNorm2d(16), nn.ReLU(),
            )  # fmt: skip
            self.fc = nn.Linear(16, 10)

        def forward(self, x):
            return self.fc(global_average(self.net(x)))

    return DenseNet()


def mobilenet(lib: ModuleType):
    """Depthwise-separable convolutions as MobileNet v1 stacks them (a 3x3 depthwise conv with
    ``groups`` = channels, then a 1x1 pointwise conv, each with batch norm and ReLU6), and one
    v2 inverted residual (1x1 expansion, depthwise, linear 1x1 projection, residual add)."""
    nn = lib.nn

    def separable(cin, cout, stride):
        return nn.Sequential(
            nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin),
            nn.ReLU6(inplace=True),
            nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU6(inplace=True),
        )  # fmt: skip

    class InvertedResidual(nn.Module):
        def __init__(self, channels, expansion):
            super().__init__()
            hidden = channels * expansion
            self.block = nn.Sequential(
                nn.Conv2d(channels, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
                nn.Conv2d(hidden, hidden, 3, 1, 1, groups=hidden, bias=False),
                nn.BatchNorm2d(hidden), nn.ReLU6(),
                nn.Conv2d(hidden, channels, 1, bias=False), nn.BatchNorm2d(channels),
            )  # fmt: skip

        def forward(self, x):
            return x + self.block(x)

    return nn.Sequential(
        nn.Conv2d(1, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6(inplace=True),
        separable(8, 16, 1), separable(16, 24, 2), InvertedResidual(24, 4),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Dropout(0.2), nn.Linear(24, 10),
    )  # fmt: skip


def d2l_blocks(name: str):
    """d2l.ai's ResNet (``Y += X``) and DenseNet as ``tests/nn/test_d2l_blocks.py`` writes
    them, with lazy layers and adaptive average pooling."""
    path = Path(__file__).parents[1] / "nn" / "test_d2l_blocks.py"
    spec = importlib.util.spec_from_file_location("d2l_blocks_for_onnx", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def example_program(name: str) -> ModuleType:
    """``examples/<name>.py`` imported on cnnlab."""
    path = Path(__file__).parents[2] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_for_onnx", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.torch is cnnlab
    return module


def mnist_example_net(lib: ModuleType):
    """``Net`` of ``examples/mnist_main.py`` (pytorch/examples' MNIST program), on cnnlab."""
    return example_program("mnist_main").Net()


# examples/d2l_cnn.py's models, cut down as its tests cut them: (shrink, image side).
# bn_lenet_scratch is left out: its batch norm picks batch statistics whenever grad mode is on,
# as it is while the graph is recorded (PyTorch's exporter records that branch too).
D2L_CNN = {
    "lenet": (1, 28), "alexnet": (16, 96), "vgg": (16, 32), "nin": (16, 96),
    "googlenet": (16, 32), "bn_lenet": (1, 28), "resnet": (8, 28), "densenet": (8, 32),
    "mobilenet": (8, 28),
}  # fmt: skip


def d2l_cnn_model(name: str):
    shrink, _ = D2L_CNN[name]
    return lambda lib: example_program("d2l_cnn").MODELS[name](num_classes=10, shrink=shrink)


EXAMPLES = {
    "lenet_d2l": (lenet_d2l, (1, 28, 28)),
    "nin": (nin, (1, 96, 96)),
    "googlenet": (googlenet, (1, 32, 32)),
    "resnet": (resnet, (1, 32, 32)),
    "densenet": (densenet, (1, 32, 32)),
    "mobilenet": (mobilenet, (1, 32, 32)),
    "resnet_d2l": (lambda lib: d2l_blocks("resnet")(lib), (1, 32, 32)),
    "densenet_d2l": (lambda lib: d2l_blocks("densenet")(lib), (1, 32, 32)),
    "mnist_main": (mnist_example_net, (1, 28, 28)),
    **{
        f"d2l_cnn.{name}": (d2l_cnn_model(name), (1, side, side))
        for name, (_, side) in D2L_CNN.items()
    },
}
NAMED = {name: spec.input_shape for name, spec in MODELS.items()}


def randomize_statistics(model, seed: int = 0) -> None:
    """Give every batch norm running statistics and affine parameters away from their
    defaults, so that an export that ignored them would be caught."""
    rng = np.random.default_rng(seed)
    for module in model.modules():
        if isinstance(module, cnnlab.nn.BatchNorm1d | cnnlab.nn.BatchNorm2d):
            channels = module.num_features
            module.running_mean._data[...] = rng.normal(0, 0.3, channels)
            module.running_var._data[...] = rng.uniform(0.5, 1.5, channels)
            module.weight._data[...] = rng.uniform(0.5, 1.5, channels)
            module.bias._data[...] = rng.normal(0, 0.3, channels)


def make_model(name: str):
    """A cnnlab model by name (named or example), seeded, with random batch norm statistics."""
    cnnlab.manual_seed(0)
    if name in NAMED:
        model = build(name)
        shape = NAMED[name]
    else:
        builder, shape = EXAMPLES[name]
        model = builder(cnnlab)
        with cnnlab.no_grad():  # lazy layers take their shapes
            model.eval()(cnnlab.zeros(1, *shape))
    randomize_statistics(model)
    return model.eval(), shape


def images(batch: int, shape, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).random((batch, *shape), dtype=np.float32)


def run_onnxruntime(data: bytes, x: np.ndarray, name: str = "input") -> np.ndarray:
    session = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {name: x})[0]


def run_cnnlab(model, x: np.ndarray) -> np.ndarray:
    with cnnlab.no_grad():
        return model(cnnlab.from_numpy(x)).numpy()


def exported(model, x: np.ndarray, **options) -> bytes:
    from cnnlab.onnx import export

    buffer = io.BytesIO()
    options.setdefault("dynamic_axes", {"input": {0: "N"}})
    export(model, cnnlab.from_numpy(x), buffer, **options)
    return buffer.getvalue()


@pytest.fixture
def onnx_helpers() -> SimpleNamespace:
    """The helpers above, for the test modules (which cannot import this conftest)."""
    return SimpleNamespace(
        EXAMPLES=EXAMPLES,
        NAMED=NAMED,
        make_model=make_model,
        images=images,
        run_onnxruntime=run_onnxruntime,
        run_cnnlab=run_cnnlab,
        exported=exported,
        torch=torch,
    )


DEV_DIGITS = Path(__file__).parents[1] / "fixtures" / "mnist-dev"


@pytest.fixture(scope="session")
def digits() -> Path:
    """The development digits: 5,000 official MNIST test images (``tests/fixtures/mnist-dev``),
    none of them among the embedded digits the checkpoint trains on."""
    return DEV_DIGITS


@pytest.fixture(scope="session")
def checkpoint(tmp_path_factory) -> Path:
    """A LeNet-5 checkpoint trained for one epoch on the 5,000 embedded MNIST digits (about 80 %
    on the development digits: enough for the two runtimes' accuracies to be compared)."""
    out = tmp_path_factory.mktemp("run") / "run"
    config = TrainConfig(epochs=1, augment=False, out=str(out), plots=False, quiet=True)
    train(config)
    return out / "checkpoint.npz"
