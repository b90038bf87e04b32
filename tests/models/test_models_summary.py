"""``summary``: per-layer output shapes and parameter counts, totals as in the chapter."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.models import build, format_summary, summary

ENGINES = ("numpy", "torch")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("name", "shape", "total"),
    [
        ("chapter_net", (3, 32, 32), 18090),
        ("lenet5_bn", (3, 32, 32), 62186),
        ("lenet5", (1, 28, 28), 61706),
    ],
)
def test_totals_match_the_chapter(engine, name, shape, total):
    result = summary(build(name, engine), shape)
    assert result.total_parameters == total == sum(row.parameters for row in result.rows)
    assert result.trainable_parameters == total
    assert f"total parameters: {total:,}" in format_summary(result)


@pytest.mark.parametrize("engine", ENGINES)
def test_chapter_net_rows_follow_fig_8_22(engine):
    rows = summary(build("chapter_net", engine), (3, 32, 32)).rows
    table = [(r.name, r.type, r.output_shape, r.parameters) for r in rows]
    assert table == [
        ("conv1", "Conv2d", (16, 32, 32), 448),
        ("tanh1", "Tanh", (16, 32, 32), 0),
        ("pool1", "MaxPool2d", (16, 16, 16), 0),
        ("conv2", "Conv2d", (8, 16, 16), 1160),
        ("tanh2", "Tanh", (8, 16, 16), 0),
        ("pool2", "MaxPool2d", (8, 8, 8), 0),
        ("flatten", "Flatten", (512,), 0),
        ("fc1", "Linear", (32,), 16416),
        ("tanh3", "Tanh", (32,), 0),
        ("fc2", "Linear", (2,), 66),
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_summary_leaves_batch_norm_statistics_and_mode_alone(engine):
    model = build("lenet5_bn", engine)
    before = {k: np.array(v.numpy()) for k, v in model.state_dict().items()}
    result = summary(model, (3, 32, 32))
    assert model.training
    assert [r.output_shape for r in result.rows if r.name.startswith("bn")] == [(6, 14, 14), (84,)]
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(np.array(value.numpy()), before[key], err_msg=key)
    model.eval()
    summary(model, (3, 32, 32))
    assert not model.training


def test_an_input_the_model_cannot_take_names_the_layer():
    with pytest.raises(ValueError, match=r"layer 'conv1' \(Conv2d\)"):
        summary(build("lenet5"), (3, 28, 28))
    with pytest.raises(ValueError, match="input_shape must be positive"):
        summary(build("lenet5"), (0, 28, 28))


@pytest.mark.parametrize("engine", ENGINES)
def test_resnet_rows_at_each_depth_add_up(engine):
    model = build("resnet", engine)
    top = summary(model, (1, 28, 28))
    assert [r.name for r in top.rows] == [
        "stem",
        "stage1",
        "stage2",
        "stage3",
        "stage4",
        "pool",
        "flatten",
        "fc",
    ]
    assert [r.output_shape for r in top.rows][:5] == [
        (8, 7, 7),
        (8, 7, 7),
        (16, 4, 4),
        (32, 2, 2),
        (64, 1, 1),
    ]
    deep = summary(model, (1, 28, 28), depth=3)
    # each block runs conv1, bn1, conv2, bn2, then its shortcut's 1x1 convolution
    names = [r.name for r in deep.rows]
    assert names[names.index("stage2.0.conv1") :][:5] == [
        "stage2.0.conv1",
        "stage2.0.bn1",
        "stage2.0.conv2",
        "stage2.0.bn2",
        "stage2.0.conv3",
    ]
    for result in (top, deep):
        assert sum(r.parameters for r in result.rows) == result.total_parameters == 176954


def inception(lib):
    """d2l's Inception block: four branches joined by ``cat`` on the channels."""
    nn, F = lib.nn, lib.nn.functional

    class Inception(nn.Module):
        def __init__(self, c_in, c1, c2, c3, c4):
            super().__init__()
            self.b1_1 = nn.Conv2d(c_in, c1, kernel_size=1)
            self.b2_1 = nn.Conv2d(c_in, c2[0], kernel_size=1)
            self.b2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
            self.b3_1 = nn.Conv2d(c_in, c3[0], kernel_size=1)
            self.b3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
            self.b4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
            self.b4_2 = nn.Conv2d(c_in, c4, kernel_size=1)

        def forward(self, x):
            b1 = F.relu(self.b1_1(x))
            b2 = F.relu(self.b2_2(F.relu(self.b2_1(x))))
            b3 = F.relu(self.b3_2(F.relu(self.b3_1(x))))
            b4 = F.relu(self.b4_2(self.b4_1(x)))
            return lib.cat((b1, b2, b3, b4), dim=1)

    return nn.Sequential(Inception(3, 4, (2, 5), (1, 3), 2), nn.Conv2d(14, 6, 1))


@pytest.mark.parametrize("engine", ENGINES)
def test_an_inception_block_is_summarized_branch_by_branch(engine):
    import torch

    import cnnlab

    model = inception(cnnlab if engine == "numpy" else torch)
    deep = summary(model, (3, 8, 8), depth=2)
    assert [(r.name, r.output_shape) for r in deep.rows] == [
        ("0.b1_1", (4, 8, 8)),
        ("0.b2_1", (2, 8, 8)),
        ("0.b2_2", (5, 8, 8)),
        ("0.b3_1", (1, 8, 8)),
        ("0.b3_2", (3, 8, 8)),
        ("0.b4_1", (3, 8, 8)),
        ("0.b4_2", (2, 8, 8)),
        ("1", (6, 8, 8)),
    ]
    top = summary(model, (3, 8, 8))
    assert [(r.name, r.type, r.output_shape) for r in top.rows] == [
        ("0", "Inception", (14, 8, 8)),
        ("1", "Conv2d", (6, 8, 8)),
    ]
    for result in (top, deep):
        assert sum(r.parameters for r in result.rows) == result.total_parameters
    with pytest.raises(ValueError, match=r"layer '0.b1_1' \(Conv2d\) cannot take .* \[2, 8, 8\]"):
        summary(model, (2, 8, 8), depth=2)


def test_a_layer_called_twice_counts_its_parameters_once():
    import cnnlab

    layer = cnnlab.nn.Linear(4, 4)
    model = cnnlab.nn.Sequential(layer, cnnlab.nn.ReLU(), layer)
    result = summary(model, (4,))
    assert [(r.name, r.parameters) for r in result.rows] == [("0", 20), ("1", 0), ("0", 0)]
    assert summary(layer, (4,)).rows[0].name == "Linear"
