"""Stopping a run whose numbers stop being finite.

PyTorch trains on with a ``nan`` loss; a trainer must look. Each step checks the loss before
``backward`` and the gradients before ``optimizer.step()`` (so the weights are never updated
with a non-finite gradient), and each epoch's end checks the weights before its checkpoint is
written: the checkpoint on disk is always the last one whose numbers were all finite.
"""

from __future__ import annotations

import contextlib
import math
import re
from typing import Any

import numpy as np

from cnnlab.ops.floating import quietly

EXIT_DIVERGED = 3  # the exit status of ``cnnlab train`` when the run diverged


class TrainingDiverged(ArithmeticError):
    """The loss, a gradient or a weight of a run is ``nan`` or infinite.

    ``str()`` is one line: where (epoch and batch), what and its value, and the hint; the
    trainer adds which checkpoint is kept in ``kept``.
    """

    def __init__(
        self,
        epoch: int,
        batch: int,
        batches: int,
        what: str,
        value: float | None,
        lr: float,
        trace: str = "",
    ):
        super().__init__(epoch, batch, what, value)
        self.epoch, self.batch, self.batches = epoch, batch, batches
        self.what, self.value, self.lr = what, value, lr
        self.trace = trace  # anomaly mode: the traceback of the op's creation
        self.kept = ""

    def __str__(self) -> str:
        found = self.what if self.value is None else f"{self.what} is {self.value}"
        return (
            f"training diverged at epoch {self.epoch}, batch {self.batch}/{self.batches}: "
            f"{found}; lower --lr (this run's is {self.lr:g}){self.kept}"
        )


def first_non_finite(values: dict[str, Any]) -> tuple[str, float] | None:
    """The name and first non-finite element of the first array in ``values`` (cnnlab or
    PyTorch tensors, or arrays) that has one; ``None`` when every element is finite."""
    for name, value in values.items():
        array = value if isinstance(value, np.ndarray) else value.detach().cpu().numpy()
        finite = np.isfinite(array)
        if not finite.all():
            return name, float(array[~finite].flat[0])
    return None


def check_loss(value: float, where: dict[str, Any]) -> None:
    """Raise :class:`TrainingDiverged` if the batch's loss ``value`` is not finite."""
    if not math.isfinite(value):
        raise TrainingDiverged(what="the loss", value=value, **where)


@quietly
def check_gradients(model, where: dict[str, Any]) -> None:
    """Raise :class:`TrainingDiverged` naming the first parameter whose gradient is not
    finite."""
    grads = {name: p.grad for name, p in model.named_parameters() if p.grad is not None}
    found = first_non_finite(grads)
    if found is not None:
        raise TrainingDiverged(what=f"the gradient of {found[0]}", value=found[1], **where)


@quietly
def check_weights(model, where: dict[str, Any]) -> None:
    """Raise :class:`TrainingDiverged` naming the first weight (or buffer) that is not finite
    after the step that ended the epoch."""
    state = {name: value for name, value in model.state_dict().items() if value.is_floating_point()}
    found = first_non_finite(state)
    if found is not None:
        raise TrainingDiverged(what=f"{found[0]} after the step", value=found[1], **where)


def anomaly_mode(lib, enabled: bool):
    """The engine's anomaly mode for ``cnnlab train --detect-anomaly`` (a no-op context when
    not ``enabled``): cnnlab's with its forward and ``inf`` checks, or PyTorch's."""
    if not enabled:
        return contextlib.nullcontext()
    if lib.__name__ == "cnnlab":
        return lib.autograd.set_detect_anomaly(True, check_forward=True, check_inf=True)
    return lib.autograd.set_detect_anomaly(True)


ANOMALY = re.compile(r"Function '\w+' returned \S+ values in its \w+ output")


def anomaly_found(error: RuntimeError, where: dict[str, Any]) -> TrainingDiverged | None:
    """The divergence an anomaly-mode error reports (cnnlab's ``AnomalyError`` or PyTorch's
    ``RuntimeError``), or ``None`` for any other error."""
    headline = str(error).split("\n", 1)[0]
    if not ANOMALY.match(headline):
        return None
    trace = str(error).split("\n", 1)[1] if "\n" in str(error) else ""
    return TrainingDiverged(what=headline.rstrip("."), value=None, trace=trace, **where)
