"""The model registry: names, default inputs, and ``build`` on either engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import ModuleType

import numpy as np

from cnnlab.models.chapter_net import chapter_net
from cnnlab.models.engine import engine_module, engine_name
from cnnlab.models.lenet import default_image_size, lenet5, lenet5_bn, lenet5_classic
from cnnlab.models.resnet import resnet

Shape = tuple[int, int, int]

# The (C, H, W) of the images of each dataset in cnnlab.data.DATASETS.
DATASET_INPUT_SHAPES: dict[str, Shape] = {
    "mnist5k": (1, 28, 28),
    "mnist": (1, 28, 28),
    "fashion-mnist": (1, 28, 28),
    "cifar10": (3, 32, 32),
    "cifar2": (3, 32, 32),
}


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: its builder, a one-line description and the input it was made for.

    Every model is built for any ``(C, H, W)`` large enough; ``input_shape`` and
    ``num_classes`` are the defaults (the chapter's), and :attr:`input_shapes` gives the input
    it takes for each dataset.
    """

    name: str
    builder: Callable
    description: str
    input_shape: Shape
    num_classes: int

    @property
    def input_shapes(self) -> dict[str, Shape]:
        """The input shape for each dataset: the dataset's own image shape."""
        return dict(DATASET_INPUT_SHAPES)


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "chapter_net",
            chapter_net,
            "the small CNN of Fig. 8.22 (tanh, max pooling; 18,090 parameters on 3x32x32, "
            "2 classes)",
            (3, 32, 32),
            2,
        ),
        ModelSpec(
            "lenet5",
            lenet5,
            "LeNet-5 of Fig. 8.11 with ReLU and max pooling (1x28x28 padded by 2, or 3x32x32)",
            (1, 28, 28),
            10,
        ),
        ModelSpec(
            "lenet5_classic",
            lenet5_classic,
            "LeNet-5 as in LeCun et al. 1998: tanh and average pooling",
            (1, 28, 28),
            10,
        ),
        ModelSpec(
            "lenet5_bn",
            lenet5_bn,
            "the LeNet-5 of Section 8.6.6 with BatchNorm2d(6) and BatchNorm1d(84) "
            "(62,186 parameters on 3x32x32)",
            (3, 32, 32),
            10,
        ),
        ModelSpec(
            "resnet",
            resnet,
            "d2l's ResNet-18 layout (7x7 stem, four stages of two residual blocks) at width 8: "
            "channels 8-16-32-64, 176,954 parameters on 1x28x28",
            (1, 28, 28),
            10,
        ),
    )
}


def model_spec(name: str) -> ModelSpec:
    """Return the registered spec of ``name``, or raise ``ValueError`` listing the names."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}, expected one of {', '.join(MODELS)}")
    return MODELS[name]


# Weights shipped in the package: checkpoints written by ``cnnlab train`` (see the README).
PRETRAINED: dict[str, str] = {"lenet5": "lenet5-mnist5k.npz"}


def pretrained_path(name: str) -> Path:
    """The packaged checkpoint of model ``name`` (only ``lenet5``, trained on ``mnist5k``)."""
    if name not in PRETRAINED:
        raise ValueError(
            f"no pretrained weights for {name!r}; pretrained models: {', '.join(PRETRAINED)}"
        )
    return Path(str(resources.files("cnnlab.models") / "pretrained" / PRETRAINED[name]))


def pretrained_state(name: str) -> dict[str, np.ndarray]:
    """The state_dict arrays of the packaged checkpoint of ``name``."""
    path = pretrained_path(name)
    with np.load(path, allow_pickle=False) as archive:
        prefix = "model/"
        return {key[len(prefix) :]: archive[key] for key in archive.files if key.startswith(prefix)}


def build(
    name: str,
    engine: str | ModuleType = "numpy",
    *,
    in_channels: int | None = None,
    num_classes: int | None = None,
    image_size: int | None = None,
    seed: int | None = None,
    pretrained: bool = False,
):
    """Build the registered model ``name`` on ``engine`` (``"numpy"`` or ``"torch"``).

    Arguments left as ``None`` take the model's defaults (``MODELS[name]``); the parameter
    names and counts are the same on both engines, so state_dicts move between them. With
    ``pretrained`` the weights are those shipped in the package (``lenet5`` for 1x28x28
    digits, trained on ``mnist5k``), the model in eval mode.

    With ``seed``, the engine's global generator is seeded (``manual_seed(seed)``) and the
    initial weights are drawn once, by cnnlab's NumPy engine from that seed, whichever engine
    the model is built on: the same seed gives the same starting weights on NumPy and on
    PyTorch, bit for bit. Without it, each engine draws its own from its global generator.

    Example:
        >>> model = build("chapter_net")
        >>> sum(p.numel() for p in model.parameters())
        18090
    """
    spec = model_spec(name)
    state = pretrained_state(name) if pretrained else None
    if pretrained and (in_channels, num_classes, image_size) != (None, None, None):
        raise ValueError(
            f"pretrained {name} takes its default input {'x'.join(map(str, spec.input_shape))} "
            "and classes; leave in_channels, num_classes and image_size unset"
        )
    if in_channels is None:
        in_channels = spec.input_shape[0]
        image_size = spec.input_shape[1] if image_size is None else image_size
    sizes = dict(
        in_channels=in_channels,
        num_classes=spec.num_classes if num_classes is None else num_classes,
        image_size=default_image_size(in_channels) if image_size is None else image_size,
    )
    model = initial_model(spec, engine, sizes, seed)
    if state is not None:
        lib = engine_module(engine)
        model.load_state_dict({key: lib.from_numpy(value) for key, value in state.items()})
        model.eval()
    return model


def initial_model(spec: ModelSpec, engine, sizes: dict[str, int], seed: int | None):
    """The model with its initial weights, drawn from ``seed`` when one is given."""
    if seed is None:
        return spec.builder(engine, **sizes)
    lib = engine_module(engine)
    lib.manual_seed(seed)
    if engine_name(lib) == "numpy":
        return spec.builder(lib, **sizes)
    return with_numpy_weights(spec.builder(lib, **sizes), spec, sizes, seed)


def with_numpy_weights(model, spec: ModelSpec, sizes: dict[str, int], seed: int):
    """``model`` (on PyTorch) with the initial weights cnnlab draws for ``seed``: cnnlab's
    global generator is seeded for the draw and put back as it was afterwards."""
    import cnnlab

    saved = cnnlab.get_rng_state()
    try:
        cnnlab.manual_seed(seed)
        reference = spec.builder(cnnlab, **sizes)
    finally:
        cnnlab.set_rng_state(saved)
    lib = engine_module("torch")
    model.load_state_dict(
        {key: lib.from_numpy(value.numpy().copy()) for key, value in reference.state_dict().items()}
    )
    return model
