"""Crash safety from the user's side: an altered checkpoint is refused, a full disk stops the
run with one line and leaves the last checkpoint loadable, and a killed run loses at most the
epoch in flight."""

from __future__ import annotations

import errno
import subprocess
import sys
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from cnnlab.train import load_checkpoint
from cnnlab.utils import files

ONE_BATCH = ("--limit", "64", "--batch-size", "64", "--schedule", "none", "--quiet", "--no-plots")


def rewrite_entry(path: Path, name: str, change) -> None:
    """Rewrite the ``.npz`` at ``path`` as a valid zip with entry ``name`` changed (left out
    when ``change`` returns None)."""
    with np.load(path) as archive:
        arrays = {key: archive[key] for key in archive.files}
    changed = change(arrays.pop(name))
    if changed is not None:
        arrays[name] = changed
    np.savez(path, **arrays)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None


def test_a_checkpoint_altered_inside_a_valid_zip_is_refused(cnnlab_main, tmp_path):
    cnnlab_main("train", *ONE_BATCH, "--epochs", "1", "--out", "run")
    cnnlab_main("evaluate", "run")
    original = (tmp_path / "run/checkpoint.npz").read_bytes()
    cases = (
        ("model/conv1.weight", lambda a: a + np.float32(1e-3), "do not match their checksum"),
        ("meta", lambda a: np.array(str(a).replace('"epoch": 1', '"epoch": 7')), "do not match"),
        ("checksum", lambda a: None, "has no checksum of its arrays"),
    )
    for name, change, what in cases:
        (tmp_path / "run/checkpoint.npz").write_bytes(original)
        rewrite_entry(tmp_path / "run/checkpoint.npz", name, change)
        result = cnnlab_main("evaluate", "run", expect=1)
        assert result.stderr.startswith("cnnlab: error: run/checkpoint.npz: "), result.stderr
        assert what in result.stderr and len(result.stderr.splitlines()) == 1


@contextmanager
def full_disk(tmp_path: Path, size: int):
    """A directory on a tmpfs of ``size`` bytes, mounted when this process may mount one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True
    )
    try:
        yield mount if done.returncode == 0 else None
    finally:
        if done.returncode == 0:
            subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_stops_the_run_with_one_line_and_the_last_checkpoint_loads(
    cnnlab_main, tmp_path, monkeypatch
):
    cnnlab_main("train", *ONE_BATCH, "--epochs", "1", "--out", "probe")
    size = (tmp_path / "probe/checkpoint.npz").stat().st_size
    # room for one checkpoint and the metrics, not for the second's temporary file beside it
    with full_disk(tmp_path, size * 3 // 2) as disk:
        if disk is not None:
            args = ("train", *ONE_BATCH, "--epochs", "3", "--out", disk / "run")
            result = cnnlab_main(*args, expect=1)
            run = disk / "run"
        else:  # no tmpfs here: the second checkpoint's write fails as on a full disk
            real, calls = files.atomic_write, []

            def fails_second_time(path, write, **options):
                calls.append(path)
                if len(calls) == 2:
                    raise OSError(errno.ENOSPC, "No space left on device")
                return real(path, write, **options)

            monkeypatch.setattr("cnnlab.train.checkpoint.atomic_write", fails_second_time)
            result = cnnlab_main("train", *ONE_BATCH, "--epochs", "3", "--out", "run", expect=1)
            run = Path("run")
        assert result.stderr == (
            f"cnnlab: error: {run}/checkpoint.npz: could not write the checkpoint of epoch 2: "
            "No space left on device; it keeps epoch 1\n"
        )
        assert load_checkpoint(tmp_path / run).epoch == 1
        assert not list((tmp_path / run).glob(".*.tmp"))  # the partial file is gone


KILLED_AFTER_EPOCH_2 = """
import os, sys
from cnnlab.train import TrainConfig, train
def die(epoch, history):
    if epoch == 2:
        os._exit(9)  # as kill -9: no clean-up, the checkpoint of epoch 2 may not be written
train(TrainConfig(limit=64, batch_size=64, schedule="none", epochs=4, quiet=True, plots=False,
                  out="run", metrics=sys.argv[1]), on_epoch_end=die)
"""


def test_a_killed_run_keeps_its_flushed_metrics_and_a_resume_rewrites_them(
    cnnlab_main, cli_env, tmp_path
):
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_AFTER_EPOCH_2, "csv"],
        cwd=tmp_path,
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == 9, killed.stderr
    lines = (tmp_path / "run/metrics.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines] == ["epoch", "1", "2"]  # both reached the disk
    assert load_checkpoint(tmp_path / "run").epoch in (1, 2)
    cnnlab_main("train", "--resume", "run")
    lines = (tmp_path / "run/metrics.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines] == ["epoch", "1", "2", "3", "4"]
    assert load_checkpoint(tmp_path / "run").epoch == 4
