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
