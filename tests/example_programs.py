"""Load a program of ``examples/`` in this process on cnnlab or on PyTorch.

Each program picks its library from ``EXAMPLES_LIBRARY`` when it is imported, so it is loaded
afresh, under a name of its own, for each library.
"""

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

import cnnlab

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
LIBRARIES = ("cnnlab", "torch")


def load_example(name: str, library: str, monkeypatch: pytest.MonkeyPatch):
    """The module ``examples/<name>.py`` imported with ``EXAMPLES_LIBRARY=library``."""
    monkeypatch.setenv("EXAMPLES_LIBRARY", library)
    module_name = f"example_{name}_{library}"
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, module_name, module)
    spec.loader.exec_module(module)
    expected = torch if library == "torch" else cnnlab
    assert module.torch is expected, f"{name}.py imported {module.torch.__name__}"
    return module
