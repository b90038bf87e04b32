"""``cnnlab summary``, ``shape``, ``--help`` and the errors of every command, through ``main``
in-process (the subprocess tests cover the real process)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def trained(tmp_path_factory, cli_env):
    """A one-epoch LeNet-5 checkpoint on 200 digits, trained in-process."""
    from cnnlab.train import TrainConfig, train

    out = tmp_path_factory.mktemp("trained") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CNNLAB_CACHE", cli_env["CNNLAB_CACHE"])
        train(TrainConfig(epochs=1, limit=200, quiet=True, plots=False, out=str(out)))
    return out / "checkpoint.npz"


@pytest.mark.parametrize(
    ("args", "total"),
    [
        (["chapter_net"], "18,090"),
        (["lenet5_bn"], "62,186"),
        (["lenet5"], "61,706"),
        (["lenet5", "--input", "3x32x32"], "62,006"),
        (["lenet5_bn", "--engine", "torch"], "62,186"),
        (["resnet"], "176,954"),
        (["resnet", "--engine", "torch", "--depth", "3"], "176,954"),
    ],
)
def test_summary_totals(cnnlab_main, args, total):
    out = cnnlab_main("summary", *args).stdout
    assert out.rstrip().endswith(f"total parameters: {total}")


def test_summary_of_resnet_lists_each_layer_of_its_blocks_at_depth_3(cnnlab_main):
    out = cnnlab_main("summary", "resnet", "--depth", "3").stdout.splitlines()
    assert any(line.split()[:3] == ["stage2.0.conv3", "Conv2d", "[16,"] for line in out)
    shallow = cnnlab_main("summary", "resnet").stdout.splitlines()
    assert any(line.split()[:2] == ["stage4", "Sequential"] for line in shallow)


def test_summary_rows(cnnlab_main):
    out = cnnlab_main("summary", "chapter_net").stdout.splitlines()
    assert any(line.split()[:2] == ["flatten", "Flatten"] and "[512]" in line for line in out)
    assert any(line.split()[:2] == ["fc1", "Linear"] and line.endswith("16,416") for line in out)


@pytest.mark.parametrize(
    ("args", "output", "params"),
    [
        (["3x64x64", "conv", "f=6", "s=2", "p=1", "n=10"], "[10, 31, 31]", "1,090"),
        (["8x17x17", "conv", "f=5", "s=1", "p=0", "n=10"], "[10, 13, 13]", "2,010"),
        (["3x24x24", "pool", "f=2", "s=2"], "[3, 12, 12]", "0"),
        (["3x64x64", "conv f=6 s=2 p=1 n=10"], "[10, 31, 31]", "1,090"),
        (["3x24x24", "pool"], "[3, 12, 12]", "0"),
    ],
    ids=["exercise-3a", "exercise-3b", "exercise-3c", "one-argument", "pool-default"],
)
def test_shape_answers_exercise_3(cnnlab_main, args, output, params):
    lines = cnnlab_main("shape", *args).stdout.splitlines()
    assert output in lines[1] and f"  {params}  " in lines[1] + "  "
    assert lines[-1] == f"total parameters: {params}"


@pytest.mark.parametrize("command", ["", "train", "evaluate", "predict", "summary", "shape"])
def test_help(cnnlab_main, command):
    out = cnnlab_main(*([command] if command else []), "--help").stdout
    assert out.startswith("usage: cnnlab")


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (
            ["train", "--batch-size", "0"],
            2,
            "cnnlab train: error: --batch-size must be a positive integer, got 0",
        ),
        (["train", "--lr", "-1"], 2, "cnnlab train: error: --lr must be a positive number, got -1"),
        (["train", "--model", "vgg"], 2, "cnnlab train: error: --model invalid choice: 'vgg'"),
        (["train", "--classes", "a,b"], 2, "cnnlab train: error: --classes must be class labels"),
        (
            ["train", "--data", "mnist", "--epochs", "1"],
            1,
            "cnnlab: error: mnist: dataset files not found.",
        ),
        (["train", "--resume"], 1, "cnnlab: error: nothing to resume"),
        (
            ["evaluate", "missing.npz"],
            1,
            "cnnlab: error: missing.npz: no such checkpoint file or run directory",
        ),
        (
            ["summary", "lenet5", "--input", "3x"],
            2,
            "cnnlab summary: error: --input must be a shape",
        ),
        (
            ["shape", "3x8x8", "conv", "f=9", "n=2"],
            1,
            "cnnlab: error: conv f=9 n=2 on [3, 8, 8]: kernel size 9",
        ),
        (
            ["shape", "1x8x8", "pool", "f=2", "p=2"],
            1,
            "cnnlab: error: pool f=2 p=2: padding p=2 is more than half the window f=2",
        ),
        (
            ["shape", "1x8x8", "conv", "f=3", "n=2", "f=5"],
            1,
            "cnnlab: error: conv f=3 n=2: f= given twice",
        ),
        (["evaluate", "."], 1, "cnnlab: error: .: a directory without a checkpoint.npz"),
        (["fly"], 2, "cnnlab: error: argument COMMAND: invalid choice: 'fly'"),
    ],
)
def test_bad_input_exits_non_zero_with_one_reason(cnnlab_main, args, status, message):
    result = cnnlab_main(*args, expect=status)
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_corrupted_checkpoint_is_named(cnnlab_main, trained, tmp_path):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(trained.read_bytes()[:5000])
    result = cnnlab_main("evaluate", broken, expect=1)
    assert result.stderr.startswith(f"cnnlab: error: {broken}: not a readable cnnlab checkpoint")


def test_resume_refuses_a_changed_configuration(cnnlab_main, trained):
    result = cnnlab_main("train", "--resume", "--out", trained.parent, "--lr", "0.3", expect=1)
    assert (
        "a resumed run keeps the configuration it was started with; changed: lr=0.3"
        in result.stderr
    )


def test_train_refuses_to_overwrite_a_run(cnnlab_main, trained):
    result = cnnlab_main("train", "--out", trained.parent, expect=1)
    assert "already holds a run" in result.stderr and "--resume" in result.stderr


def test_version(cnnlab_main):
    assert cnnlab_main("--version").stdout.startswith("cnnlab ")
