"""Layer and group normalization and the losses beyond the chapter's (binary cross entropy of
probabilities and of logits, L1, smooth L1, Huber, cross entropy with label smoothing and with
class probabilities) against ``torch.nn.functional``, and finite differences."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import cnnlab
import cnnlab.nn.functional as F
from cnnlab.autograd.gradcheck import gradcheck
from layer_differential import compare
from reference import DTYPES

seeds = st.integers(0, 2**16)


@st.composite
def layer_norm_calls(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    normalized = shape[len(shape) - draw(st.integers(1, len(shape))) :]
    # with one value per row x_hat is 0 and the input gradient only rounding noise
    assume(np.prod(normalized) >= 2)
    affine = draw(st.sampled_from(["none", "weight", "both"]))
    return shape, normalized, affine, draw(st.sampled_from([1e-5, 0.1]))


@given(layer_norm_calls(), st.sampled_from(DTYPES), seeds)
@settings(max_examples=60)
def test_layer_norm_matches_torch(call, dtype, seed):
    shape, normalized, affine, eps = call
    rng = np.random.default_rng(seed)
    arrays = [(rng.standard_normal(shape) * 3 + rng.standard_normal()).astype(dtype)]
    arrays += [rng.uniform(0.5, 1.5, normalized).astype(dtype) for _ in range(2)]
    arrays = arrays[: {"none": 1, "weight": 2, "both": 3}[affine]]
    compare(
        "layer_norm",
        lambda F, lib, x, *wb: F.layer_norm(x, normalized, *wb, eps=eps),
        arrays,
        dtype,
        seed,
    )


@st.composite
def group_norm_calls(draw):
    groups = draw(st.integers(1, 3))
    channels = groups * draw(st.integers(1, 3))
    spatial = draw(st.lists(st.integers(1, 3), max_size=2))
    shape = (draw(st.integers(1, 3)), channels, *spatial)
    assume(channels // groups * np.prod(spatial, dtype=int) >= 2)  # as for layer_norm
    return shape, groups, draw(st.booleans()), draw(st.sampled_from([1e-5, 0.1]))


@given(group_norm_calls(), st.sampled_from(DTYPES), seeds)
@settings(max_examples=80)
def test_group_norm_matches_torch(call, dtype, seed):
    shape, groups, affine, eps = call
    rng = np.random.default_rng(seed)
    arrays = [(rng.standard_normal(shape) * 2).astype(dtype)]
    if affine:
        arrays += [rng.uniform(0.5, 1.5, shape[1]).astype(dtype) for _ in range(2)]
    compare(
        "group_norm",
        lambda F, lib, x, *wb: F.group_norm(x, groups, *wb, eps=eps),
        arrays,
        dtype,
        seed,
    )


def test_normalization_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    x = cnnlab.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
    w = cnnlab.tensor(rng.uniform(0.5, 1.5, (4, 3)), requires_grad=True)
    b = cnnlab.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (4, 3), w, b), [x, w, b])
    g = cnnlab.tensor(rng.uniform(0.5, 1.5, 4), requires_grad=True)
    h = cnnlab.tensor(rng.standard_normal(4), requires_grad=True)
    assert gradcheck(lambda x, g, h: F.group_norm(x, 2, g, h), [x, g, h])


def test_normalization_errors():
    x = cnnlab.zeros(2, 4, 3)
    with pytest.raises(ValueError, match=r"input shape \(2, 4, 3\) does not end with"):
        F.layer_norm(x, (4,))
    with pytest.raises(ValueError, match="4 channels must split into num_groups=3"):
        F.group_norm(x, 3)
    with pytest.raises(ValueError, match="expected more than 1 value per channel"):
        F.group_norm(cnnlab.zeros(1, 2), 2)
    with pytest.raises(
        ValueError, match=r"num_channels \(4\) must be divisible by num_groups \(3\)"
    ):
        cnnlab.nn.GroupNorm(3, 4)


REDUCTIONS = st.sampled_from(["mean", "sum", "none"])


@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=3),
    REDUCTIONS,
    st.sampled_from(["bce", "bce weight", "logits", "logits weights"]),
    st.sampled_from(DTYPES),
    seeds,
)
@settings(max_examples=60)
def test_binary_cross_entropy_matches_torch_in_input_and_target(
    shape, reduction, kind, dtype, seed
):
    rng = np.random.default_rng(seed)
    target = rng.uniform(0, 1, shape).astype(dtype)
    if rng.random() < 0.5:
        target = np.round(target)
    weight = rng.uniform(0.5, 2, shape[-1:]).astype(dtype)
    if kind.startswith("bce"):
        p = rng.uniform(0.02, 0.98, shape).astype(dtype)
        weights = [weight] if kind == "bce weight" else []

        def fn(F, lib, p, y, *w):
            return F.binary_cross_entropy(p, y, *w, reduction=reduction)

        compare(kind, fn, [p, target, *weights], dtype, seed, [True, True, *[False] * len(weights)])
        return
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    pos_weight = rng.uniform(0.5, 3, shape[-1:]).astype(dtype)
    weights = [weight, pos_weight] if kind == "logits weights" else []

    def fn(F, lib, x, y, *w):
        options = dict(zip(["weight", "pos_weight"], w, strict=False))
        return F.binary_cross_entropy_with_logits(x, y, reduction=reduction, **options)

    compare(kind, fn, [x, target, *weights], dtype, seed, [True, True, *[False] * len(weights)])


def test_binary_cross_entropy_at_zero_and_one_clamps_the_log_as_torch():
    import torch
    import torch.nn.functional as TF

    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    ours = F.binary_cross_entropy(cnnlab.tensor(p), cnnlab.tensor(y), reduction="none")
    theirs = TF.binary_cross_entropy(torch.tensor(p), torch.tensor(y), reduction="none")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(cnnlab.tensor([1.5]), cnnlab.tensor([1.0]))


@given(
    st.lists(st.integers(1, 4), max_size=3),
    REDUCTIONS,
    st.sampled_from(["l1_loss", "smooth_l1_loss", "huber_loss"]),
    st.sampled_from([0.3, 1.0, 2.0]),
    st.sampled_from(DTYPES),
    seeds,
)
@settings(max_examples=80)
def test_regression_losses_match_torch(shape, reduction, name, width, dtype, seed):
    rng = np.random.default_rng(seed)
    a, b = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    options = {"smooth_l1_loss": {"beta": width}, "huber_loss": {"delta": width}}.get(name, {})
    compare(
        name,
        lambda F, lib, x, y: getattr(F, name)(x, y, reduction=reduction, **options),
        [a, b],
        dtype,
        seed,
    )


@st.composite
def cross_entropy_calls(draw):
    classes = draw(st.integers(2, 5))
    extra = draw(st.lists(st.integers(1, 3), max_size=1))
    shape = (draw(st.integers(1, 4)), classes, *extra)
    return dict(
        shape=shape,
        probabilities=draw(st.booleans()),
        label_smoothing=draw(st.sampled_from([0.0, 0.1, 0.5, 1.0])),
        weight=draw(st.booleans()),
        ignore_index=draw(st.sampled_from([-100, 1])),
        reduction=draw(REDUCTIONS),
    )


@given(cross_entropy_calls(), st.sampled_from(DTYPES), seeds)
@settings(max_examples=100)
def test_cross_entropy_with_label_smoothing_and_probabilities_matches_torch(call, dtype, seed):
    rng = np.random.default_rng(seed)
    shape, classes = call["shape"], call["shape"][1]
    x = (rng.standard_normal(shape) * 2).astype(dtype)
    weight = [rng.uniform(0.5, 2, classes).astype(dtype)] if call["weight"] else []
    options = dict(label_smoothing=call["label_smoothing"], reduction=call["reduction"])
    if call["probabilities"]:
        q = rng.uniform(0, 1, shape)
        q = (q / q.sum(axis=1, keepdims=True)).astype(dtype)

        def fn(F, lib, x, q, *w):
            return F.cross_entropy(x, q, *w, **options)

        compare(
            "cross_entropy probabilities",
            fn,
            [x, q, *weight],
            dtype,
            seed,
            [True, False, *[False] * len(weight)],
        )
        return
    labels = rng.integers(0, classes, (shape[0], *shape[2:]))
    labels[0] = (call["ignore_index"] + 1) % classes  # at least one target counts

    def fn(F, lib, x, *w):
        return F.cross_entropy(
            x, lib.tensor(labels), *w, ignore_index=call["ignore_index"], **options
        )

    compare(
        "cross_entropy label_smoothing",
        fn,
        [x, *weight],
        dtype,
        seed,
        [True, *[False] * len(weight)],
    )


def test_loss_gradients_match_finite_differences():
    rng = np.random.default_rng(4)
    x = cnnlab.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y = cnnlab.tensor(rng.uniform(0, 1, (3, 4)), requires_grad=True)
    pw = cnnlab.tensor(rng.uniform(0.5, 2, 4))
    assert gradcheck(lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=pw), [x, y])
    p = cnnlab.tensor(rng.uniform(0.1, 0.9, (3, 4)), requires_grad=True)
    assert gradcheck(lambda p, y: F.binary_cross_entropy(p, y), [p, y])
    labels = cnnlab.tensor([0, 3, 1])
    assert gradcheck(lambda x: F.cross_entropy(x, labels, label_smoothing=0.2), [x])
    assert gradcheck(lambda x, y: F.smooth_l1_loss(x, y, beta=0.5), [x, y])
