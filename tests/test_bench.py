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
        faster_is_higher = row.unit == "images/s"
        expected = row.cnnlab / row.torch if faster_is_higher else row.torch / row.cnnlab
        assert abs(row.ratio - expected) <= 1e-9 * expected
    table = bench.format_rows(rows)
    assert "lenet5, batch 64" in table and "ratio" in table


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
