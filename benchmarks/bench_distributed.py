"""Data-parallel ``cnnlab train`` on 1 and 2 processes of this machine (1 thread each), on both
engines: training images per second, and what the gradient all-reduce would cost on a cluster.

Each run is ``cnnlab train --nproc N --threads 1`` (torchrun, gloo) on the embedded digits; the
figure is the last epoch's images/s from ``metrics.csv`` (the first epoch also loads kernels).
Runs alternate (1, 2, 1, 2, ...) and the best of ``--repeats`` is kept per case.

On paper: a ring all-reduce of ``P`` float32 parameters over ``p`` machines sends and receives
``2 (p - 1) / p * 4 P`` bytes per machine per step, in ``2 (p - 1)`` messages; at bandwidth
``B`` and per-message latency ``alpha`` that takes ``2 (p - 1) / p * 4 P / B + 2 (p - 1) alpha``.

    python benchmarks/bench_distributed.py [--limit 2000] [--epochs 2] [--repeats 2]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

from cnnlab.models import build, engine_module


def images_per_second(engine: str, nproc: int, limit: int, epochs: int, batch: int) -> float:
    """The last epoch's training images/s of one ``cnnlab train --nproc`` run."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "run"
        command = [
            sys.executable,
            "-m",
            "cnnlab",
            "train",
            "--nproc",
            str(nproc),
            "--threads",
            "1",
            "--engine",
            engine,
            "--limit",
            str(limit),
            "--epochs",
            str(epochs),
            "--batch-size",
            str(batch),
            "--no-plots",
            "--quiet",
            "--out",
            str(out),
        ]
        subprocess.run(command, check=True, capture_output=True)
        with open(out / "metrics.csv") as file:
            return float(list(csv.DictReader(file))[-1]["images_per_s"])


def ring_all_reduce(parameters: int, machines: int, gbit_per_s: float, latency_s: float):
    """Bytes each machine sends per step, and the seconds: bandwidth term, latency term."""
    sent = 2 * (machines - 1) / machines * 4 * parameters
    return sent, sent * 8 / (gbit_per_s * 1e9), 2 * (machines - 1) * latency_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=2000, help="training images")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    print(f"LeNet-5, {args.limit} digits, global batch {args.batch_size}, 1 thread per process")
    best: dict[tuple[str, int], float] = {}
    for _ in range(args.repeats):
        for engine in ("numpy", "torch"):
            for nproc in (1, 2):
                rate = images_per_second(engine, nproc, args.limit, args.epochs, args.batch_size)
                best[engine, nproc] = max(best.get((engine, nproc), 0.0), rate)
    for engine in ("numpy", "torch"):
        one, two = best[engine, 1], best[engine, 2]
        print(
            f"{engine:>5} engine: 1 process {one:7.0f} images/s, 2 processes {two:7.0f} "
            f"images/s: x{two / one:.2f}"
        )
    parameters = sum(p.numel() for p in build("lenet5", engine_module("numpy")).parameters())
    sent, bandwidth, latency = ring_all_reduce(parameters, 8, 10.0, 50e-6)
    share = args.batch_size / 8
    step = share / best["numpy", 1]
    print(
        f"on paper, 8 machines on 10 Gbit/s: ring all-reduce of LeNet-5's {parameters:,} float32 "
        f"parameters = {sent / 1e3:.0f} kB sent per machine per step, {bandwidth * 1e3:.2f} ms "
        f"on the wire + 14 messages x 50 us latency = {latency * 1e3:.2f} ms per step; "
        f"each machine's {share:g} images of a global batch of {args.batch_size} take "
        f"{step * 1e3:.1f} ms to compute at the 1-process NumPy rate above"
    )


if __name__ == "__main__":
    main()
