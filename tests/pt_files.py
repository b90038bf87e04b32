"""Helpers of the ``.pt`` file tests: a model for both engines, and the comparison of an object
loaded by cnnlab with the same object in PyTorch."""

from __future__ import annotations

import io

import numpy as np
import torch

import cnnlab


def lenet(nn):
    """d2l's LeNet (sigmoid, average pooling) with a batch norm, on either engine."""
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.BatchNorm2d(6),
        nn.Conv2d(6, 16, kernel_size=5),
        nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.Sigmoid(),
        nn.Linear(120, 84),
        nn.Sigmoid(),
        nn.Linear(84, 10),
    )


def assert_same(ours, theirs) -> None:
    """``ours`` (cnnlab) equals ``theirs`` (torch): types, keys, dtypes, shapes, values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, cnnlab.Tensor), type(ours)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert ours.requires_grad == theirs.requires_grad
        assert isinstance(ours, cnnlab.nn.Parameter) == isinstance(theirs, torch.nn.Parameter)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs)
        assert list(ours) == list(theirs)
        for key in theirs:
            assert_same(ours[key], theirs[key])
    elif isinstance(theirs, torch.Size):
        assert isinstance(ours, cnnlab.Size) and tuple(ours) == tuple(theirs)
    elif isinstance(theirs, list | tuple):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for mine, other in zip(ours, theirs, strict=True):
            assert_same(mine, other)
    elif isinstance(theirs, torch.dtype):
        assert ours == getattr(cnnlab, str(theirs).removeprefix("torch."))
    elif isinstance(theirs, torch.device):
        assert isinstance(ours, cnnlab.device) and str(ours) == str(theirs)
    else:
        assert type(ours) is type(theirs) and ours == theirs


def save_with_torch(obj) -> io.BytesIO:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return buffer
