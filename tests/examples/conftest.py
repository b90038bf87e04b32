"""Fixtures running each program of ``examples/`` once on cnnlab and once on PyTorch."""

import pytest

from example_programs import LIBRARIES, load_example


@pytest.fixture(params=LIBRARIES)
def library(request) -> str:
    """Each test runs once on cnnlab and once on PyTorch."""
    return request.param


@pytest.fixture
def example(library, monkeypatch):
    """``example(name)``: the program ``name`` loaded on the library of this run."""
    return lambda name: load_example(name, library, monkeypatch)
