"""Learning-rate schedules with PyTorch's names and recurrences:
``from cnnlab.optim import lr_scheduler``. Each gives the same sequence of rates as its
``torch.optim.lr_scheduler`` namesake, and its state_dict has the same keys."""

from cnnlab.autograd.errors import missing_in
from cnnlab.optim.lr_scheduler.composite import ChainedScheduler, SequentialLR
from cnnlab.optim.lr_scheduler.cyclic import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
)
from cnnlab.optim.lr_scheduler.factor import (
    ConstantLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from cnnlab.optim.lr_scheduler.one_cycle import OneCycleLR
from cnnlab.optim.lr_scheduler.plateau import ReduceLROnPlateau
from cnnlab.optim.lr_scheduler.scheduler import LRScheduler

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
]

# a torch name this module does not have raises NotImplementedError naming it
__getattr__ = missing_in("cnnlab.optim.lr_scheduler")
