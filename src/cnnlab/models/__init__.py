"""The chapter's networks, each buildable on the NumPy engine or on PyTorch with the same
parameter names and counts, so that state_dicts move between the engines unchanged.

Example:
    >>> from cnnlab.models import build
    >>> net = build("lenet5_bn")
    >>> sum(p.numel() for p in net.parameters())
    62186
"""

from cnnlab.models.chapter_net import chapter_net
from cnnlab.models.engine import ENGINES, engine_module, engine_name
from cnnlab.models.lenet import lenet5, lenet5_bn, lenet5_classic
from cnnlab.models.registry import DATASET_INPUT_SHAPES, MODELS, ModelSpec, build, model_spec
from cnnlab.models.resnet import resnet
from cnnlab.models.summary import LayerRow, ModelSummary, format_summary, model_library, summary

__all__ = [
    "DATASET_INPUT_SHAPES",
    "ENGINES",
    "MODELS",
    "LayerRow",
    "ModelSpec",
    "ModelSummary",
    "build",
    "chapter_net",
    "engine_module",
    "engine_name",
    "format_summary",
    "lenet5",
    "lenet5_bn",
    "lenet5_classic",
    "model_library",
    "model_spec",
    "resnet",
    "summary",
]
