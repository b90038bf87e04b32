"""Utilities with PyTorch's names: ``cnnlab.utils.data``."""

from cnnlab.utils import data

__all__ = ["data"]
