"""``cnnlab train`` with no flags, over several seeds: its time and its accuracy on digits it
never saw.

Each run is the command itself (a fresh process, kernels in the cache), timed from start to
exit, then evaluated on an MNIST test set given as IDX files (``--data-dir``; the default is
the 5,000 development digits in ``tests/fixtures/mnist-dev``). Prints each run and the mean,
lowest and highest of both figures. The goals: at least 98 % within 60 s.

    python benchmarks/default_run.py [--seeds 0 1 2] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cnnlab.train import evaluate_checkpoint

DEV_DIGITS = Path(__file__).parent.parent / "tests" / "fixtures" / "mnist-dev"


def one_run(seed: int, data_dir: Path) -> tuple[float, float, int]:
    """Seconds of ``cnnlab train --seed SEED``, its accuracy on ``data_dir`` and how many
    images that accuracy is over."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "cnnlab", "train", "--seed", str(seed), "--out", tmp]
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - start
        scores = evaluate_checkpoint(Path(tmp) / "checkpoint.npz", data="mnist", data_dir=data_dir)
    return seconds, scores["accuracy"], scores["total"]


def summary(name: str, values: list[float], unit: str) -> str:
    return (
        f"{name}: mean {statistics.mean(values):.{3 if unit == '%' else 1}f} {unit}, "
        f"lowest {min(values):.4g}, highest {max(values):.4g}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--data-dir", type=Path, default=DEV_DIGITS)
    args = parser.parse_args()
    times, accuracies = [], []
    for seed in args.seeds:
        seconds, accuracy, total = one_run(seed, args.data_dir)
        times.append(seconds)
        accuracies.append(100 * accuracy)
        print(f"seed {seed}: {seconds:.1f} s, {100 * accuracy:.2f} % of {total:,} digits")
    print(summary("time", times, "s"))
    print(summary("accuracy", accuracies, "%"))
