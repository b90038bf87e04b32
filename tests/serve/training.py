"""Real training runs for the runs view: LeNet-5 on a few hundred mnist5k digits, finished or
stopped after some epochs (as a run still training, or one killed, leaves its directory)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from cnnlab.train import TrainConfig, train

RUN_LIMIT = 300  # images per split in the test runs


class StopTraining(Exception):
    """Raised from ``on_epoch_end`` to leave a run as an interrupted one."""


def stop_after(last_epoch: int):
    def check(epoch: int, history) -> None:
        if epoch >= last_epoch:
            raise StopTraining

    return check


def train_run(out: Path, epochs: int, stop_at: int | None = None, resume: bool = False) -> None:
    """A real run of LeNet-5 on 300 mnist5k digits, stopped after ``stop_at`` epochs if given."""
    config = TrainConfig(
        epochs=epochs, limit=RUN_LIMIT, out=str(out), plots=False, quiet=True, resume=resume
    )
    with contextlib.suppress(StopTraining):
        train(config, on_epoch_end=None if stop_at is None else stop_after(stop_at))
