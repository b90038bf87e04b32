"""The tree is ruff clean and ruff formatted (the style STYLE.md asks for)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["src", "tests", "benchmarks", "examples"]


def test_ruff_check_finds_nothing():
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *PATHS],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout


def test_ruff_format_changes_nothing():
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *PATHS],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout
