"""Data-parallel training under torchrun (2 processes on this machine): the same weights as one
process with the same global batch and seed, on both engines, with and without batch norm; two
"nodes" with c10d rendezvous; a killed worker; --resume and torchrun's restarts."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import cnnlab
from cnnlab.cli import without_nproc
from cnnlab.train import TrainConfig, load_checkpoint, train
from cnnlab.train.distributed import share

HERE = Path(__file__).resolve().parent
SOURCE = Path(cnnlab.__file__).resolve().parents[1]
# Uneven shares: batches of 51, 51 and 28 images split 26/25 and 14/14 over two ranks.
PARITY = dict(limit=130, batch_size=51, epochs=1, seed=3, plots=False, quiet=True)
TOLERANCE = 1e-5
CASES = [(engine, model) for engine in ("numpy", "torch") for model in ("lenet5", "lenet5_bn")]


def environment() -> dict[str, str]:
    """This checkout's cnnlab first on the path of the launched processes."""
    path = os.pathsep.join(filter(None, [str(SOURCE), str(HERE), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def torchrun(*args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(command: list[str], timeout: float = 240) -> subprocess.CompletedProcess:
    done = subprocess.run(
        command, env=environment(), capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def relative_difference(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> float:
    """The largest ``max |a - b| / max |b|`` over the tensors of two state dicts."""
    assert a.keys() == b.keys()
    worst = 0.0
    for key in b:
        x, y = np.asarray(a[key], np.float64), np.asarray(b[key], np.float64)
        worst = max(worst, float(np.abs(x - y).max() / max(np.abs(y).max(), 1e-30)))
    return worst


def single_process(tmp_path: Path, **options) -> dict[str, np.ndarray]:
    """The final weights of the one-process run of ``options``."""
    out = tmp_path / "single-{engine}-{model}".format(**options)
    train(TrainConfig(out=str(out), **{"quiet": True, **options}))
    return load_checkpoint(out).model


def same_metrics(a: dict, b: dict) -> bool:
    """Two epochs' rows alike: accuracies within 1 %, losses within 1e-3 relative (a rank's
    share left out of a sum would show far more)."""
    accuracies = all(abs(a[k] - b[k]) <= 0.01 for k in ("train_acc", "test_acc"))
    return accuracies and all(abs(a[k] - b[k]) <= 1e-3 * b[k] for k in ("train_loss", "test_loss"))


def test_share_splits_a_batch_as_array_split():
    for count in (1, 7, 51, 64):
        for world in (1, 2, 3, 8):
            parts = [share(count, rank, world) for rank in range(world)]
            expected = np.array_split(np.arange(count), world)
            assert [list(range(count))[p] for p in parts] == [list(e) for e in expected]


def test_nproc_is_taken_out_of_the_arguments_passed_to_torchrun():
    assert without_nproc(["train", "--nproc", "2", "--epochs", "3", "--nproc=4"]) == [
        "train",
        "--epochs",
        "3",
    ]


def test_two_processes_train_the_weights_of_one(tmp_path):
    """Both engines, LeNet-5 with and without batch norm, uneven shares (26/25 and a last batch
    of 28): 3 steps on 2 ranks against 1 process with the same global batch."""
    differences = two_processes_against_one(tmp_path, PARITY)
    for (engine, model), difference in differences.items():
        assert difference <= TOLERANCE, (engine, model, difference)


def two_processes_against_one(tmp_path: Path, options: dict) -> dict[tuple[str, str], float]:
    """Each case trained by 2 ranks (one torchrun) and by 1 process: the relative differences
    of their final weights."""
    cases = [f"{engine}:{model}" for engine, model in CASES]
    command = torchrun("--standalone", "--nproc-per-node", "2", str(HERE / "distributed_worker.py"))
    run([*command, str(tmp_path / "ranks"), json.dumps(options), *cases])
    differences = {}
    for engine, model in CASES:
        ranks = load_checkpoint(tmp_path / "ranks" / f"{engine}-{model}")
        alone = single_process(tmp_path, engine=engine, model=model, **options)
        differences[engine, model] = relative_difference(ranks.model, alone)
        single = load_checkpoint(tmp_path / f"single-{engine}-{model}").history
        assert same_metrics(ranks.history[-1], single[-1]), (ranks.history, single)
        print(f"{engine} {model}: max relative difference {differences[engine, model]:.2e}")
        assert ranks.epoch == options["epochs"] == len(ranks.history)
    return differences


@pytest.mark.slow
def test_two_processes_stay_with_one_for_two_epochs(tmp_path):
    """2 epochs of 8 steps: within 1e-3 without batch norm; with it, the network amplifies
    float rounding, and 2 ranks stay as close to 1 process as the two engines' 1-process runs
    stay to each other."""
    options = dict(limit=500, batch_size=64, epochs=2, seed=3, plots=False, quiet=True)
    differences = two_processes_against_one(tmp_path, options)
    engines = relative_difference(
        load_checkpoint(tmp_path / "single-torch-lenet5_bn").model,
        load_checkpoint(tmp_path / "single-numpy-lenet5_bn").model,
    )
    print(f"lenet5_bn, numpy engine against torch engine, 1 process: {engines:.2e}")
    for (engine, model), difference in differences.items():
        bound = 1e-3 if model == "lenet5" else max(1e-3, 3 * engines)
        assert difference <= bound, (engine, model, difference, bound)


def train_flags(**options) -> list[str]:
    flags = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif value is False:
            flags.append("--no-" + name)
        else:
            flags += [flag, str(value)]
    return flags


def test_two_nodes_with_c10d_rendezvous_train_the_weights_of_one(tmp_path):
    """Two torchrun agents on localhost, one process each, meeting at a c10d rendezvous."""
    endpoint = f"127.0.0.1:{free_port()}"
    out = tmp_path / "nodes"
    options = dict(engine="numpy", model="lenet5_bn", **PARITY)
    agents = [
        subprocess.Popen(
            torchrun(
                "--nnodes",
                "2",
                "--nproc-per-node",
                "1",
                "--node-rank",
                str(node),
                "--rdzv-backend",
                "c10d",
                "--rdzv-endpoint",
                endpoint,
                "--rdzv-id",
                "cnnlab-test",
                "-m",
                "cnnlab",
                "train",
                *train_flags(out=out, **options),
            ),
            env=environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for node in (0, 1)
    ]
    for agent in agents:
        _, stderr = agent.communicate(timeout=240)
        assert agent.returncode == 0, stderr[-3000:]
    difference = relative_difference(
        load_checkpoint(out).model, single_process(tmp_path, **options)
    )
    print(f"two nodes: max relative difference {difference:.2e}")
    assert difference <= TOLERANCE


def descendants(pid: int) -> list[int]:
    """The processes under ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def worker_of_rank(job: subprocess.Popen, rank: int) -> int:
    """The pid of the torchrun worker whose environment says ``RANK=rank``."""
    for pid in descendants(job.pid):
        try:
            variables = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"RANK={rank}".encode() in variables:
            return pid
    raise AssertionError(f"no worker of rank {rank} under {job.pid}")


def wait_for(path: Path, job: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert job.poll() is None, job.communicate()[1][-3000:]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def kill_rank_1_after_the_first_checkpoint(
    command: list[str], out: Path, timeout: float
) -> tuple[str, str, float, int]:
    """Start ``command`` (torchrun), SIGKILL its rank 1 once ``out`` has a checkpoint, wait for
    the end: stdout, stderr, the seconds from the kill to the end, and the exit status."""
    job = subprocess.Popen(
        command, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for(out / "checkpoint.npz", job)
        os.kill(worker_of_rank(job, 1), signal.SIGKILL)
        killed = time.monotonic()
        stdout, stderr = job.communicate(timeout=timeout)
        return stdout, stderr, time.monotonic() - killed, job.returncode
    finally:
        if job.poll() is None:  # a failed test leaves no workers behind
            for pid in descendants(job.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            job.kill()


KILLED_RUN = dict(
    engine="numpy", model="lenet5", limit=300, batch_size=32, schedule="none", seed=1, plots=False
)


def test_a_killed_worker_ends_the_job_and_resume_continues_it(tmp_path):
    """SIGKILL rank 1 once the first checkpoint is written: the job ends non-zero within 60 s
    naming rank 1, the checkpoint loads, and --resume under torchrun (``cnnlab train --nproc``)
    ends with the weights of one process trained straight through."""
    out = tmp_path / "run"
    command = torchrun("--standalone", "--nproc-per-node", "2", "-m", "cnnlab", "train")
    flags = train_flags(out=out, epochs=200, quiet=True, **KILLED_RUN)
    _, stderr, seconds, status = kill_rank_1_after_the_first_checkpoint([*command, *flags], out, 60)
    print(f"the job ended {seconds:.1f} s after the kill")
    assert seconds < 60
    assert status != 0
    assert "rank      : 1" in stderr or "rank: 1" in stderr, stderr[-3000:]
    epochs = load_checkpoint(out).epoch + 1
    cli = [sys.executable, "-m", "cnnlab", "train", "--nproc", "2", "--resume", "--out", str(out)]
    resumed = run([*cli, "--epochs", str(epochs)])
    assert f"resuming from {out / 'checkpoint.npz'}" in resumed.stdout
    finished = load_checkpoint(out)
    assert finished.epoch == epochs and [row["epoch"] for row in finished.history] == list(
        range(1, epochs + 1)
    )
    straight = single_process(tmp_path, epochs=epochs, **KILLED_RUN)
    difference = relative_difference(finished.model, straight)
    print(f"killed at epoch {epochs - 1}, resumed: max relative difference {difference:.2e}")
    assert difference <= TOLERANCE


@pytest.mark.slow
def test_torchrun_restarts_resume_from_the_last_checkpoint(tmp_path):
    """``--max-restarts 1``: after rank 1 is killed the workers start again and continue the
    run from its checkpoint, to the weights of one process trained straight through."""
    out = tmp_path / "run"
    command = torchrun("--standalone", "--nproc-per-node", "2", "--max-restarts", "1")
    flags = train_flags(out=out, epochs=6, **KILLED_RUN)
    stdout, stderr, _, status = kill_rank_1_after_the_first_checkpoint(
        [*command, "-m", "cnnlab", "train", *flags], out, 240
    )
    assert status == 0, stderr[-3000:]
    assert "resuming from" in stdout
    assert load_checkpoint(out).epoch == 6
    straight = single_process(tmp_path, epochs=6, **KILLED_RUN)
    assert relative_difference(load_checkpoint(out).model, straight) <= TOLERANCE


def test_max_restarts_needs_a_run_directory(monkeypatch, capsys):
    from cnnlab.cli import main

    for name, value in dict(RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1").items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MASTER_PORT", str(free_port()))
    monkeypatch.setenv("TORCHELASTIC_MAX_RESTARTS", "2")
    assert main(["train", "--limit", "40", "--epochs", "1"]) == 1
    assert "--max-restarts needs --out DIR" in capsys.readouterr().err
