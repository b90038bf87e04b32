"""Checkpoints: round trip on both engines, atomic writes, and clear errors for damaged files."""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections import Counter

import numpy as np
import pytest
import torch

import cnnlab
from cnnlab.models import build
from cnnlab.train.checkpoint import (
    Checkpoint,
    CheckpointError,
    CheckpointWriter,
    load_checkpoint,
    load_model_state,
    load_optimizer_state,
    model_state,
    optimizer_state,
    save_checkpoint,
)
from cnnlab.train.jsoncodec import dumps, loads
from cnnlab.utils import files


def sample_checkpoint(epoch: int = 3) -> Checkpoint:
    return Checkpoint(
        epoch=epoch,
        config={"model": "lenet5", "lr": 0.05, "classes": None},
        history=[{"epoch": e, "test_acc": 0.5 + e / 10} for e in range(1, epoch + 1)],
        model={"w": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.array(7, np.int64)},
        info={"classes": ["a", "b"], "input_shape": [1, 28, 28]},
        optimizer={
            "state": {0: {"momentum_buffer": np.ones(3, np.float32)}},
            "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0]}],
        },
        scheduler={"milestones": Counter({2: 1, 3: 1}), "phases": [(2.0, "initial_lr")]},
        rng={"bit_generator": "PCG64", "state": {"state": 2**127 + 5, "inc": 3}},
    )


def test_round_trip_keeps_values_dtypes_and_python_types(tmp_path):
    path = save_checkpoint(tmp_path / "c.npz", sample_checkpoint())
    loaded = load_checkpoint(path)
    original = sample_checkpoint()
    assert loaded.epoch == 3 and loaded.config == original.config
    assert loaded.history == original.history and loaded.info == original.info
    for key, value in original.model.items():
        assert loaded.model[key].dtype == value.dtype
        np.testing.assert_array_equal(loaded.model[key], value)
    np.testing.assert_array_equal(loaded.optimizer["state"][0]["momentum_buffer"], np.ones(3))
    assert loaded.optimizer["param_groups"][0]["betas"] == (0.9, 0.999)
    assert loaded.scheduler == original.scheduler
    assert isinstance(loaded.scheduler["milestones"], Counter)
    assert loaded.rng == original.rng


def test_the_archive_holds_only_arrays_and_json(tmp_path):
    path = save_checkpoint(tmp_path / "c.npz", sample_checkpoint())
    with np.load(path, allow_pickle=False) as archive:
        kinds = {name: archive[name].dtype.kind for name in archive.files}
    assert "O" not in kinds.values()
    assert kinds["meta"] == "U"


def test_json_codec_round_trips_the_structures_of_schedulers():
    value = {"a": (1, (2.5, "x")), 3: [Counter({4: 2})], "__tuple__": None, "f": float("inf")}
    assert loads(dumps(value)) == value
    with pytest.raises(TypeError, match="cannot store a function"):
        dumps({"f": lambda: 0})


@pytest.mark.parametrize("engine", ["numpy", "torch"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_model_and_optimizer_state_round_trip(tmp_path, engine, optimizer):
    lib = cnnlab if engine == "numpy" else torch
    model = build("lenet5_bn", engine, in_channels=1)
    make = {
        "sgd": lambda p: lib.optim.SGD(p, lr=0.1, momentum=0.9),
        "adam": lambda p: lib.optim.Adam(p, lr=0.01),
    }[optimizer]
    opt = make(model.parameters())
    x = lib.from_numpy(np.random.default_rng(0).standard_normal((4, 1, 28, 28)).astype(np.float32))
    for _ in range(2):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
    saved = Checkpoint(1, {}, [], model_state(model), {}, optimizer_state(opt))
    loaded = load_checkpoint(save_checkpoint(tmp_path / "c.npz", saved))

    twin = build("lenet5_bn", engine, in_channels=1)
    twin_opt = make(twin.parameters())
    load_model_state(twin, loaded.model, lib)
    load_optimizer_state(twin_opt, loaded.optimizer, lib)
    for m, o in ((model, opt), (twin, twin_opt)):
        o.zero_grad()
        m(x).sum().backward()
        o.step()
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(twin.state_dict()[key].numpy(), value.numpy(), err_msg=key)


def test_a_crash_while_writing_leaves_the_old_checkpoint_intact(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "checkpoint.npz", sample_checkpoint(epoch=1))
    before = path.read_bytes()

    def crash_half_way(file, **arrays):
        file.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash_half_way)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, sample_checkpoint(epoch=2))
    assert path.read_bytes() == before
    assert load_checkpoint(path).epoch == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.npz"]


def test_a_crash_before_the_rename_leaves_the_old_checkpoint_intact(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "checkpoint.npz", sample_checkpoint(epoch=1))

    def killed(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, sample_checkpoint(epoch=2))
    monkeypatch.undo()
    assert load_checkpoint(path).epoch == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.npz"]


def test_the_new_checkpoint_is_synced_before_it_replaces_the_old(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(files.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(
        files.os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))
    )
    save_checkpoint(tmp_path / "checkpoint.npz", sample_checkpoint())
    assert events[:2] == ["fsync", "replace"]


def damaged_files(good: bytes) -> dict[str, bytes]:
    flipped = bytearray(good)
    middle = len(flipped) // 2
    flipped[middle : middle + 16] = bytes(255 - b for b in flipped[middle : middle + 16])
    return {
        "truncated": good[: len(good) // 2],
        "flipped": bytes(flipped),
        "empty": b"",
        "text": b"hello, I am not a checkpoint\n",
    }


@pytest.mark.parametrize("kind", ["truncated", "flipped", "empty", "text"])
def test_damaged_checkpoints_give_an_error_naming_the_file(tmp_path, kind):
    good = save_checkpoint(tmp_path / "good.npz", sample_checkpoint()).read_bytes()
    path = tmp_path / f"{kind}.npz"
    path.write_bytes(damaged_files(good)[kind])
    with pytest.raises(CheckpointError, match=str(path)):
        load_checkpoint(path)


def test_other_npz_files_and_pickles_are_refused(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a cnnlab checkpoint"):
        load_checkpoint(plain)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, meta=np.array([{"format": "cnnlab-checkpoint"}], dtype=object))
    with pytest.raises(CheckpointError, match=r"pickled\.npz"):
        load_checkpoint(pickled)
    with pytest.raises(CheckpointError, match="no such checkpoint file"):
        load_checkpoint(tmp_path / "missing.npz")


def test_a_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "future.npz"
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array('{"format": "cnnlab-checkpoint", "version": 99}'))
    path.write_bytes(buffer.getvalue())
    with pytest.raises(CheckpointError, match="version 99"):
        load_checkpoint(path)
    assert zipfile.is_zipfile(path)


def test_the_background_writer_snapshots_at_submit_and_reports_errors(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint.npz"
    (tmp_path / ".checkpoint.npz.123-abcd.tmp").write_bytes(b"left by a killed run")
    writer = CheckpointWriter(path)
    assert not list(tmp_path.glob("*.tmp"))
    checkpoint = sample_checkpoint(epoch=1)
    writer.submit(checkpoint)
    checkpoint.model["w"][...] = -1  # training goes on and changes the weights
    writer.wait()
    loaded = load_checkpoint(path)
    assert loaded.epoch == 1
    np.testing.assert_array_equal(loaded.model["w"], sample_checkpoint().model["w"])
    writer.submit(sample_checkpoint(epoch=2))
    writer.wait()
    assert load_checkpoint(path).epoch == 2

    def disk_full(file, **arrays):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", disk_full)
    writer.submit(sample_checkpoint(epoch=3))
    with pytest.raises(OSError, match="disk full"):
        writer.close()
    assert load_checkpoint(path).epoch == 2


def test_the_metrics_log_appends_one_line_per_epoch_in_either_format(tmp_path):
    from cnnlab.train.metrics import COLUMNS, MetricsLog

    rows = [{name: float(epoch) for name in COLUMNS} | {"epoch": epoch} for epoch in (1, 2, 3)]
    for fmt in ("csv", "jsonl"):
        log = MetricsLog(tmp_path, fmt, rows[:1])  # a resumed run: its checkpoint's epochs first
        log.append(rows[1])
        log.append(rows[2])
        lines = (tmp_path / f"metrics.{fmt}").read_text().splitlines()
        assert len(lines) == 3 + (fmt == "csv")
        if fmt == "jsonl":
            assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3]
        else:
            assert [line.split(",")[0] for line in lines] == ["epoch", "1", "2", "3"]


def test_a_version_1_checkpoint_without_a_checksum_still_loads():
    from cnnlab.models.registry import pretrained_path

    checkpoint = load_checkpoint(pretrained_path("lenet5"))  # written as version 1
    assert checkpoint.model["conv1.weight"].shape == (6, 1, 5, 5)
