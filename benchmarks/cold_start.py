"""The first run on a new machine against a run with the kernels in the cache.

Runs ``cnnlab train --epochs 1 --limit 500 --no-plots`` with an empty kernel cache
(``NUMBA_CACHE_DIR`` set to a new folder), fills the cache, then runs the same command again;
repeated, the two alternating. Prints each pair and the median extra seconds of the first
run. The goal: at most 3 s.

    python benchmarks/cold_start.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMAND = ["train", "--epochs", "1", "--limit", "500", "--no-plots", "--quiet"]


def timed_run(cache: Path, out: Path) -> float:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cnnlab", *COMMAND, "--out", str(out)], env=env, check=True
    )
    return time.perf_counter() - start


def fill_cache(cache: Path) -> None:
    """Compile every kernel into ``cache`` (what the first run's background compilation left
    to do), then give that compilation time to end."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    code = "from cnnlab.ops.kernels import compile_all; compile_all()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    time.sleep(5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    extra = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            cache, runs = Path(tmp) / "cache", Path(tmp) / "runs"
            cold = timed_run(cache, runs / "cold")
            fill_cache(cache)
            warm = timed_run(cache, runs / "warm")
        extra.append(cold - warm)
        print(f"empty cache {cold:.2f} s, filled cache {warm:.2f} s: {cold - warm:+.2f} s")
    print(
        f"extra seconds of a first run: median {statistics.median(extra):+.2f}, "
        f"range {min(extra):+.2f} to {max(extra):+.2f}"
    )
