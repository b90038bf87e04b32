"""An interrupted run resumed from its checkpoint ends exactly where an uninterrupted one does."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.train import CheckpointError, TrainConfig, resolve_config, resumed_config, train
from cnnlab.train.checkpoint import load_checkpoint


class Killed(Exception):
    """Stands for the process dying right after a checkpoint was written."""


def run(digits, out, *, stop_after=None, **options):
    config = TrainConfig(out=str(out), quiet=True, plots=False, batch_size=32, **options)

    def kill(epoch, history):
        if epoch == stop_after:
            raise Killed

    return train(config, data=digits, on_epoch_end=kill)


def resume(digits, out, **overrides):
    config = resolve_config(TrainConfig(resume=True, out=str(out)), overrides)
    return train(config, data=digits)


def weights(model) -> dict[str, np.ndarray]:
    return {k: np.array(v.detach().numpy()) for k, v in model.state_dict().items()}


def without_timing(history):
    return [
        {k: v for k, v in row.items() if k not in ("seconds", "images_per_s")} for row in history
    ]


def assert_same_run(a, b):
    wa, wb = weights(a.model), weights(b.model)
    assert list(wa) == list(wb)
    for key in wa:
        np.testing.assert_array_equal(wa[key], wb[key], err_msg=key)
    assert without_timing(a.history) == without_timing(b.history)
    assert a.report["confusion_matrix"] == b.report["confusion_matrix"]


@pytest.mark.parametrize(
    "options",
    [
        dict(augment=True),  # the defaults: SGD with momentum, one-cycle per batch
        dict(model="lenet5_bn", optimizer="adam", schedule="step"),
        dict(engine="torch", schedule="cosine", augment=True),
    ],
    ids=["numpy-sgd-onecycle-augment", "numpy-bn-adam-step", "torch-sgd-cosine-augment"],
)
def test_resumed_run_equals_uninterrupted_run(tmp_path, digits, options):
    straight = run(digits, tmp_path / "straight", epochs=4, **options)
    with pytest.raises(Killed):
        run(digits, tmp_path / "killed", epochs=4, stop_after=2, **options)
    assert load_checkpoint(tmp_path / "killed" / "checkpoint.npz").epoch == 2
    resumed = resume(digits, tmp_path / "killed")
    assert_same_run(straight, resumed)
    assert (tmp_path / "killed" / "metrics.csv").read_text().count("\n") == 5


def test_a_run_without_schedule_can_be_extended(tmp_path, digits):
    straight = run(digits, tmp_path / "straight", epochs=4, schedule="none")
    run(digits, tmp_path / "short", epochs=2, schedule="none")
    extended = resume(digits, tmp_path / "short", epochs=4)
    assert_same_run(straight, extended)


def test_resuming_a_finished_run_only_reports(tmp_path, digits):
    first = run(digits, tmp_path / "done", epochs=1, schedule="none")
    again = resume(digits, tmp_path / "done")
    assert_same_run(first, again)


def test_a_resumed_run_keeps_its_configuration(tmp_path, digits):
    run(digits, tmp_path / "r", epochs=2)
    saved = load_checkpoint(tmp_path / "r" / "checkpoint.npz").config
    with pytest.raises(ValueError, match=r"changed: lr=0.2 \(checkpoint: 0.05\)"):
        resumed_config(saved, {"lr": 0.2})
    with pytest.raises(ValueError, match="'onecycle' schedule depends on the number of epochs"):
        resumed_config(saved, {"epochs": 5})
    assert (
        resumed_config(saved, {"lr": 0.05, "quiet": False, "metrics": "jsonl"}).metrics == "jsonl"
    )


def test_a_fresh_run_does_not_overwrite_an_existing_one(tmp_path, digits):
    run(digits, tmp_path / "r", epochs=1)
    with pytest.raises(ValueError, match="already holds a run"):
        run(digits, tmp_path / "r", epochs=1)


def test_resume_without_a_checkpoint_is_an_error(tmp_path, digits):
    with pytest.raises(CheckpointError, match="no such checkpoint file"):
        resume(digits, tmp_path / "nothing")
