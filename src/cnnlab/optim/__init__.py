"""Optimizers and learning-rate schedules with PyTorch's names: ``from cnnlab import optim``."""

from cnnlab.autograd.errors import NotAvailable, missing
from cnnlab.optim import lr_scheduler
from cnnlab.optim.adadelta import Adadelta
from cnnlab.optim.adagrad import Adagrad
from cnnlab.optim.adam import Adam, AdamW
from cnnlab.optim.adam_variants import Adamax, NAdam, RAdam
from cnnlab.optim.optimizer import Optimizer
from cnnlab.optim.rmsprop import RMSprop
from cnnlab.optim.sgd import SGD

# torch.optim optimizers cnnlab does not have: naming one raises, rather than a bare AttributeError
MISSING = ("ASGD", "LBFGS", "Rprop", "SparseAdam", "Adafactor", "Muon")

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "lr_scheduler",
]


def __getattr__(name: str):
    if name in MISSING:
        raise NotAvailable(
            f"cnnlab.optim.{name} is not implemented; cnnlab.optim has "
            f"{', '.join(n for n in __all__ if n not in ('Optimizer', 'lr_scheduler'))}"
        )
    missing(name, "cnnlab.optim")
