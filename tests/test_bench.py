"""The benchmark measures both engines and reports consistent ratios (no timing is asserted)."""

import json
import subprocess
import sys

from cnnlab import bench


def test_rows_cover_training_inference_and_ops_with_consistent_ratios():
    rows = bench.run(repeats=1, quick=True, memory=False)
    groups = {row.group for row in rows}
    assert groups == {"train step", "inference", "op fwd+bwd"}
    for row in rows:
        assert row.cnnlab > 0 and row.torch > 0
        assert 0 < row.ratio_low <= row.ratio <= row.ratio_high
    table = bench.format_rows(rows)
    assert "lenet5, batch 64" in table and "ratio" in table


def test_a_row_takes_the_median_of_the_rounds_and_their_ratios():
    """Round 2 had a busy machine for cnnlab: its figure is dropped by the median, and its ratio
    shows as the low end of the spread."""
    ours, theirs = [0.010, 0.030, 0.011], [0.020, 0.021, 0.022]
    row = bench._row("train step", "lenet5, batch 64", "images/s", (ours, theirs), 64)
    assert row.cnnlab == 64 / 0.011 and row.torch == 64 / 0.021
    assert (row.ratio_low, row.ratio, row.ratio_high) == (0.021 / 0.030, 2.0, 2.0)
    latency = bench._row("inference", "batch 1", "ms", (ours, theirs), 1e3)
    assert latency.cnnlab == 11.0 and latency.torch == 21.0 and latency.ratio == 2.0
    assert "2.00 (0.70-2.00)" in bench.format_rows([row])


def test_peak_memory_is_measured_in_a_child_process():
    assert bench._peak_memory_mb("cnnlab", "lenet5", 64) > 0.5  # X_col of conv1 alone is 5 MB


def test_cnnlab_bench_command_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cnnlab",
            "bench",
            "--quick",
            "--repeats",
            "1",
            "--no-memory",
            "--threads",
            "1",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "threads: torch 1, cnnlab kernels 1" in done.stdout
    result = json.loads(out.read_text())
    assert result["rows"][0]["name"] == "lenet5, batch 64"
