"""The small two-class CIFAR net of Fig. 8.22 and Section 8.6.2."""

from __future__ import annotations

from collections import OrderedDict
from types import ModuleType

from cnnlab.models.engine import engine_module
from cnnlab.models.layout import check_image, pooled_size


def chapter_net(
    engine: str | ModuleType = "numpy",
    *,
    in_channels: int = 3,
    num_classes: int = 2,
    image_size: int = 32,
):
    """The CNN of Fig. 8.22: conv 3->16 (3x3, p=1), tanh, max pool 2, conv 16->8 (3x3, p=1),
    tanh, max pool 2, flatten to 8*8*8 = 512, fc 512->32, tanh, fc 32->2.

    18,090 parameters for a 3x32x32 input, per tensor ``[432, 16, 1152, 8, 16384, 32, 64, 2]``,
    with the key names of the chapter's ``Net`` (``conv1.*``, ``conv2.*``, ``fc1.*``, ``fc2.*``).

    Args:
        engine: ``"numpy"`` (cnnlab), ``"torch"``, or either module itself.
        in_channels: channels of the input images (3 for CIFAR).
        num_classes: outputs of the last layer (2 for the chapter's airplane/bird task).
        image_size: height and width of the (square) input; the flatten size follows.

    Returns:
        An ``nn.Sequential`` of the chosen engine.
    """
    nn = engine_module(engine).nn
    check_image("chapter_net", in_channels, num_classes, image_size)
    side = pooled_size(
        "chapter_net", pooled_size("chapter_net", image_size, 2), 2
    )  # padding 1 keeps the size; pools halve it
    return nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(in_channels, 16, kernel_size=3, padding=1)),
                ("tanh1", nn.Tanh()),
                ("pool1", nn.MaxPool2d(2)),
                ("conv2", nn.Conv2d(16, 8, kernel_size=3, padding=1)),
                ("tanh2", nn.Tanh()),
                ("pool2", nn.MaxPool2d(2)),
                ("flatten", nn.Flatten()),
                ("fc1", nn.Linear(8 * side * side, 32)),
                ("tanh3", nn.Tanh()),
                ("fc2", nn.Linear(32, num_classes)),
            ]
        )
    )
