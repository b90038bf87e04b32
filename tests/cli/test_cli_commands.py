"""``cnnlab evaluate`` and ``predict`` end to end, as subprocesses, on a CLI-trained model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from cnnlab.data import load
from cnnlab.train import load_model
from cnnlab.train.predict import read_image


@pytest.fixture(scope="module")
def trained(tmp_path_factory, cli_env):
    """A LeNet-5 trained for 2 epochs on 1,000 embedded digits, via the CLI."""
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("trained")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cnnlab",
            "train",
            "--epochs",
            "2",
            "--schedule",
            "none",
            "--limit",
            "1000",
            "--quiet",
            "--no-plots",
            "--out",
            "run",
        ],
        cwd=root,
        env=cli_env,
        check=True,
        timeout=120,
    )
    return root / "run" / "checkpoint.npz"


def test_evaluate_json_on_the_default_data(cnnlab, trained):
    report = json.loads(cnnlab("evaluate", trained, "--json", "--limit", "300").stdout)
    assert report["total"] == 300
    assert set(report) >= {"accuracy", "per_class", "confusion_matrix", "loss", "classes"}
    assert report["accuracy"] > 0.4  # 2 short epochs: well above chance (0.1)
    assert sum(v["total"] for v in report["per_class"].values()) == 300


def test_evaluate_on_the_torch_engine_agrees_with_numpy(cnnlab, trained, cli_env, monkeypatch):
    from cnnlab.train import evaluate_checkpoint

    theirs = json.loads(
        cnnlab("evaluate", trained, "--json", "--limit", "300", "--engine", "torch").stdout
    )
    monkeypatch.setenv("CNNLAB_CACHE", cli_env["CNNLAB_CACHE"])
    mine = evaluate_checkpoint(trained, limit=300)
    assert mine["confusion_matrix"] == theirs["confusion_matrix"]
    assert mine["loss"] == pytest.approx(theirs["loss"], rel=1e-5)


def test_predict_images_of_any_size_and_colour(cnnlab, trained, tmp_path, cli_env, monkeypatch):
    monkeypatch.setenv("CNNLAB_CACHE", cli_env["CNNLAB_CACHE"])
    digits = load("mnist5k", train=False).images[:3]
    grey, big, drawn = tmp_path / "grey.png", tmp_path / "big.jpg", tmp_path / "drawn.png"
    Image.fromarray(digits[0, 0]).save(grey)
    rgb = Image.fromarray(digits[1, 0]).convert("RGB").resize((112, 84), Image.NEAREST)
    rgb.save(big, quality=95)
    Image.fromarray(255 - digits[2, 0]).save(drawn)  # dark on light, as drawn by hand
    result = cnnlab("predict", trained.parent, grey, big, "--json")
    assert result.stderr.startswith(f"checkpoint {trained}: lenet5 trained on mnist5k, epoch 2")
    results = json.loads(result.stdout)
    loaded = load_model(trained)
    inputs = np.stack([read_image(grey, loaded)[0], read_image(big, loaded)[0]])
    assert [r["index"] for r in results] == loaded.scores(inputs).argmax(axis=1).tolist()
    for result in results:
        assert result["class"] == loaded.classes[result["index"]]
        assert sum(result["probabilities"].values()) == pytest.approx(1, abs=1e-6)
        assert result["inverted"] is False
    text = cnnlab("predict", trained, drawn, "--top", "2").stdout
    placed, inverted = read_image(drawn, loaded)
    assert inverted and np.array_equal(placed, read_image(drawn, loaded, invert=True)[0])
    expected = loaded.classes[int(loaded.scores(placed[np.newaxis]).argmax())]
    assert text.startswith(f"{drawn}: {expected} (")
    assert text.count("%") == 3  # the best class, then the top 2
    assert text.rstrip().endswith("inverted (dark on light)")


def test_predict_answers_every_readable_file_and_then_fails(cnnlab_main, trained, tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not a png")
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "blank.png")
    files = [tmp_path / "broken.png", tmp_path / "blank.png", tmp_path / "gone.png"]
    result = cnnlab_main("predict", trained, *files, expect=1)
    errors = result.stderr.splitlines()[1:]
    assert errors == [
        f"cnnlab: error: {files[0]}: not an image file Pillow can read",
        f"cnnlab: error: {files[2]}: no such image file",
    ]
    assert result.stdout.startswith(f"{files[1]}: ") and result.stdout.count("\n") == 1
    as_json = json.loads(cnnlab_main("predict", trained, *files, "--json", expect=1).stdout)
    assert sorted(as_json[0]) == ["error", "file"]
    assert as_json[1]["class"] == result.stdout.split(": ")[1].split(" ")[0]


def test_a_bad_flag_in_a_real_process_is_one_line_and_status_2(cnnlab):
    result = cnnlab("train", "--batch-size", "0", expect=2)
    assert result.stderr == "cnnlab train: error: --batch-size must be a positive integer, got 0\n"
    assert result.stdout == ""
