"""The training loop of Section 8.6.3, written once against PyTorch's API.

``lib`` is ``cnnlab`` (the NumPy engine) or ``torch``; every call below (``lib.from_numpy``,
``model(x)``, ``loss.backward()``, ``optimizer.step()``, ``lib.no_grad()``) exists in both, so
the same code trains on either engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cnnlab.data import ImageData, Normalize
from cnnlab.models import build, engine_module
from cnnlab.train.batches import ImageBatches, augmentation, epoch_rng, normalization
from cnnlab.train.checkpoint import (
    Checkpoint,
    load_model_state,
    load_optimizer_state,
    model_state,
    optimizer_state,
)
from cnnlab.train.config import TrainConfig
from cnnlab.train.distributed import OneProcess
from cnnlab.train.divergence import (
    anomaly_found,
    anomaly_mode,
    check_gradients,
    check_loss,
    check_weights,
)
from cnnlab.train.metrics import COLUMNS
from cnnlab.train.progress import EpochProgress
from cnnlab.train.splits import image_shape

EVAL_BATCH = 500


@dataclass
class Run:
    """The live objects of a run on engine ``lib``."""

    config: TrainConfig
    lib: Any
    model: Any
    optimizer: Any
    scheduler: Any
    per_batch_schedule: bool
    loss_fn: Any
    train: ImageBatches
    test: ImageBatches
    info: dict[str, Any]
    poll: Callable[[], None] | None = None  # called between batches (raises to stop the run)
    parallel: OneProcess = field(default_factory=OneProcess)


def make_optimizer(config: TrainConfig, lib, parameters):
    """SGD with momentum (PyTorch's formulation) or Adam, with the config's weight decay."""
    if config.optimizer == "adam":
        return lib.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay)
    return lib.optim.SGD(
        parameters, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
    )


def make_scheduler(config: TrainConfig, lib, optimizer, steps_per_epoch: int):
    """Return ``(scheduler or None, stepped per batch?)`` for ``config.schedule``."""
    schedules = lib.optim.lr_scheduler
    epochs = config.epochs
    if config.schedule == "step":
        milestones = sorted({max(1, epochs // 2), max(1, (3 * epochs) // 4)})
        return schedules.MultiStepLR(optimizer, milestones, gamma=0.1), False
    if config.schedule == "cosine":
        return schedules.CosineAnnealingLR(optimizer, T_max=epochs), False
    if config.schedule == "onecycle":
        total = epochs * steps_per_epoch
        return schedules.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total), True
    return None, False


def build_run(config: TrainConfig, train: ImageData, test: ImageData) -> Run:
    """Seed the engine, build the model for the data's shape and classes, and the optimizer,
    schedule and batch sources."""
    lib = engine_module(config.engine)
    channels, size, _ = image_shape(train)
    # The initial weights are drawn by the NumPy engine from the seed on either engine, so the
    # same seed starts both from the same weights; the batch order and the augmentation come
    # from NumPy generators too (batches.epoch_rng), so the two runs are the same run.
    model = build(
        config.model,
        lib,
        in_channels=channels,
        num_classes=len(train.classes),
        image_size=size,
        seed=config.seed,
    )
    mean, std = normalization(config.data, channels)
    normalize = Normalize(mean, std)
    train_batches = ImageBatches(
        train.images,
        train.labels,
        normalize,
        augmentation(config.data, size) if config.augment else None,
    )
    test_batches = ImageBatches(test.images, test.labels, normalize)
    optimizer = make_optimizer(config, lib, model.parameters())
    steps = train_batches.num_batches(config.batch_size)
    if steps == 0:
        raise ValueError(
            f"{train.name}: the training split has {len(train)} image(s), too few to train on"
        )
    scheduler, per_batch = make_scheduler(config, lib, optimizer, steps)
    info = {
        "model": config.model,
        "data": config.data,
        "engine": config.engine,
        "classes": list(train.classes),
        "input_shape": [channels, size, size],
        "mean": list(mean),
        "std": list(std),
    }
    return Run(
        config,
        lib,
        model,
        optimizer,
        scheduler,
        per_batch,
        lib.nn.CrossEntropyLoss(),
        train_batches,
        test_batches,
        info,
    )


def train_one_epoch(run: Run, epoch: int, progress: EpochProgress) -> dict[str, float]:
    """One pass over the shuffled training batches: forward, loss, zero_grad, backward, step.

    On several processes each rank computes its share of every batch and the gradients are
    summed over the ranks (see ``distributed``). Returns the epoch's mean loss and accuracy
    (running, in train mode), its learning rate at the start, its duration and throughput.

    Raises :class:`~cnnlab.train.divergence.TrainingDiverged` when the loss or a gradient of a
    batch, or a weight at the end, is not finite (on every rank alike); the step is then not
    taken.
    """
    lib, optimizer, parallel = run.lib, run.optimizer, run.parallel
    scheduler = run.scheduler if run.per_batch_schedule else None
    lr = float(optimizer.param_groups[0]["lr"])
    model = parallel.training_module(run.model)
    model.train()
    loss_sum, correct, seen = 0.0, 0, 0
    batches = run.train.num_batches(run.config.batch_size)
    start = time.perf_counter()
    rng = epoch_rng(run.config.seed, epoch)
    batch_source = parallel.batches(run.train, run.config.batch_size, rng)
    for batch, (images, labels, total) in enumerate(batch_source, start=1):
        where = {"epoch": epoch, "batch": batch, "batches": batches, "lr": run.config.lr}
        if run.poll is not None:
            run.poll()
        inputs, targets = lib.from_numpy(images), lib.from_numpy(labels)
        try:
            with anomaly_mode(lib, run.config.detect_anomaly):
                outputs, value = train_step(run, model, inputs, targets, total, where)
        except RuntimeError as error:
            diverged = anomaly_found(error, where)
            if diverged is None:
                raise
            raise diverged from error
        if scheduler is not None:
            scheduler.step()
        count = len(labels)
        loss_sum += value * count
        correct += int((outputs.argmax(1) == targets).sum())
        seen += count
        progress.update(total, loss_sum / seen, correct / seen)
    check_weights(run.model, where)
    seconds = time.perf_counter() - start
    if run.scheduler is not None and not run.per_batch_schedule:
        run.scheduler.step()
    loss_sum, correct, seen = parallel.sums(loss_sum, correct, seen)
    return {
        "lr": lr,
        "train_loss": loss_sum / seen,
        "train_acc": correct / seen,
        "seconds": seconds,
        "images_per_s": seen / seconds if seconds > 0 else float("inf"),
    }


def train_step(run: Run, model, inputs, targets, total: int, where: dict[str, Any]):
    """Forward, loss, zero_grad, backward, step on one batch (this rank's share of ``total``
    images); before the step, the loss (summed over the ranks, so that every rank decides
    alike) and the gradients are checked. Returns the outputs and this rank's loss."""
    outputs = model(inputs)
    loss = run.loss_fn(outputs, targets)
    value = loss.item()
    run.optimizer.zero_grad()
    run.parallel.backward(loss, len(targets), total)
    (everywhere,) = run.parallel.sums(value)
    check_loss(everywhere, where)
    check_gradients(run.model, where)
    run.optimizer.step()
    if run.config.detect_anomaly:
        check_weights(run.model, where)
    return outputs, value


def evaluate(run: Run, batches: ImageBatches) -> tuple[float, np.ndarray]:
    """Mean loss and the predicted class of every image, in eval mode without gradients (on
    several processes each rank evaluates its share and the results are joined)."""
    lib, model = run.lib, run.model
    was_training = model.training
    model.eval()
    part = run.parallel.part(len(batches))
    loss_sum, predictions = 0.0, [np.zeros(0, dtype=np.int64)]
    with lib.no_grad():
        for images, labels in batches.in_order(EVAL_BATCH, part):
            outputs = model(lib.from_numpy(images))
            loss_sum += run.loss_fn(outputs, lib.from_numpy(labels)).item() * len(labels)
            predictions.append(np.asarray(outputs.argmax(1).numpy(), dtype=np.int64))
    model.train(was_training)
    loss_sum, joined = run.parallel.joined_predictions(
        loss_sum, np.concatenate(predictions), part, len(batches)
    )
    return loss_sum / len(batches), joined


def capture(run: Run, epoch: int, history: list[dict[str, Any]]) -> Checkpoint:
    """Everything needed to continue the run after ``epoch`` epochs."""
    rng = run.lib.get_rng_state()
    return Checkpoint(
        epoch=epoch,
        config=run.config.to_dict(),
        history=history,
        model=model_state(run.model),
        info=run.info,
        optimizer=optimizer_state(run.optimizer),
        scheduler=None if run.scheduler is None else run.scheduler.state_dict(),
        rng=rng if isinstance(rng, dict) else rng.numpy(),
    )


def restore(run: Run, checkpoint: Checkpoint) -> None:
    """Put the model, optimizer, schedule and global RNG back as they were at the checkpoint."""
    lib = run.lib
    load_model_state(run.model, checkpoint.model, lib)
    if checkpoint.optimizer is not None:
        load_optimizer_state(run.optimizer, checkpoint.optimizer, lib)
    if run.scheduler is not None and checkpoint.scheduler is not None:
        run.scheduler.load_state_dict(checkpoint.scheduler)
    if isinstance(checkpoint.rng, dict):
        lib.set_rng_state(checkpoint.rng)
    elif checkpoint.rng is not None:
        lib.set_rng_state(lib.from_numpy(np.array(checkpoint.rng)))


def run_epochs(
    run: Run,
    history: list[dict[str, Any]],
    *,
    show_progress: bool,
    after_epoch: Callable[[int, list[dict[str, Any]]], None],
) -> list[dict[str, Any]]:
    """Train from the epoch after the last in ``history`` to ``config.epochs``, evaluating on the
    test split after each epoch and calling ``after_epoch(epoch, history)``."""
    config = run.config
    for epoch in range(len(history) + 1, config.epochs + 1):
        progress = EpochProgress(epoch, config.epochs, len(run.train), disable=not show_progress)
        try:
            row = train_one_epoch(run, epoch, progress)
        finally:
            progress.close()
        test_loss, predictions = evaluate(run, run.test)
        row.update(
            epoch=epoch,
            test_loss=test_loss,
            test_acc=float(np.mean(predictions == run.test.labels)),
        )
        history.append({key: row[key] for key in COLUMNS})
        after_epoch(epoch, history)
    return history
