"""``cnnlab.nn.functional`` against ``torch.nn.functional`` (hypothesis), and the errors that
name the argument, what was expected and what was given."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cnnlab
import cnnlab.nn.functional as F
from cnnlab.autograd.gradcheck import gradcheck
from layer_differential import compare
from reference import DTYPES, assert_close


def arrays_of(seed, *shapes, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


@given(
    st.integers(1, 5),
    st.integers(1, 5),
    st.lists(st.integers(1, 3), max_size=2),
    st.booleans(),
    st.sampled_from(DTYPES),
    st.integers(0, 2**16),
)
@settings(max_examples=150)
def test_linear(n_in, n_out, batch, bias, dtype, seed):
    shapes = [(*batch, n_in), (n_out, n_in)] + ([(n_out,)] if bias else [])
    compare(
        "linear",
        lambda F, lib, *t: F.linear(*t),
        arrays_of(seed, *shapes, dtype=dtype),
        dtype,
        seed,
    )


@st.composite
def batch_norm_calls(draw):
    shape = draw(st.sampled_from([(4, 3), (3, 2, 4), (2, 3, 2, 3), (5, 1), (2, 2, 1, 2)]))
    channels = shape[1]
    return dict(
        shape=shape,
        channels=channels,
        training=draw(st.booleans()),
        running=draw(st.booleans()),
        affine=draw(st.booleans()),
        momentum=draw(st.sampled_from([0.1, 0.0, 0.7, 1.0])),
        eps=draw(st.sampled_from([1e-5, 0.01])),
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**16)),
    )


@given(batch_norm_calls())
@settings(max_examples=200)
def test_batch_norm_updates_running_statistics_in_place_exactly_as_torch(case):
    assume(case["training"] or case["running"])
    dtype, c = case["dtype"], case["channels"]
    rng = np.random.default_rng(case["seed"])
    x = (rng.standard_normal(case["shape"]) * 3 + 1).astype(dtype)
    mean, var = rng.standard_normal(c).astype(dtype), rng.uniform(0.5, 2, c).astype(dtype)
    gamma, beta = rng.uniform(0.5, 1.5, c).astype(dtype), rng.standard_normal(c).astype(dtype)
    results = []
    for functional, lib in ((F, cnnlab), (TF, torch)):
        running = [lib.tensor(mean), lib.tensor(var)] if case["running"] else [None, None]
        kept = list(running)
        params = [lib.tensor(gamma, requires_grad=True), lib.tensor(beta, requires_grad=True)]
        xt = lib.tensor(x, requires_grad=True)
        out = functional.batch_norm(
            xt,
            *running,
            *(params if case["affine"] else (None, None)),
            training=case["training"],
            momentum=case["momentum"],
            eps=case["eps"],
        )
        out.backward(
            lib.tensor(
                np.random.default_rng([case["seed"], 1]).standard_normal(x.shape).astype(dtype)
            )
        )
        assert all(a is b for a, b in zip(running, kept, strict=True))  # the same tensors, updated
        results.append((out, xt.grad, *running, *(p.grad for p in params)))
    names = ("forward", "grad input", "running_mean", "running_var", "grad weight", "grad bias")
    for name, ours, theirs in zip(names, *results, strict=True):
        if theirs is None:
            assert ours is None, name
        else:
            assert_close(f"F.batch_norm {name}", ours, theirs, dtype)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradient_matches_finite_differences(training):
    rng = np.random.default_rng(3)
    x, gamma, beta = (
        cnnlab.tensor(a, requires_grad=True)
        for a in (
            rng.standard_normal((3, 2, 2, 2)),
            rng.uniform(0.5, 1.5, 2),
            rng.standard_normal(2),
        )
    )
    mean, var = cnnlab.tensor(rng.standard_normal(2)), cnnlab.tensor(rng.uniform(0.5, 2, 2))
    assert gradcheck(
        lambda *t: F.batch_norm(t[0], mean, var, t[1], t[2], training, momentum=0.0),
        [x, gamma, beta],
    )


# SATURATION: where tanh and sigmoid saturate, their gradients 1 - y^2 and y (1 - y) cancel.
# NumPy's float32 tanh (up to 1.4 ulp) and sigmoid (3.3 ulp), and 1 - y*y computed without
# PyTorch's fused multiply-add, then differ from PyTorch: in float32 by 3e-5 (relative) at
# |x| = 3.5 and by up to 100% at |x| = 9, in float64 by 3e-8 at |x| = 11 (reported for
# cnnlab.ops.activation). A small tensor whose elements all saturate would fail the bound,
# so the inputs of these two stay where the gradient keeps its digits.
SATURATING = ("tanh", "sigmoid", "Tanh", "Sigmoid")
UNSATURATED = {np.dtype(np.float32): 2.0, np.dtype(np.float64): 5.0}

ACTIVATIONS = {
    "relu": lambda F, lib, x: F.relu(x),
    "tanh": lambda F, lib, x: F.tanh(x),
    "sigmoid": lambda F, lib, x: F.sigmoid(x),
    "softmax": lambda F, lib, x: F.softmax(x, dim=-1),
    "softmax dim 0": lambda F, lib, x: F.softmax(x, 0),
    "log_softmax": lambda F, lib, x: F.log_softmax(x, dim=-1),
    "log_softmax dim 0": lambda F, lib, x: F.log_softmax(x, dim=0),
    "softmax to float64": lambda F, lib, x: F.softmax(x, 0, dtype=lib.float64),
    "dropout in eval": lambda F, lib, x: F.dropout(x, 0.5, training=False),
    "dropout p=0": lambda F, lib, x: F.dropout(x, 0.0),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@given(
    hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
    st.sampled_from(DTYPES),
    st.integers(0, 2**16),
)
@settings(max_examples=60)
def test_activations(name, shape, dtype, seed):
    x = arrays_of(seed, shape, dtype=dtype)[0] * 4
    if name in SATURATING:
        x = np.clip(x, -UNSATURATED[np.dtype(dtype)], UNSATURATED[np.dtype(dtype)])
    compare(name, ACTIVATIONS[name], [x], dtype, seed)


def test_softmax_of_large_scores_is_stable():
    x = np.array([[1000.0, 0.0, -1000.0], [88.0, 89.0, 90.0]], dtype=np.float32)
    assert_close(
        "F.softmax large",
        F.softmax(cnnlab.tensor(x), 1),
        TF.softmax(torch.tensor(x), 1),
        np.float32,
    )
    assert_close(
        "F.log_softmax large",
        F.log_softmax(cnnlab.tensor(x), 1),
        TF.log_softmax(torch.tensor(x), 1),
        np.float32,
    )


def test_dropout_in_training_scales_what_it_keeps():
    cnnlab.manual_seed(0)
    x = cnnlab.ones(100, 100, requires_grad=True)
    y = F.dropout(x, 0.25)
    kept = y.detach().numpy() != 0
    assert 0.70 < kept.mean() < 0.80
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.75, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.75, rtol=1e-6)


@st.composite
def loss_calls(draw):
    classes = draw(st.integers(1, 4))
    extra = draw(st.lists(st.integers(1, 3), max_size=2))
    unbatched = not extra and draw(st.booleans())
    shape = (classes,) if unbatched else (draw(st.integers(1, 4)), classes, *extra)
    target_shape = () if unbatched else (shape[0], *extra)
    return dict(
        shape=shape,
        target_shape=target_shape,
        classes=classes,
        ignore_index=draw(st.sampled_from([-100, 0, 1])),
        weight=draw(st.booleans()),
        reduction=draw(st.sampled_from(["mean", "sum", "none"])),
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**16)),
    )


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@given(loss_calls())
@settings(max_examples=200)
def test_cross_entropy_and_nll_loss(name, case):
    rng = np.random.default_rng(case["seed"])
    targets = rng.integers(0, case["classes"], case["target_shape"])
    assume(case["reduction"] != "mean" or (targets != case["ignore_index"]).any())
    x = rng.standard_normal(case["shape"]).astype(case["dtype"])
    weight = rng.uniform(0.2, 2, case["classes"]).astype(case["dtype"]) if case["weight"] else None
    arrays = [x] + ([weight] if case["weight"] else [])

    def fn(F, lib, x, *weight):
        return getattr(F, name)(
            x,
            lib.tensor(targets),
            *weight,
            ignore_index=case["ignore_index"],
            reduction=case["reduction"],
        )

    compare(
        name, fn, arrays, case["dtype"], case["seed"], differentiable=[True, False][: len(arrays)]
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(
    hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
    st.sampled_from(DTYPES),
    st.integers(0, 2**16),
)
@settings(max_examples=40)
def test_mse_loss(reduction, shape, dtype, seed):
    compare(
        "mse_loss",
        lambda F, lib, a, b: F.mse_loss(a, b, reduction=reduction),
        arrays_of(seed, shape, shape, dtype=dtype),
        dtype,
        seed,
    )


def test_mse_loss_of_mixed_float_dtypes_promotes_as_torch():
    a, b = np.ones(3, np.float64), np.zeros(3, np.float32)
    ours, theirs = (
        F.mse_loss(cnnlab.tensor(a), cnnlab.tensor(b)),
        TF.mse_loss(torch.tensor(a), torch.tensor(b)),
    )
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.") == "float64"


@pytest.mark.parametrize(
    ("labels", "num_classes"),
    [([0, 2, 1], -1), ([0, 2, 1], 5), ([[0], [3]], -1), ([[1, 0], [2, 2]], 3), (3, 4)],
)
def test_one_hot(labels, num_classes):
    ours = F.one_hot(cnnlab.tensor(labels), num_classes)
    theirs = TF.one_hot(torch.tensor(labels), num_classes)
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == "int64"


def test_flatten():
    x = np.zeros((2, 3, 4))
    assert F.flatten(cnnlab.tensor(x), 1).shape == torch.flatten(torch.tensor(x), 1).shape


# ----- clear errors
def raises(error, *fragments):
    """``pytest.raises(error)`` whose message must contain every fragment (plain text)."""

    class Check:
        def __enter__(self):
            self.context = pytest.raises(error)
            self.info = self.context.__enter__()
            return self.info

        def __exit__(self, *exc):
            suppressed = self.context.__exit__(*exc)
            message = str(self.info.value)
            for fragment in fragments:
                assert fragment in message, f"{fragment!r} not in {message!r}"
            return suppressed

    return Check()


X = cnnlab.zeros(4, 3)
X64 = cnnlab.zeros(4, 3, dtype=cnnlab.float64)
LABELS = cnnlab.tensor([0, 1, 2, 0])
ERRORS = {
    "linear feature mismatch": (
        lambda: F.linear(X, cnnlab.zeros(2, 5)),
        ValueError,
        ["linear", "input has 3 features but weight expects 5", "(4, 3)", "(2, 5)"],
    ),
    "linear bias shape": (
        lambda: F.linear(X, cnnlab.zeros(2, 3), cnnlab.zeros(3)),
        ValueError,
        ["linear", "bias must have shape (2,)", "got (3,)"],
    ),
    "linear integer input": (
        lambda: F.linear(cnnlab.tensor([[1, 2, 3]]), cnnlab.zeros(2, 3)),
        TypeError,
        ["linear", "input must be a floating point tensor", "int64"],
    ),
    "linear mixed dtypes": (
        lambda: F.linear(X64, cnnlab.zeros(2, 3)),
        TypeError,
        ["linear", "input is float64", "weight is float32"],
    ),
    "conv2d channel mismatch": (
        lambda: F.conv2d(cnnlab.zeros(1, 4, 5, 5), cnnlab.zeros(2, 3, 3, 3)),
        ValueError,
        ["input has 4 channels but weight expects 3", "(2, 3, 3, 3)"],
    ),
    "conv2d bias shape": (
        lambda: F.conv2d(cnnlab.zeros(1, 3, 5, 5), cnnlab.zeros(2, 3, 3, 3), cnnlab.zeros(3)),
        ValueError,
        ["conv2d", "bias must have shape (2,)", "got (3,)"],
    ),
    "conv2d 2-D input": (
        lambda: F.conv2d(cnnlab.zeros(5, 5), cnnlab.zeros(2, 1, 3, 3)),
        ValueError,
        ["conv2d", "3-D (C, H, W) or 4-D (N, C, H, W)", "(5, 5)"],
    ),
    "max_pool2d integer input": (
        lambda: F.max_pool2d(cnnlab.zeros(1, 1, 4, 4, dtype=cnnlab.int64), 2),
        TypeError,
        ["max_pool2d", "input must be a floating point tensor", "int64"],
    ),
    "batch_norm channel mismatch": (
        lambda: F.batch_norm(X, cnnlab.zeros(2), cnnlab.ones(2), training=True),
        ValueError,
        ["batch_norm", "running_mean must have shape (3,)", "(4, 3)", "got (2,)"],
    ),
    "batch_norm weight mismatch": (
        lambda: F.batch_norm(X, None, None, cnnlab.ones(4), training=True),
        ValueError,
        ["batch_norm", "weight must have shape (3,)", "got (4,)"],
    ),
    "batch_norm mixed running dtype": (
        lambda: F.batch_norm(X64, cnnlab.zeros(3), cnnlab.ones(3), training=True),
        TypeError,
        ["batch_norm", "input is float64", "running_mean is float32"],
    ),
    "batch_norm eval without statistics": (
        lambda: F.batch_norm(X, None, None, training=False),
        ValueError,
        ["batch_norm", "running_mean and running_var are needed"],
    ),
    "batch_norm 1-D input": (
        lambda: F.batch_norm(cnnlab.zeros(3), None, None, training=True),
        ValueError,
        ["batch_norm", "(N, C, ...)", "(3,)"],
    ),
    "cross_entropy target out of range": (
        lambda: F.cross_entropy(X, cnnlab.tensor([0, 1, 3, 0])),
        ValueError,
        ["cross_entropy", "target 3 is out of bounds for 3 classes"],
    ),
    "cross_entropy negative target": (
        lambda: F.cross_entropy(X, cnnlab.tensor([0, -1, 2, 0])),
        ValueError,
        ["cross_entropy", "target -1 is out of bounds"],
    ),
    "cross_entropy float targets of the wrong shape": (
        lambda: F.cross_entropy(X, cnnlab.tensor([0.0, 1.0, 2.0, 0.0])),
        ValueError,
        ["cross_entropy", "class-probability target must have the input's shape", "(4, 3)"],
    ),
    "nll_loss float targets": (
        lambda: F.nll_loss(X, cnnlab.tensor([0.0, 1.0, 2.0, 0.0])),
        TypeError,
        ["nll_loss", "target must be an integer tensor of class indices", "float32"],
    ),
    "cross_entropy target shape": (
        lambda: F.cross_entropy(X, cnnlab.tensor([0, 1])),
        ValueError,
        ["cross_entropy", "target shape (2,)", "input shape (4, 3)", "expected (4,)"],
    ),
    "cross_entropy integer scores": (
        lambda: F.cross_entropy(cnnlab.tensor([[1, 2]]), cnnlab.tensor([0])),
        TypeError,
        ["cross_entropy", "input must be a floating point tensor", "int64"],
    ),
    "cross_entropy weight per class": (
        lambda: F.cross_entropy(X, LABELS, weight=cnnlab.ones(2)),
        ValueError,
        ["cross_entropy", "weight must have shape (3,)", "got (2,)"],
    ),
    "cross_entropy mixed dtypes": (
        lambda: F.cross_entropy(X64, LABELS, weight=cnnlab.ones(3)),
        TypeError,
        ["cross_entropy", "input is float64", "weight is float32"],
    ),
    "cross_entropy reduction": (
        lambda: F.cross_entropy(X, LABELS, reduction="avg"),
        ValueError,
        ["cross_entropy", "reduction must be one of", "'avg'"],
    ),
    "cross_entropy label smoothing": (
        lambda: F.cross_entropy(X, LABELS, label_smoothing=1.5),
        ValueError,
        ["cross_entropy", "label_smoothing must be between 0.0 and 1.0", "1.5"],
    ),
    "nll_loss target out of range": (
        lambda: F.nll_loss(X, cnnlab.tensor([0, 1, 5, 0])),
        ValueError,
        ["nll_loss", "target 5 is out of bounds for 3 classes"],
    ),
    "nll_loss weight per class": (
        lambda: F.nll_loss(X, LABELS, weight=cnnlab.ones(4)),
        ValueError,
        ["nll_loss", "weight must have shape (3,)", "got (4,)"],
    ),
    "mse_loss shapes": (
        lambda: F.mse_loss(X, cnnlab.zeros(3)),
        ValueError,
        ["mse_loss", "input shape (4, 3)", "target shape (3,)"],
    ),
    "mse_loss integer input": (
        lambda: F.mse_loss(cnnlab.tensor([1, 2]), cnnlab.tensor([1, 3])),
        TypeError,
        ["mse_loss", "input must be a floating point tensor", "int64"],
    ),
    "softmax integer input": (
        lambda: F.softmax(cnnlab.tensor([1, 2]), 0),
        TypeError,
        ["softmax", "floating point", "int64"],
    ),
    "log_softmax dim out of range": (
        lambda: F.log_softmax(X, 2),
        IndexError,
        ["dimension out of range", "got 2"],
    ),
    "dropout p": (
        lambda: F.dropout(X, 1.5),
        ValueError,
        ["dropout", "probability has to be between 0 and 1", "1.5"],
    ),
    "one_hot negative": (
        lambda: F.one_hot(cnnlab.tensor([0, -1]), 3),
        ValueError,
        ["one_hot", "non-negative", "-1"],
    ),
    "one_hot too large": (
        lambda: F.one_hot(cnnlab.tensor([0, 3]), 3),
        ValueError,
        ["one_hot", "smaller than num_classes=3", "got 3"],
    ),
    "one_hot float": (
        lambda: F.one_hot(cnnlab.tensor([0.0, 1.0]), 3),
        TypeError,
        ["one_hot", "integer", "float32"],
    ),
    "a numpy array as input": (
        lambda: F.linear(np.zeros((2, 3)), cnnlab.zeros(2, 3)),
        TypeError,
        ["linear", "input must be a cnnlab Tensor", "ndarray"],
    ),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_bad_arguments_give_clear_errors(case):
    call, error, fragments = ERRORS[case]
    with raises(error, *fragments):
        call()
