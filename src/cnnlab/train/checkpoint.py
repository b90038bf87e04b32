"""Checkpoints: one ``.npz`` file of arrays plus one JSON string, on both engines.

Layout of the archive (read with ``np.load(path, allow_pickle=False)``, so loading a checkpoint
never runs code from the file):

- ``meta``: a JSON string with the format name and version, the epoch, the run's config, the
  metric history, what the model needs for inference (classes, input shape, normalization),
  the optimizer's ``param_groups``, the scheduler's state and the NumPy engine's RNG state;
- ``model/<key>``: the model's state_dict by PyTorch's key names (``conv1.weight``, ...);
- ``optimizer/<index>/<name>``: the optimizer's per-parameter buffers (``momentum_buffer``,
  ``exp_avg``, ``step``, ...);
- ``rng/torch``: PyTorch's global generator state (torch engine only);
- ``checksum``: the SHA-256 of every other entry (its name, dtype, shape and bytes), checked
  at load, so a checkpoint altered inside a valid zip is refused (format version 2; version 1
  files, written before, carry none and are read as they are).

PyTorch tensors are stored as NumPy arrays of the same dtype, so a checkpoint is the same on
both engines and the model weights load into either.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab.train import jsoncodec
from cnnlab.utils.files import atomic_write

FORMAT = "cnnlab-checkpoint"
VERSION = 2
READABLE_VERSIONS = (1, 2)
CHECKSUM_ENTRY = "checksum"
CHECKPOINT_NAME = "checkpoint.npz"


class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated, corrupted or not a cnnlab checkpoint.

    The message names the file and says what is wrong.
    """


class CheckpointWriteError(OSError):
    """A checkpoint could not be written (a full disk, no permission); the message names the
    file, the epoch and the reason, and says what the file still holds."""


@dataclass
class Checkpoint:
    """The state of a run after ``epoch`` epochs, with every tensor as a NumPy array."""

    epoch: int
    config: dict[str, Any]
    history: list[dict[str, Any]]
    model: dict[str, np.ndarray]
    info: dict[str, Any]
    optimizer: dict[str, Any] | None = None
    scheduler: dict[str, Any] | None = None
    rng: Any = None


def to_array(value: Any) -> np.ndarray:
    """A NumPy array from a cnnlab tensor, a PyTorch tensor, an array or a number."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach"):
        return np.asarray(value.detach().cpu().numpy())
    return np.asarray(value)


def archive_arrays(checkpoint: Checkpoint) -> dict[str, np.ndarray]:
    """The arrays and the ``meta`` JSON string that :func:`save_checkpoint` writes."""
    arrays = {f"model/{key}": to_array(value) for key, value in checkpoint.model.items()}
    meta: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "epoch": checkpoint.epoch,
        "config": checkpoint.config,
        "history": checkpoint.history,
        "info": checkpoint.info,
        "model_keys": list(checkpoint.model),
    }
    if checkpoint.optimizer is not None:
        meta["optimizer"] = {"param_groups": checkpoint.optimizer["param_groups"], "state": {}}
        for index, entry in checkpoint.optimizer["state"].items():
            meta["optimizer"]["state"][str(index)] = list(entry)
            for name, value in entry.items():
                arrays[f"optimizer/{index}/{name}"] = to_array(value)
    meta["scheduler"] = checkpoint.scheduler
    if isinstance(checkpoint.rng, dict) or checkpoint.rng is None:
        meta["rng"] = checkpoint.rng
    else:
        arrays["rng/torch"] = to_array(checkpoint.rng)
    arrays["meta"] = np.array(jsoncodec.dumps(meta))
    return arrays


def arrays_checksum(arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over every entry but ``checksum``, in name order: name, dtype, shape, bytes."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        if name == CHECKSUM_ENTRY:
            continue
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def write_archive(file, arrays: dict[str, np.ndarray]) -> None:
    """``np.savez`` of ``arrays`` and their checksum."""
    np.savez(file, **arrays, **{CHECKSUM_ENTRY: np.array(arrays_checksum(arrays))})


def save_checkpoint(path: str | Path, checkpoint: Checkpoint) -> Path:
    """Write ``checkpoint`` to ``path`` atomically: the old file stays whole until the new one
    is complete on disk."""
    arrays = archive_arrays(checkpoint)
    return atomic_write(path, lambda file: write_archive(file, arrays))


class CheckpointWriter:
    """Writes a run's checkpoints to ``path`` on a background thread, one at a time, in order.

    :meth:`submit` takes the snapshot at once (the arrays are copies) and returns; the file is
    written, ``fsync``-ed and renamed into place while training goes on, so a slow disk does
    not slow training. Each write is atomic as with :func:`save_checkpoint`; :meth:`submit`
    waits for the write before it, and :meth:`close` for the last one, raising any error as a
    :class:`CheckpointWriteError`; :meth:`raise_if_failed` raises it as soon as it is known.
    ``kept`` is the epoch the file holds already (a resumed run's), if any.
    """

    def __init__(self, path: str | Path, kept: int | None = None) -> None:
        self.path = Path(path)
        for leftover in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            leftover.unlink(missing_ok=True)  # from a run killed while writing
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="cnnlab-checkpoint")
        self.pending: Future | None = None
        self.kept = kept

    def submit(self, checkpoint: Checkpoint) -> None:
        arrays = {name: np.array(value) for name, value in archive_arrays(checkpoint).items()}
        self.wait()
        self.pending = self.executor.submit(self.write, arrays, checkpoint.epoch)

    def write(self, arrays: dict[str, np.ndarray], epoch: int) -> None:
        try:
            atomic_write(self.path, lambda file: write_archive(file, arrays))
        except OSError as error:
            holds = f"it keeps epoch {self.kept}" if self.kept else "no checkpoint was written"
            reason = error.strerror or str(error)
            raise CheckpointWriteError(
                f"{self.path}: could not write the checkpoint of epoch {epoch}: {reason}; {holds}"
            ) from error
        self.kept = epoch

    def raise_if_failed(self) -> None:
        """Raise the error of the last write if it has failed already (cheap: no waiting)."""
        if self.pending is not None and self.pending.done():
            self.wait()

    def wait(self) -> None:
        """Block until the last submitted checkpoint is on disk; raise its error if it failed."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self.executor.shutdown()


def read_archive(path: Path) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` at ``path``, read eagerly so that damage shows up here."""
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    if not zipfile.is_zipfile(path):
        raise CheckpointError(
            f"{path}: not a readable cnnlab checkpoint: it is not an .npz (zip) archive "
            "(truncated, or another kind of file)"
        )
    try:
        # np.load opened by path leaks its file when the zip directory is damaged: open it here.
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise CheckpointError(f"{path}: not a cnnlab checkpoint (a single .npy array)")
            return {name: archive[name] for name in archive.files}
    except CheckpointError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, RuntimeError) as error:
        raise CheckpointError(
            f"{path}: not a readable cnnlab checkpoint (truncated or corrupted?): {error}"
        ) from error


def read_meta(path: Path, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The decoded ``meta`` entry, checked for the format name and version."""
    meta_array = arrays.get("meta")
    if meta_array is None or meta_array.dtype.kind != "U" or meta_array.ndim != 0:
        raise CheckpointError(f"{path}: not a cnnlab checkpoint (no 'meta' entry)")
    try:
        meta = jsoncodec.loads(str(meta_array))
    except (json.JSONDecodeError, TypeError, ValueError) as error:
        raise CheckpointError(f"{path}: the checkpoint's metadata is corrupted: {error}") from error
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: not a cnnlab checkpoint (its metadata is not an object)")
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a cnnlab checkpoint (format {meta.get('format')!r})")
    version = meta.get("version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        raise CheckpointError(
            f"{path}: checkpoint format version {meta.get('version')!r}; this cnnlab reads "
            f"versions {', '.join(map(str, READABLE_VERSIONS))}"
        )
    if meta["version"] >= 2:
        check_checksum(path, arrays)
    return meta


def check_checksum(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Refuse a checkpoint whose arrays do not match the checksum written with them."""
    stored = arrays.get(CHECKSUM_ENTRY)
    if stored is None or stored.dtype.kind != "U" or stored.ndim != 0:
        raise CheckpointError(
            f"{path}: the checkpoint has no checksum of its arrays, which its format version "
            "carries: it was altered after it was written"
        )
    if str(stored) != arrays_checksum(arrays):
        raise CheckpointError(
            f"{path}: the checkpoint's arrays do not match their checksum: the file was altered "
            "or damaged after it was written"
        )


def find_checkpoint(path: str | Path) -> Path:
    """The checkpoint file ``path`` names: the file itself, or ``checkpoint.npz`` in a run
    directory (``cnnlab evaluate runs/idx`` as well as ``runs/idx/checkpoint.npz``).

    Raises:
        CheckpointError: ``path`` is a directory without a checkpoint, or does not exist.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        if not (path / CHECKPOINT_NAME).is_file():
            raise CheckpointError(
                f"{path}: a directory without a {CHECKPOINT_NAME}; give a run directory written "
                "by cnnlab train, or a checkpoint file"
            )
        return path / CHECKPOINT_NAME
    if not path.exists():
        raise CheckpointError(f"{path}: no such checkpoint file or run directory")
    return path


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`, from its file or its run directory.

    Raises:
        CheckpointError: the file is missing, truncated, corrupted or not a cnnlab checkpoint;
            the message names the file.
    """
    path = find_checkpoint(path)
    arrays = read_archive(path)
    meta = read_meta(path, arrays)
    try:
        model = {key: arrays[f"model/{key}"] for key in meta["model_keys"]}
        optimizer = None
        if meta.get("optimizer") is not None:
            state = {
                int(index): {name: arrays[f"optimizer/{index}/{name}"] for name in names}
                for index, names in meta["optimizer"]["state"].items()
            }
            optimizer = {"state": state, "param_groups": meta["optimizer"]["param_groups"]}
        rng = arrays["rng/torch"] if "rng/torch" in arrays else meta.get("rng")
        return Checkpoint(
            epoch=int(meta["epoch"]),
            config=meta["config"],
            history=meta["history"],
            model=model,
            info=meta["info"],
            optimizer=optimizer,
            scheduler=meta.get("scheduler"),
            rng=rng,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise CheckpointError(
            f"{path}: incomplete or inconsistent cnnlab checkpoint ({type(error).__name__}: "
            f"{error})"
        ) from error


# ----- moving live training state in and out of a Checkpoint, on either engine


def optimizer_state(optimizer) -> dict[str, Any]:
    """``optimizer.state_dict()`` with every buffer as a NumPy array (copies: PyTorch's
    state_dict shares its buffers, which the next step changes in place)."""
    state = optimizer.state_dict()
    return {
        "state": {
            int(index): {name: np.array(to_array(value)) for name, value in entry.items()}
            for index, entry in state["state"].items()
        },
        "param_groups": state["param_groups"],
    }


def load_optimizer_state(optimizer, saved: dict[str, Any], lib) -> None:
    """Load arrays saved by :func:`optimizer_state` into ``optimizer`` of engine ``lib``."""
    state = {
        index: {name: lib.from_numpy(np.array(value)) for name, value in entry.items()}
        for index, entry in saved["state"].items()
    }
    optimizer.load_state_dict({"state": state, "param_groups": saved["param_groups"]})


def model_state(model) -> dict[str, np.ndarray]:
    """``model.state_dict()`` as NumPy arrays (copies)."""
    return {key: np.array(to_array(value)) for key, value in model.state_dict().items()}


def load_model_state(model, saved: dict[str, np.ndarray], lib) -> None:
    """Load arrays into ``model`` of engine ``lib``; raises on missing or unexpected keys."""
    model.load_state_dict({key: lib.from_numpy(np.array(value)) for key, value in saved.items()})
