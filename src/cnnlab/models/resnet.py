"""ResNet-18 as d2l.ai lays it out (Section 8.6, He et al. 2016), with a width option.

The stem is a 7x7 convolution of stride 2, batch norm, ReLU and a 3x3 max pooling of stride 2;
four stages of two residual blocks follow, of ``width``, ``2 width``, ``4 width`` and
``8 width`` channels (d2l's ResNet-18 has ``width = 64``), the first block of each stage after
the first halving the side with stride 2 and a 1x1 convolution on its shortcut; then global
average pooling and one fully connected layer.
"""

from __future__ import annotations

from collections import OrderedDict
from types import ModuleType

from cnnlab.models.engine import engine_module, engine_name
from cnnlab.models.layout import check_image

DEFAULT_WIDTH = 8
STAGES = (1, 2, 4, 8)  # channels of the four stages, in units of width
BLOCKS_PER_STAGE = 2

_RESIDUAL_CLASSES: dict[str, type] = {}


def residual_class(lib: ModuleType) -> type:
    """d2l's ``Residual`` block on the engine ``lib`` (one class per engine)."""
    name = engine_name(lib)
    if name not in _RESIDUAL_CLASSES:
        _RESIDUAL_CLASSES[name] = make_residual_class(lib.nn)
    return _RESIDUAL_CLASSES[name]


def make_residual_class(nn) -> type:
    F = nn.functional

    class Residual(nn.Module):
        """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), the shortcut a 1x1 convolution
        of the same stride when the block changes the shape, else the identity.

        Shapes: (N, in_channels, H, W) -> (N, channels, ceil(H / stride), ceil(W / stride)).
        """

        def __init__(self, in_channels: int, channels: int, stride: int = 1):
            super().__init__()
            self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=1)
            self.bn1 = nn.BatchNorm2d(channels)
            self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
            self.bn2 = nn.BatchNorm2d(channels)
            reshapes = stride != 1 or in_channels != channels
            self.conv3 = nn.Conv2d(in_channels, channels, 1, stride=stride) if reshapes else None

        def forward(self, x):
            y = F.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            shortcut = self.conv3(x) if self.conv3 is not None else x
            return F.relu(y + shortcut)

    return Residual


def resnet(
    engine: str | ModuleType = "numpy",
    *,
    in_channels: int = 1,
    num_classes: int = 10,
    image_size: int | None = None,
    width: int = DEFAULT_WIDTH,
):
    """d2l's ResNet-18 on ``engine`` as an ``nn.Sequential`` named ``stem, stage1..stage4,
    pool, flatten, fc``.

    With the default ``width = 8`` (channels 8, 16, 32, 64) it has 176,954 parameters for
    1x28x28 digits and 10 classes; ``width = 64`` is d2l's ResNet-18 (11.2 M). Any image side
    works: every stride rounds up and the pooling is global.

    Args:
        engine: ``"numpy"`` (cnnlab), ``"torch"``, or either module itself.
        in_channels: 1 for MNIST, 3 for CIFAR.
        num_classes: outputs of the last layer.
        image_size: side of the input, only checked (the layers do not depend on it).
        width: channels of the first stage; the others have 2, 4 and 8 times as many.
    """
    lib = engine_module(engine)
    nn = lib.nn
    check_image("resnet", in_channels, num_classes, 28 if image_size is None else image_size)
    if isinstance(width, bool) or not isinstance(width, int) or width < 1:
        raise ValueError(f"resnet: width must be a positive int, got {width!r}")
    residual = residual_class(lib)
    layers = [
        (
            "stem",
            nn.Sequential(
                nn.Conv2d(in_channels, width, kernel_size=7, stride=2, padding=3),
                nn.BatchNorm2d(width),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
            ),
        )
    ]
    channels = width
    for stage, factor in enumerate(STAGES, start=1):
        out = factor * width
        blocks = [
            residual(channels if i == 0 else out, out, stride=2 if i == 0 and stage > 1 else 1)
            for i in range(BLOCKS_PER_STAGE)
        ]
        layers.append((f"stage{stage}", nn.Sequential(*blocks)))
        channels = out
    layers += [
        ("pool", nn.AdaptiveAvgPool2d((1, 1))),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(channels, num_classes)),
    ]
    return nn.Sequential(OrderedDict(layers))
