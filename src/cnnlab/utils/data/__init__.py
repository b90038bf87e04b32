"""Datasets, samplers and the ``DataLoader``, with PyTorch's names: ``cnnlab.utils.data``."""

from cnnlab.autograd.errors import missing_in
from cnnlab.utils.data.collate import (
    collate,
    default_collate,
    default_collate_fn_map,
    default_convert,
)
from cnnlab.utils.data.dataloader import DataLoader
from cnnlab.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from cnnlab.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from cnnlab.utils.data.worker import WorkerInfo, get_worker_info

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "collate",
    "default_collate",
    "default_collate_fn_map",
    "default_convert",
    "get_worker_info",
    "random_split",
]

# a torch name this module does not have raises NotImplementedError naming it
__getattr__ = missing_in("cnnlab.utils.data")
