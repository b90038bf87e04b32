"""Generated and mutated files for every reader of user files: IDX files, CIFAR-10 batches,
checkpoints, images for ``predict`` and ``.pt`` files for ``cnnlab.load``.

Each input is read, or refused with the reader's own error naming the file; nothing else is
raised or warned, nothing runs longer than the harness's timeout, and no pickle runs code (the
seeds include pickles that would create a file if they did). The default run tries a few thousand
inputs in all; ``-m fuzz`` tries ``CNNLAB_FUZZ_INPUTS`` (100,000) per reader and prints what
they came to.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

import cnnlab
from cnnlab.data import DataFormatError
from cnnlab.data.cifar import load_cifar10
from cnnlab.data.idx import read_idx
from cnnlab.data.images import load_image, mnist_style
from cnnlab.serialization.errors import CorruptFileError, UnsafePickleError
from cnnlab.train.checkpoint import (
    Checkpoint,
    CheckpointError,
    archive_arrays,
    load_checkpoint,
    save_checkpoint,
    write_archive,
)
from dataset_files import IDX_TYPE_CODES, cifar_batch, idx_bytes, python2_pickle
from fuzz_harness import LONG_RUN, check, run_fuzz

# A warning from a reader (a file left open, a library's note on a damaged file) reaches the
# user's terminal: here it is a failure like any other.
pytestmark = pytest.mark.filterwarnings("error")
SIZES = {"idx": 1500, "cifar": 1200, "checkpoint": 500, "image": 500, "pt": 600}


def sizes(reader: str):
    """The default run's count, and the long run's behind the ``fuzz`` marker."""
    return pytest.mark.parametrize(
        "count",
        [
            pytest.param(SIZES[reader], id="default"),
            pytest.param(LONG_RUN, id="long", marks=pytest.mark.fuzz),
        ],
    )


def payloads(sentinel) -> list[bytes]:
    """Pickles that create ``sentinel`` if anything unpickles them without an allow-list."""
    name = str(sentinel).encode()
    return [
        b"cposix\nsystem\n(S'touch " + name + b"'\ntR.",
        b"cos\nsystem\n(S'touch " + name + b"'\ntR.",
        b"cbuiltins\nexec\n(S'open(\"" + name + b'", "w")\'\ntR.',
        b"csubprocess\ncall\n((S'touch'\nS'" + name + b"'\nltR.",
        b"\x80\x02cbuiltins\neval\nq\x00X\x08\x00\x00\x00print(1)q\x01\x85q\x02Rq\x03.",
    ]


def report(outcomes) -> None:
    """Print the outcomes (and append them to ``$CNNLAB_FUZZ_REPORT`` when set)."""
    text = outcomes.summary()
    print(text)
    if os.environ.get("CNNLAB_FUZZ_REPORT"):
        with open(os.environ["CNNLAB_FUZZ_REPORT"], "a", encoding="utf-8") as file:
            file.write(text + "\n")


# ----- IDX


def idx_seeds() -> list[bytes]:
    rng = np.random.default_rng(0)
    seeds = []
    for dtype in IDX_TYPE_CODES:
        for shape in ((5,), (3, 4), (2, 3, 4)):
            seeds.append(idx_bytes((rng.normal(size=shape) * 50).astype(dtype)))
    return seeds + [gzip.compress(seed) for seed in seeds[::3]]


def generated_idx(rng: np.random.Generator) -> bytes:
    """A header with any type code and up to 5 sizes, some huge, and some data."""
    code = int(rng.choice([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0x0A, 0xFF]))
    ndim = int(rng.integers(0, 6))
    shape = [int(rng.choice([0, 1, 2, 3, 28, 60000, 2**31, 2**32 - 1])) for _ in range(ndim)]
    header = bytes([0, 0, code, ndim]) + struct.pack(f">{ndim}I", *shape)
    data = header + rng.integers(0, 256, int(rng.integers(0, 200)), dtype=np.uint8).tobytes()
    return gzip.compress(data) if rng.integers(0, 4) == 0 else data


@sizes("idx")
def test_idx_files(count, tmp_path):
    outcomes = run_fuzz(
        "idx", read_idx, idx_seeds(), count, tmp_path, (DataFormatError,), generated=generated_idx
    )
    report(outcomes)
    check(outcomes)


# ----- CIFAR-10 batches


def cifar_seeds(sentinel) -> list[bytes]:
    batches = [cifar_batch(n, seed=n) for n in (1, 2, 3)]
    seeds = [python2_pickle(batch) for batch in batches]
    seeds += [pickle.dumps(batches[0], protocol=p) for p in range(6)]
    return seeds + payloads(sentinel)


def read_cifar_test_batch(path):
    return load_cifar10(path.parent, train=False)


@sizes("cifar")
def test_cifar_batches(count, tmp_path):
    sentinel = tmp_path / "ran-code"
    outcomes = run_fuzz(
        "cifar",
        read_cifar_test_batch,
        cifar_seeds(sentinel),
        count,
        tmp_path,
        (DataFormatError,),
        file_name="test_batch",
    )
    report(outcomes)
    check(outcomes)
    assert not sentinel.exists()


# ----- checkpoints


def small_checkpoint(epoch: int = 1) -> Checkpoint:
    rng = np.random.default_rng(epoch)
    return Checkpoint(
        epoch=epoch,
        config={"model": "lenet5", "data": "mnist5k", "lr": 0.05, "epochs": 3},
        history=[{"epoch": 1, "lr": 0.05, "train_loss": 0.5, "test_acc": 0.9}],
        model={
            "conv1.weight": rng.normal(size=(2, 1, 3, 3)).astype(np.float32),
            "fc.bias": np.zeros(3, np.float32),
        },
        info={"classes": ["0", "1", "2"], "input_shape": [1, 28, 28], "mean": [0.1], "std": [0.3]},
        optimizer={
            "state": {0: {"momentum_buffer": np.ones((2, 1, 3, 3), np.float32)}},
            "param_groups": [{"lr": 0.05, "momentum": 0.9, "params": [0, 1]}],
        },
        scheduler={"last_epoch": 1},
        rng={"seed": 3, "state": [1, 2, 3]},
    )


def checkpoint_seeds(tmp_path) -> list[bytes]:
    seeds = []
    for epoch in (1, 2):
        path = tmp_path / f"seed-{epoch}.npz"
        save_checkpoint(path, small_checkpoint(epoch))
        seeds.append(path.read_bytes())
    return seeds


def scrambled(value, rng: np.random.Generator):
    """``value`` with one part of it replaced by something of another type, or removed."""
    if isinstance(value, dict) and value and rng.integers(0, 3):
        key = list(value)[int(rng.integers(0, len(value)))]
        copy = dict(value)
        if rng.integers(0, 4) == 0:
            del copy[key]
        else:
            copy[key] = scrambled(copy[key], rng)
        return copy
    if isinstance(value, list) and value and rng.integers(0, 3):
        copy = list(value)
        index = int(rng.integers(0, len(copy)))
        copy[index] = scrambled(copy[index], rng)
        return copy
    choices = [None, 0, -1, 2**40, 1.5, "x", "", [], {}, [1, "a"], {"a": 1}, True]
    return choices[int(rng.integers(0, len(choices)))]


def generated_checkpoint(rng: np.random.Generator) -> bytes:
    """A valid archive, checksum and all, whose metadata or one array is scrambled."""
    arrays = archive_arrays(small_checkpoint())
    if rng.integers(0, 3):
        arrays["meta"] = np.array(json.dumps(scrambled(json.loads(str(arrays["meta"])), rng)))
    else:
        name = list(arrays)[int(rng.integers(0, len(arrays)))]
        replacements = [np.zeros(0), np.array(["a"]), np.ones((2, 2)), np.array(b"x")]
        arrays[name] = replacements[int(rng.integers(0, len(replacements)))]
    buffer = io.BytesIO()
    write_archive(buffer, arrays)
    return buffer.getvalue()


@sizes("checkpoint")
def test_checkpoints(count, tmp_path):
    outcomes = run_fuzz(
        "checkpoint",
        load_checkpoint,
        checkpoint_seeds(tmp_path),
        count,
        tmp_path,
        (CheckpointError,),
        file_name="checkpoint.npz",
        generated=generated_checkpoint,
    )
    report(outcomes)
    check(outcomes)


# ----- images for predict


def image_seeds() -> list[bytes]:
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (12, 10), dtype=np.uint8)
    colour = rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    rgba = rng.integers(0, 256, (8, 8, 4), dtype=np.uint8)
    seeds = []
    for array, formats in (
        (grey, ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "PPM")),
        (colour, ("PNG", "JPEG", "BMP", "TIFF", "WEBP")),
        (rgba, ("PNG", "TIFF", "WEBP")),
        (grey.astype(np.uint16) * 257, ("PNG",)),
    ):
        for fmt in formats:
            buffer = io.BytesIO()
            Image.fromarray(array).save(buffer, format=fmt)
            seeds.append(buffer.getvalue())
    return seeds


def read_digit(path):
    """What ``cnnlab predict`` does with a file before the model: read it, make it MNIST's."""
    return mnist_style(load_image(path))


@sizes("image")
def test_images_for_predict(count, tmp_path):
    outcomes = run_fuzz(
        "image", read_digit, image_seeds(), count, tmp_path, (ValueError,), file_name="digit"
    )
    report(outcomes)
    check(outcomes)


# ----- .pt files for cnnlab.load


def pt_seeds(tmp_path, sentinel) -> list[bytes]:
    state = {"weight": torch.arange(6.0).reshape(2, 3), "bias": torch.zeros(2, dtype=torch.float64)}
    seeds = []
    for options in ({}, {"_use_new_zipfile_serialization": False}):
        buffer = io.BytesIO()
        torch.save(state, buffer, **options)
        seeds.append(buffer.getvalue())
    path = tmp_path / "seed.pt"
    cnnlab.save({"w": cnnlab.ones(2, 2), "steps": [1, 2.5, "x"], "n": None}, path)
    seeds.append(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(seeds[0])) as archive:
        records = {info.filename: archive.read(info) for info in archive.infolist()}
    pickle_name = next(name for name in records if name.endswith("data.pkl"))
    for payload in payloads(sentinel):  # a zip whose data.pkl asks to run code
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in records.items():
                archive.writestr(name, payload if name == pickle_name else data)
        seeds.append(buffer.getvalue())
    return seeds


@sizes("pt")
def test_pt_files(count, tmp_path):
    sentinel = tmp_path / "ran-code"
    outcomes = run_fuzz(
        "pt",
        cnnlab.load,
        pt_seeds(tmp_path, sentinel),
        count,
        tmp_path,
        (UnsafePickleError, CorruptFileError, NotImplementedError),
        file_name="weights.pt",
    )
    report(outcomes)
    check(outcomes)
    assert not sentinel.exists()
