"""Data-parallel training on several processes through ``torch.distributed`` (gloo on CPUs),
as launched by ``torchrun``; on either engine.

``--batch-size`` is the global batch. Every rank draws the same seeded order and augmentation
(``batches.epoch_rng``) and takes its contiguous share of each global batch of ``B`` images
(rank ``r`` of ``W`` gets ``B // W`` images, one more for the first ``B % W`` ranks). The
single-process step minimizes the mean loss ``L = (1/B) sum_i l_i``; rank ``r`` back-propagates
``(n_r / B) L_r`` (``L_r`` the mean over its ``n_r`` images) and the gradients are summed over
the ranks, so every rank steps with ``dL/dw`` itself, a smaller last batch included:

- NumPy engine: the gradient arrays are copied into one flat float buffer per step and summed
  by ``torch.distributed.all_reduce`` through ``torch.from_numpy`` (no copy into torch);
- PyTorch engine: ``DistributedDataParallel``, which averages (``/ W``), so the loss is scaled
  by ``n_r W / B``.

Batch norm uses the statistics of the global batch (PyTorch's ``SyncBatchNorm``, which PyTorch
runs on GPUs only, written here for both engines): the per-channel sums of ``x`` and ``x**2``
and the count are all-reduced, and the all-reduce's backward sums their gradients over the
ranks. Evaluation splits the images across ranks and sums the loss and predictions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import numpy as np

from cnnlab.autograd.function import Function
from cnnlab.train.batches import ImageBatches

RANK_VARIABLES = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def launched_by_torchrun(environ: dict[str, str] | None = None) -> bool:
    """Whether this process runs under ``torchrun`` (its rank variables are set)."""
    environ = os.environ if environ is None else environ
    return all(name in environ for name in RANK_VARIABLES)


def join_process_group() -> None:
    """``torch.distributed.init_process_group("gloo")`` from torchrun's environment, once."""
    try:
        import torch.distributed as dist
    except ImportError as error:
        raise ImportError(
            "training on several processes needs PyTorch (torch.distributed): "
            "pip install 'cnnlab[torch]'"
        ) from error
    if not dist.is_initialized():
        rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        store = attempt_store(rank, world_size)
        dist.init_process_group("gloo", store=store, rank=rank, world_size=world_size)


def attempt_store(rank: int, world_size: int):
    """torchrun's key-value store (``MASTER_ADDR:MASTER_PORT``, hosted by its agent, else by
    rank 0) under a prefix naming the attempt: workers restarted by ``--max-restarts`` must not
    read the addresses the dead attempt's workers left in it."""
    import torch.distributed as dist

    agent = os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True"
    store = dist.TCPStore(
        os.environ["MASTER_ADDR"],
        int(os.environ["MASTER_PORT"]),
        world_size,
        is_master=not agent and rank == 0,
    )
    attempt = os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")
    return dist.PrefixStore(f"cnnlab/attempt-{attempt}", store)


def leave_process_group() -> None:
    """``torch.distributed.destroy_process_group()``, if one is up."""
    if joined():
        import torch.distributed as dist

        dist.destroy_process_group()


def joined() -> bool:
    """Whether a process group is up (without importing torch when it is not loaded)."""
    import sys

    dist = sys.modules.get("torch.distributed")
    return dist is not None and dist.is_available() and dist.is_initialized()


def restarted(environ: dict[str, str] | None = None) -> bool:
    """Whether torchrun restarted this worker (``--max-restarts``) after a failure."""
    environ = os.environ if environ is None else environ
    return int(environ.get("TORCHELASTIC_RESTART_COUNT", "0")) > 0


def may_restart(environ: dict[str, str] | None = None) -> bool:
    """Whether torchrun will restart the workers after a failure (``--max-restarts`` > 0)."""
    environ = os.environ if environ is None else environ
    return int(environ.get("TORCHELASTIC_MAX_RESTARTS", "0")) > 0


def share(count: int, rank: int, world_size: int) -> slice:
    """Rank ``rank``'s contiguous part of ``count`` items: ``count // world_size`` items, one
    more for the first ``count % world_size`` ranks (as ``numpy.array_split``)."""
    base, extra = divmod(count, world_size)
    start = rank * base + min(rank, extra)
    return slice(start, start + base + (rank < extra))


def agreed_on_rank0(decide: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``decide()`` run on rank 0 only, its JSON-ready result sent to every rank; a
    ``ValueError`` or ``OSError`` it raises is raised on every rank."""
    import torch
    import torch.distributed as dist

    text = b""
    if dist.get_rank() == 0:
        try:
            text = json.dumps({"value": decide()}).encode()
        except (ValueError, OSError) as error:
            text = json.dumps({"error": str(error)}).encode()
    size = torch.tensor([len(text)], dtype=torch.int64)
    dist.broadcast(size, 0)
    data = torch.zeros(int(size), dtype=torch.uint8)
    if dist.get_rank() == 0:
        data.copy_(torch.frombuffer(bytearray(text), dtype=torch.uint8))
    dist.broadcast(data, 0)
    message = json.loads(data.numpy().tobytes().decode())
    if "error" in message:
        raise ValueError(message["error"])
    return message["value"]


class OneProcess:
    """The ordinary run: the whole batch, the plain gradient, nothing to exchange."""

    rank, world_size, is_main = 0, 1, True

    def attach(self, run) -> None:
        """Nothing to prepare."""

    def training_module(self, model):
        """What the training step calls: the model itself."""
        return model

    def default_threads(self) -> int | None:
        return None

    def batches(
        self, batches: ImageBatches, batch_size: int, rng: np.random.Generator
    ) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        """``(images, labels, images in the global batch)`` for one epoch."""
        for images, labels in batches.epoch(batch_size, rng):
            yield images, labels, len(labels)

    def backward(self, loss, count: int, total: int) -> None:
        loss.backward()

    def part(self, count: int) -> slice:
        return slice(0, count)

    def sums(self, *values: float) -> list[float]:
        return list(values)

    def joined_predictions(
        self, loss_sum: float, predictions: np.ndarray, part: slice, count: int
    ) -> tuple[float, np.ndarray]:
        return loss_sum, predictions


class DataParallel(OneProcess):
    """One rank of a data-parallel run in the current process group (see the module)."""

    def __init__(self, engine: str) -> None:
        import torch.distributed as dist

        self.engine = engine
        self.rank, self.world_size = dist.get_rank(), dist.get_world_size()
        self.is_main = self.rank == 0
        self.local_world_size = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
        self.buffer: np.ndarray | None = None

    def attach(self, run) -> None:
        """Synchronize the model's batch norm and (torch) wrap it in DistributedDataParallel;
        call once the weights are final (restored from a checkpoint, if resuming)."""
        if run.config.batch_size < self.world_size:
            raise ValueError(
                f"batch_size {run.config.batch_size} is smaller than the {self.world_size} "
                "processes: each process needs at least one image of every batch"
            )
        synchronize_batch_norm(run.model, run.lib)
        self.parameters = [p for p in run.model.parameters() if p.requires_grad]
        self.wrapped = run.model
        if self.engine == "torch":
            from torch.nn.parallel import DistributedDataParallel

            self.wrapped = DistributedDataParallel(run.model, forward_sync_buffers=False)

    def training_module(self, model):
        """The model, in DistributedDataParallel on the PyTorch engine."""
        return self.wrapped

    def default_threads(self) -> int:
        """The machine's cores shared among the ranks on it."""
        return max(1, (os.cpu_count() or 1) // self.local_world_size)

    def batches(self, batches, batch_size, rng):
        """This rank's share of every global batch; a last batch with fewer images than ranks
        is dropped (every rank needs at least one image)."""
        for images, labels in batches.epoch(batch_size, rng):
            if len(labels) < self.world_size:
                return
            mine = share(len(labels), self.rank, self.world_size)
            yield images[mine], labels[mine], len(labels)

    def backward(self, loss, count: int, total: int) -> None:
        """Back-propagate ``(count / total) L_r`` and sum the gradients over the ranks."""
        if self.engine == "torch":
            (loss * (count * self.world_size / total)).backward()  # DDP averages over ranks
            return
        (loss * (count / total)).backward()
        self.all_reduce_gradients()

    def all_reduce_gradients(self) -> None:
        """Sum the NumPy engine's gradients over the ranks, in one flat buffer."""
        grads = [p.grad.numpy() for p in self.parameters]
        if self.buffer is None:
            self.buffer = np.empty(sum(g.size for g in grads), dtype=grads[0].dtype)
        np.concatenate([g.reshape(-1) for g in grads], out=self.buffer)
        all_reduce_array(self.buffer)
        offset = 0
        for g in grads:
            g[...] = self.buffer[offset : offset + g.size].reshape(g.shape)
            offset += g.size

    def part(self, count: int) -> slice:
        return share(count, self.rank, self.world_size)

    def sums(self, *values: float) -> list[float]:
        """Each value summed over the ranks."""
        totals = np.array(values, dtype=np.float64)
        all_reduce_array(totals)
        return [float(v) for v in totals]

    def joined_predictions(self, loss_sum, predictions, part, count):
        """The summed loss and every rank's predictions, in order, on every rank."""
        joined = np.zeros(count + 1, dtype=np.float64)
        joined[part] = predictions
        joined[count] = loss_sum
        all_reduce_array(joined)
        return float(joined[count]), joined[:count].astype(np.int64)


def current(engine: str) -> OneProcess:
    """A :class:`DataParallel` rank when a process group is up, else :class:`OneProcess`."""
    return DataParallel(engine) if joined() else OneProcess()


def all_reduce_array(array: np.ndarray) -> np.ndarray:
    """Sum ``array`` over the ranks in place (``torch.from_numpy`` shares its memory)."""
    import torch
    import torch.distributed as dist

    dist.all_reduce(torch.from_numpy(array))
    return array


# ----- batch norm with the statistics of the global batch


def batch_norm_classes(lib) -> tuple[type, ...]:
    """Engine ``lib``'s batch norm layers."""
    names = ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d")
    return tuple(getattr(lib.nn, name) for name in names if hasattr(lib.nn, name))


def synchronize_batch_norm(model, lib) -> None:
    """Make every batch norm layer of ``model`` use the global batch's statistics in training
    (PyTorch's ``SyncBatchNorm.convert_sync_batchnorm``): its class becomes a subclass whose
    ``forward`` all-reduces them; parameters, buffers and state_dict keys stay."""
    for module in model.modules():
        if type(module) in batch_norm_classes(lib):
            module.__class__ = synchronized_class(type(module), lib)


@cache
def synchronized_class(base: type, lib) -> type:
    """``base`` (a batch norm class of engine ``lib``) with synchronized training statistics."""

    def forward(self, input):
        if not self.training or not self.track_running_stats:
            return base.forward(self, input)
        return synchronized_batch_norm(self, input, lib)

    return type(f"Sync{base.__name__}", (base,), {"forward": forward, "__doc__": base.__doc__})


def all_reduce_function(lib) -> Callable:
    """A differentiable sum over the ranks: forward all-reduces the tensor, backward its
    gradient (each rank's output depends on every rank's input)."""
    if lib.__name__ == "torch":
        return torch_all_reduce_class().apply
    return AllReduce.apply


@cache
def torch_all_reduce_class() -> type:
    """The PyTorch engine's :class:`AllReduce` (a ``torch.autograd.Function``)."""
    import torch
    import torch.distributed as dist

    class TorchAllReduce(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x = x.clone()
            dist.all_reduce(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            grad = grad.clone()
            dist.all_reduce(grad)
            return grad

    return TorchAllReduce


class AllReduce(Function):
    """The NumPy engine's differentiable sum over the ranks (``torch.distributed.nn.functional
    .all_reduce``)."""

    def forward(self, x):
        return all_reduce_array(np.array(x))

    def backward(self, grad):
        return all_reduce_array(np.array(grad))


def synchronized_batch_norm(bn, x, lib):
    """Eq. (8.18) in training with the global batch's mean and (biased) variance, from the
    all-reduced per-channel ``sum x``, ``sum x**2`` (float64) and count; the running
    statistics are updated as PyTorch does (the variance unbiased with the global count).
    ``x`` is (N, C, ...) with this rank's N."""
    channels = x.shape[1]
    dims = (0, *range(2, x.ndim))
    shape = (1, channels) + (1,) * (x.ndim - 2)
    wide = x.double()
    count = lib.tensor([x.numel() // channels], dtype=lib.float64)
    totals = all_reduce_function(lib)(lib.cat([wide.sum(dims), (wide * wide).sum(dims), count]))
    values = float(totals[-1].item())
    if values <= 1:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, got {values:g} "
            "over all processes"
        )
    mean = totals[:channels] / values
    var = totals[channels : 2 * channels] / values - mean * mean
    update_running_statistics(bn, mean.detach(), var.detach(), values, x.dtype, lib)
    inv_std = (var + bn.eps).rsqrt().to(x.dtype)
    y = (x - mean.to(x.dtype).reshape(shape)) * inv_std.reshape(shape)
    if bn.weight is not None:
        y = y * bn.weight.reshape(shape)
    if bn.bias is not None:
        y = y + bn.bias.reshape(shape)
    return y


def update_running_statistics(bn, mean, var, values: float, dtype, lib) -> None:
    """``running = (1 - m) running + m batch`` with ``m`` the momentum (or ``1 / batches`` when
    it is None), the variance times ``values / (values - 1)``."""
    with lib.no_grad():
        bn.num_batches_tracked.add_(1)
        momentum = bn.momentum
        if momentum is None:
            momentum = 1.0 / float(bn.num_batches_tracked.item())
        bn.running_mean.mul_(1 - momentum).add_((mean * momentum).to(dtype))
        unbiased = var * (values / (values - 1))
        bn.running_var.mul_(1 - momentum).add_((unbiased * momentum).to(dtype))
