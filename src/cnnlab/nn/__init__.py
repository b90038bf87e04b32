"""Layers and networks with PyTorch's names: ``from cnnlab import nn``."""

from cnnlab.nn import functional, init
from cnnlab.nn.module import Module, Parameter
from cnnlab.nn.modules.activation import Dropout, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from cnnlab.nn.modules.container import ModuleList, Sequential
from cnnlab.nn.modules.conv import Conv2d
from cnnlab.nn.modules.linear import Flatten, Identity, Linear
from cnnlab.nn.modules.loss import CrossEntropyLoss, MSELoss, NLLLoss
from cnnlab.nn.modules.normalization import BatchNorm1d, BatchNorm2d
from cnnlab.nn.modules.pooling import AvgPool2d, MaxPool2d

__all__ = [
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "Identity",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "init",
]
