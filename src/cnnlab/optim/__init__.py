"""Optimizers and learning-rate schedules: ``from cnnlab import optim``."""

from cnnlab.optim import lr_scheduler
from cnnlab.optim.adam import Adam
from cnnlab.optim.optimizer import Optimizer
from cnnlab.optim.sgd import SGD

__all__ = ["SGD", "Adam", "Optimizer", "lr_scheduler"]
