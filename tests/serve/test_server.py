"""``cnnlab serve`` as a user runs it: which checkpoint it serves, the URL it prints, the
warning for all interfaces, bad arguments, and Ctrl-C stopping it within seconds."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from cnnlab.cli import build_parser, main
from cnnlab.models.registry import pretrained_path
from cnnlab.serve.server import page_url, resolve_checkpoint
from cnnlab.train.checkpoint import CHECKPOINT_NAME


def test_checkpoint_resolution(tmp_path, runs_dir):
    path, label = resolve_checkpoint(None, tmp_path / "runs")
    assert path == pretrained_path("lenet5") and "pretrained" in label
    path, label = resolve_checkpoint(None, runs_dir)
    assert path.parent.parent == runs_dir and "latest run" in label
    run = runs_dir / "lenet5-finished"
    assert resolve_checkpoint(run, tmp_path)[0] == run / CHECKPOINT_NAME
    assert resolve_checkpoint(run / CHECKPOINT_NAME, tmp_path)[0] == run / CHECKPOINT_NAME
    with pytest.raises(ValueError, match=f"a directory without a {CHECKPOINT_NAME}"):
        resolve_checkpoint(tmp_path, tmp_path)
    with pytest.raises(ValueError, match="no such checkpoint file or run directory"):
        resolve_checkpoint(tmp_path / "missing.npz", tmp_path)


def test_page_urls():
    assert page_url("127.0.0.1", 8000) == "http://127.0.0.1:8000/"
    assert page_url("0.0.0.0", 80) == "http://127.0.0.1:80/"
    assert page_url("::", 8000) == "http://[::1]:8000/"
    assert page_url("::1", 8000) == "http://[::1]:8000/"


def start_serve(cwd: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """Run ``cnnlab serve --port 0 ARGS`` and return it with the URL it printed."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "cnnlab", "serve", "--port", "0", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = re.search(r"open (http://\S+)", line)
        if match:
            return process, match.group(1)
    process.kill()
    raise AssertionError(f"no URL printed: {lines} {process.stderr.read()}")


def stop(process: subprocess.Popen) -> tuple[float, float, str, str]:
    """Ctrl-C the server; return the seconds until it said it stopped (it no longer listens)
    and until the process ended, with its stdout and stderr."""
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    said = process.stdout.readline()
    stopped = time.monotonic() - started
    try:
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()
    return stopped, time.monotonic() - started, said + out, err


def test_serve_warns_on_all_interfaces_serves_the_pretrained_model_and_stops_on_ctrl_c(
    tmp_path,
):
    process, url = start_serve(tmp_path, "--host", "0.0.0.0")
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url + "api/model", timeout=10) as answer:
        body = answer.read().decode()
    assert '"model":"lenet5"' in body and "pretrained" in body
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert 'id="pad"' in answer.read().decode()
    stopped, ended, stdout, stderr = stop(process)
    assert "cnnlab serve: stopped" in stdout
    assert stopped < 3 and ended < 10  # exiting takes ~0.3 s more on an idle machine
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=5)
    assert process.returncode == 0, stderr
    assert "warning: listening on all interfaces" in stderr
    assert "Traceback" not in stderr


def test_serve_listens_on_this_machine_only_unless_told(capsys):
    assert build_parser().parse_args(["serve"]).host == "127.0.0.1"


def test_serve_refuses_what_it_cannot_serve(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["serve", "nothing.npz"]) == 1
    assert "nothing.npz: no such checkpoint file or run directory" in capsys.readouterr().err
    (tmp_path / "fake.npz").write_text("not a checkpoint")
    assert main(["serve", "fake.npz"]) == 1
    assert "fake.npz: not a readable cnnlab checkpoint" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_code:
        main(["serve", "--port", "70000"])
    assert exit_code.value.code == 2
    assert "--port must be a port number in 0..65535, got 70000" in capsys.readouterr().err
