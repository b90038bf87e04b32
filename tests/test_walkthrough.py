"""A new user's first hour, in a fresh folder: train on IDX files, evaluate from another
folder, predict digits drawn both ways round, and the README's snippets."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cnnlab.data import load
from dataset_files import write_idx

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def drawn(digit: np.ndarray, dark_on_light: bool) -> Image.Image:
    """``digit`` drawn large (150 pixels) off-centre on a 200 x 200 page."""
    big = np.asarray(Image.fromarray(digit).resize((150, 150), Image.Resampling.BILINEAR))
    page = np.zeros((200, 200), np.uint8)
    page[40:190, 10:160] = big
    return Image.fromarray(255 - page if dark_on_light else page)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A fresh folder with MNIST's four IDX files under ``data/``, and the subprocess env."""
    root = tmp_path_factory.mktemp("first-hour")
    data = root / "data"
    data.mkdir()
    train, test = load("mnist5k", train=True), load("mnist5k", train=False)
    write_idx(data / "train-images-idx3-ubyte.gz", train.images[:2000, 0], gz=True)
    write_idx(data / "train-labels-idx1-ubyte.gz", train.labels[:2000].astype(np.uint8), gz=True)
    write_idx(data / "t10k-images-idx3-ubyte.gz", test.images[:300, 0], gz=True)
    write_idx(data / "t10k-labels-idx1-ubyte.gz", test.labels[:300].astype(np.uint8), gz=True)
    env = dict(os.environ, CNNLAB_DATA=str(tmp_path_factory.mktemp("empty-data-root")))
    env.pop("COLUMNS", None)
    return root, env, test


def cnnlab(env, cwd, *args, expect=0):
    result = subprocess.run(
        [sys.executable, "-m", "cnnlab", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == expect, result.stderr
    assert "Traceback" not in result.stderr
    return result


def test_the_first_hour(home):
    root, env, test = home
    out = cnnlab(
        env, root, "train", "--data", "mnist", "--data-dir", "data", "--epochs", "3",
        "--threads", "1", "--no-augment", "--no-plots", "--out", "runs/idx",
    ).stdout  # fmt: skip
    assert "lenet5 on mnist (2,000 train / 300 test images" in out
    assert "train (running) loss" in out and "the final model, in eval mode" in out
    trained_accuracy = json.loads((root / "runs/idx/report.json").read_text())["accuracy"]

    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    result = cnnlab(env, elsewhere, "evaluate", "../runs/idx", "--json")
    assert result.stderr.startswith(
        "checkpoint ../runs/idx/checkpoint.npz: lenet5 trained on mnist"
    )
    report = json.loads(result.stdout)
    assert report["total"] == 300 and report["accuracy"] == trained_accuracy > 0.85

    one = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(one).line([(104, 30), (96, 170)], fill=0, width=14)
    one.save(elsewhere / "one.png")
    files = ["one.png"]
    for index in range(8):
        for dark in (True, False):
            name = f"{index}-{'dark' if dark else 'light'}.png"
            drawn(test.images[index, 0], dark).save(elsewhere / name)
            files.append(name)
    (elsewhere / "notes.txt").write_text("not an image")
    result = cnnlab(env, elsewhere, "predict", "../runs/idx", *files, "notes.txt", expect=1)
    assert (
        result.stderr.splitlines()[-1]
        == "cnnlab: error: notes.txt: not an image file Pillow can read"
    )
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert lines["one.png"].startswith("1 (") and lines["one.png"].endswith(
        "inverted (dark on light)"
    )
    confidence = float(re.match(r"1 \(([\d.]+)%\)", lines["one.png"]).group(1))
    assert confidence > 90
    answers = {name: lines[name].split(" ", 1)[0] for name in files[1:]}
    for name in files[1:]:
        assert lines[name].endswith("inverted (dark on light)") == ("dark" in name)
    right = sum(
        answers[f"{i}-{kind}.png"] == str(test.labels[i])
        for i in range(8)
        for kind in ("dark", "light")
    )
    assert right >= 14  # of 16: both polarities read as the digit they are
    for index in range(8):
        assert answers[f"{index}-dark.png"] == answers[f"{index}-light.png"]


@pytest.mark.parametrize("number", range(len(re.findall(r"```python\n", README))))
def test_the_readme_snippets_run_in_a_fresh_folder(number, tmp_path, monkeypatch):
    snippet = re.findall(r"```python\n(.*?)```", README, flags=re.S)[number]
    monkeypatch.chdir(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(snippet, "README.md", "exec"), {})
    assert list(tmp_path.iterdir()) == []  # nothing left behind
