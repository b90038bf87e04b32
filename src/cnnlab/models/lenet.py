"""LeNet-5 (Fig. 8.11) in three flavours: ReLU + max pooling, the 1998 original with average
pooling, and the Section 8.6.6 variant with two batch-normalization layers."""

from __future__ import annotations

from collections import OrderedDict
from types import ModuleType

from cnnlab.models.engine import engine_module
from cnnlab.models.layout import check_image, conv_size, pooled_size

ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}


def default_image_size(in_channels: int) -> int:
    """28 for grey images (MNIST), 32 for colour ones (CIFAR)."""
    return 28 if in_channels == 1 else 32


def conv1_padding(image_size: int) -> int:
    """LeNet-5 reads 32x32 images; a 28x28 MNIST digit is zero-padded by 2 (Section 8.3.3)."""
    return 2 if image_size == 28 else 0


def lenet(
    engine: str | ModuleType,
    name: str,
    in_channels: int,
    num_classes: int,
    image_size: int | None,
    *,
    activation: str,
    pool: str,
    batch_norm: bool,
):
    """LeNet-5 on ``engine`` as an ``nn.Sequential`` of layers named ``conv1, act1, pool1,
    [bn1,] conv2, ..., fc3``; ``image_size`` None means :func:`default_image_size`.

    conv 6@5x5 -> act -> pool 2 -> [BatchNorm2d(6)] -> conv 16@5x5 -> act -> pool 2 -> flatten
    (16*5*5 = 400) -> fc 120 -> act -> fc 84 -> act -> [BatchNorm1d(84)] -> fc num_classes.
    """
    nn = engine_module(engine).nn
    if image_size is None:
        image_size = default_image_size(in_channels)
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"{name}: activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}"
        )
    check_image(name, in_channels, num_classes, image_size)
    padding = conv1_padding(image_size)
    side = pooled_size(name, conv_size(name, image_size, 5, padding), 2)
    side = pooled_size(name, conv_size(name, side, 5), 2)
    act = getattr(nn, ACTIVATIONS[activation])
    pooling = nn.MaxPool2d if pool == "max" else nn.AvgPool2d
    layers = [
        ("conv1", nn.Conv2d(in_channels, 6, kernel_size=5, padding=padding)),
        (f"{activation}1", act()),
        ("pool1", pooling(2, 2)),
        ("bn1", nn.BatchNorm2d(6)) if batch_norm else None,
        ("conv2", nn.Conv2d(6, 16, kernel_size=5)),
        (f"{activation}2", act()),
        ("pool2", pooling(2, 2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(16 * side * side, 120)),
        (f"{activation}3", act()),
        ("fc2", nn.Linear(120, 84)),
        (f"{activation}4", act()),
        ("bn2", nn.BatchNorm1d(84)) if batch_norm else None,
        ("fc3", nn.Linear(84, num_classes)),
    ]
    return nn.Sequential(OrderedDict(layer for layer in layers if layer is not None))


def lenet5(
    engine: str | ModuleType = "numpy",
    *,
    in_channels: int = 1,
    num_classes: int = 10,
    image_size: int | None = None,
):
    """LeNet-5 with ReLU and max pooling (Section 8.3.3, exercise 10).

    Input 1x28x28 (conv1 zero-pads by 2) or 3x32x32 (no padding); 61,706 parameters for MNIST,
    62,006 for CIFAR-10.

    Args:
        engine: ``"numpy"`` (cnnlab), ``"torch"``, or either module itself.
        in_channels: 1 for MNIST, 3 for CIFAR.
        num_classes: outputs of fc3.
        image_size: side of the square input; default 28 for one channel, else 32.

    Returns:
        An ``nn.Sequential`` of the chosen engine.
    """
    return lenet(
        engine,
        "lenet5",
        in_channels,
        num_classes,
        image_size,
        activation="relu",
        pool="max",
        batch_norm=False,
    )


def lenet5_classic(
    engine: str | ModuleType = "numpy",
    *,
    in_channels: int = 1,
    num_classes: int = 10,
    image_size: int | None = None,
    activation: str = "tanh",
):
    """LeNet-5 as LeCun et al. (1998) built it: a squashing activation after conv1, conv2,
    fc1 and fc2, and average pooling with no activation of its own.

    Args:
        activation: ``"tanh"`` (the default, which trains in a few epochs) or ``"sigmoid"``
            (the chapter's description of the original); the rest as :func:`lenet5`.
    """
    return lenet(
        engine,
        "lenet5_classic",
        in_channels,
        num_classes,
        image_size,
        activation=activation,
        pool="avg",
        batch_norm=False,
    )


def lenet5_bn(
    engine: str | ModuleType = "numpy",
    *,
    in_channels: int = 3,
    num_classes: int = 10,
    image_size: int | None = None,
):
    """The LeNet-5 ``Net`` of Section 8.6.6: ReLU, max pooling, ``bn1 = BatchNorm2d(6)`` after
    the first pooling and ``bn2 = BatchNorm1d(84)`` after fc2.

    For 3x32x32 CIFAR-10 input: 62,186 parameters, per tensor
    ``[450, 6, 6, 6, 2400, 16, 48000, 120, 10080, 84, 84, 84, 840, 10]`` (exercise 9), and the
    state_dict keys of the chapter's ``Net`` (``conv1.*, bn1.*, conv2.*, fc1.*, fc2.*, bn2.*,
    fc3.*``, with the running statistics).

    Args: as :func:`lenet5`, but ``in_channels`` defaults to 3.
    """
    return lenet(
        engine,
        "lenet5_bn",
        in_channels,
        num_classes,
        image_size,
        activation="relu",
        pool="max",
        batch_norm=True,
    )
