"""Each layer against its ``torch.nn`` twin (weights copied from the torch layer): forward and
every gradient on hypothesis-generated cases, finite differences for batch norm and cross
entropy, and the default initialization's distribution."""

import math

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

import cnnlab
from cnnlab.autograd.gradcheck import gradcheck
from layer_differential import compare_layer, twins
from reference import DTYPES, assert_close


def array(seed, shape, dtype):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ----- Conv2d and Linear
@st.composite
def conv_layers(draw):
    kernel = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    stride = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    dilation = draw(st.tuples(st.integers(1, 2), st.integers(1, 2)))
    options = ["int", "pair", "valid"] + (["same"] if stride == (1, 1) else [])
    padding = {
        "int": draw(st.integers(0, 2)),
        "pair": draw(st.tuples(st.integers(0, 2), st.integers(0, 2))),
        "valid": "valid",
        "same": "same",
    }[draw(st.sampled_from(options))]
    size = tuple(
        d * (k - 1) + 1 + draw(st.integers(0, 4)) for k, d in zip(kernel, dilation, strict=True)
    )
    return dict(
        args=(draw(st.integers(1, 3)), draw(st.integers(1, 4)), kernel),
        kwargs=dict(stride=stride, padding=padding, dilation=dilation, bias=draw(st.booleans())),
        batch=draw(st.integers(1, 3)),
        size=size,
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**16)),
    )


@given(conv_layers())
@settings(max_examples=100)
def test_conv2d_layer_matches_torch(case):
    torch.manual_seed(case["seed"])
    ours, theirs = twins("Conv2d", *case["args"], dtype=case["dtype"], **case["kwargs"])
    x = array(case["seed"], (case["batch"], case["args"][0], *case["size"]), case["dtype"])
    compare_layer("Conv2d", ours, theirs, x, case["seed"])


def test_conv2d_same_and_valid_output_sizes():
    x = cnnlab.zeros(1, 2, 7, 6)
    assert cnnlab.nn.Conv2d(2, 3, (3, 4), padding="same")(x).shape == (1, 3, 7, 6)
    assert cnnlab.nn.Conv2d(2, 3, (3, 4), padding="same", dilation=2)(x).shape == (1, 3, 7, 6)
    assert cnnlab.nn.Conv2d(2, 3, (3, 4), padding="valid")(x).shape == (1, 3, 5, 3)
    assert cnnlab.nn.Conv2d(2, 3, 3, bias=False).bias is None
    assert [n for n, _ in cnnlab.nn.Conv2d(2, 3, 3, bias=False).named_parameters()] == ["weight"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            dict(in_channels=0, out_channels=2, kernel_size=3),
            ValueError,
            "in_channels must be a positive int, got 0",
        ),
        (
            dict(in_channels=1, out_channels=2, kernel_size=3, stride=2, padding="same"),
            ValueError,
            "padding='same' needs stride 1",
        ),
        (
            dict(in_channels=1, out_channels=2, kernel_size=3, padding="full"),
            ValueError,
            "padding must be an int, a pair, 'same' or 'valid'",
        ),
        (
            dict(in_channels=1, out_channels=2, kernel_size=0),
            ValueError,
            "kernel_size must be >= 1",
        ),
        (
            dict(in_channels=1, out_channels=2, kernel_size=2.5),
            TypeError,
            "kernel_size must be an int or a pair",
        ),
        (
            dict(in_channels=1, out_channels=2, kernel_size=3, groups=2),
            ValueError,
            "in_channels (1) must be divisible by groups (2)",
        ),
        (
            dict(in_channels=2, out_channels=2, kernel_size=3, padding_mode="mirror"),
            ValueError,
            "padding_mode must be one of",
        ),
    ],
)
def test_conv2d_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        cnnlab.nn.Conv2d(**kwargs)


def test_conv2d_channel_mismatch_names_both_shapes():
    with pytest.raises(
        ValueError,
        match=r"input has 4 channels but weight expects 3 \(weight shape \(16, 3, 3, 3\)\)",
    ):
        cnnlab.nn.Conv2d(3, 16, 3)(cnnlab.zeros(1, 4, 8, 8))


@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.lists(st.integers(1, 3), max_size=2),
    st.booleans(),
    st.sampled_from(DTYPES),
    st.integers(0, 2**16),
)
@settings(max_examples=100)
def test_linear_layer_matches_torch(n_in, n_out, batch, bias, dtype, seed):
    torch.manual_seed(seed)
    ours, theirs = twins("Linear", n_in, n_out, bias=bias, dtype=dtype)
    compare_layer("Linear", ours, theirs, array(seed, (*batch, n_in), dtype), seed)


def test_linear_feature_mismatch_names_both_shapes():
    with pytest.raises(
        ValueError,
        match=r"linear: input has 5 features but weight expects 4 "
        r"\(input shape \(2, 5\), weight shape \(3, 4\)\)",
    ):
        cnnlab.nn.Linear(4, 3)(cnnlab.zeros(2, 5))
    with pytest.raises(ValueError, match="out_features must be a positive int"):
        cnnlab.nn.Linear(4, 0)


# ----- pooling
@st.composite
def pool_layers(draw, average):
    kernel = draw(st.tuples(st.integers(1, 3), st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    size = tuple(k + draw(st.integers(0, 5)) for k in kernel)
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding, ceil_mode=draw(st.booleans()))
    if average:
        kwargs["count_include_pad"] = draw(st.booleans())
    return dict(
        kwargs=kwargs,
        shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3)), *size),
        ties=draw(st.booleans()),
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**16)),
    )


@pytest.mark.parametrize("name", ["MaxPool2d", "AvgPool2d"])
@given(data=st.data())
@settings(max_examples=150)
def test_pooling_layers_match_torch(name, data):
    case = data.draw(pool_layers(average=name == "AvgPool2d"))
    ours, theirs = twins(name, dtype=case["dtype"], **case["kwargs"])
    rng = np.random.default_rng(case["seed"])
    if case["ties"]:
        x = rng.integers(-2, 3, case["shape"]).astype(case["dtype"])
    else:
        x = rng.standard_normal(case["shape"]).astype(case["dtype"])
    try:
        ours(cnnlab.tensor(x))
    except ValueError as error:  # windows of pure padding: cnnlab refuses them (see tests/ops)
        assume("only padding" not in str(error))
        raise
    compare_layer(name, ours, theirs, x, case["seed"])


def test_max_pool_return_indices_match_torch():
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 5))
    out, indices = cnnlab.nn.MaxPool2d(2, return_indices=True)(cnnlab.tensor(x))
    ref, ref_indices = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    assert_close("MaxPool2d return_indices", out, ref, np.float64)
    np.testing.assert_array_equal(indices.numpy(), ref_indices.numpy())


# ----- batch normalization
@st.composite
def batch_norm_cases(draw):
    name, ndim = draw(st.sampled_from([("BatchNorm1d", 2), ("BatchNorm1d", 3), ("BatchNorm2d", 4)]))
    channels = draw(st.integers(1, 3))
    shape = (draw(st.integers(2, 4)), channels, *(draw(st.integers(1, 3)) for _ in range(ndim - 2)))
    # with 2 values per channel the input gradient of training mode is 0 (x_hat = +-1): its
    # relative error would only measure rounding noise
    assume(np.prod(shape) // channels >= 3)
    kwargs = dict(
        eps=draw(st.sampled_from([1e-5, 1e-3, 0.1])),
        momentum=draw(st.sampled_from([0.1, 0.5, 1.0, None])),
        affine=draw(st.booleans()),
        track_running_stats=draw(st.booleans()),
        bias=draw(st.booleans()),
    )
    return dict(
        name=name,
        shape=shape,
        kwargs=kwargs,
        steps=draw(st.lists(st.booleans(), min_size=1, max_size=4)),
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**16)),
    )


@given(batch_norm_cases())
@settings(max_examples=150)
def test_batch_norm_layers_train_and_eval_match_torch_step_by_step(case):
    """Several steps, each in train or eval mode: outputs, all gradients and the running
    statistics (mean, unbiased variance, num_batches_tracked) stay equal to torch's."""
    name, dtype = case["name"], case["dtype"]
    ours, theirs = twins(name, case["shape"][1], dtype=dtype, **case["kwargs"])
    rng = np.random.default_rng(case["seed"])
    with torch.no_grad():
        for p in theirs.parameters():  # not the default ones and zeros
            p.copy_(torch.tensor(rng.uniform(0.5, 1.5, p.shape)))
    ours.load_state_dict(theirs.state_dict())
    for step, training in enumerate(case["steps"]):
        ours.train(training)
        theirs.train(training)
        for module in (ours, theirs):
            module.zero_grad()
        x = (rng.standard_normal(case["shape"]) * 2 + rng.standard_normal()).astype(dtype)
        compare_layer(
            f"{name} {'train' if training else 'eval'}", ours, theirs, x, case["seed"] + step
        )
        for key, ref in theirs.state_dict().items():
            if key.endswith("num_batches_tracked"):
                assert int(ours.state_dict()[key]) == int(ref)
            else:
                assert_close(f"{name} {key.split('.')[-1]}", ours.state_dict()[key], ref, dtype)


def test_batch_norm_momentum_none_is_the_cumulative_average():
    bn = cnnlab.nn.BatchNorm1d(2, momentum=None).double()
    batches = [np.random.default_rng(i).standard_normal((5, 2)) * (i + 1) for i in range(4)]
    for b in batches:
        bn(cnnlab.tensor(b))
    np.testing.assert_allclose(
        bn.running_mean.numpy(), np.mean([b.mean(0) for b in batches], axis=0), rtol=1e-12
    )
    np.testing.assert_allclose(
        bn.running_var.numpy(), np.mean([b.var(0, ddof=1) for b in batches], axis=0), rtol=1e-12
    )
    assert int(bn.num_batches_tracked) == 4


def test_batch_norm_state_dict_keys_and_input_checks():
    for nn in (cnnlab.nn, torch.nn):
        assert list(nn.BatchNorm2d(3).state_dict()) == [
            "weight",
            "bias",
            "running_mean",
            "running_var",
            "num_batches_tracked",
        ]
        assert list(nn.BatchNorm2d(3, affine=False, track_running_stats=False).state_dict()) == []
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected 4-D input, got shape \(2, 3\)"):
        cnnlab.nn.BatchNorm2d(3)(cnnlab.zeros(2, 3))
    with pytest.raises(
        ValueError, match=r"BatchNorm1d: expected 2-D or 3-D input, got shape \(2, 3, 1, 1\)"
    ):
        cnnlab.nn.BatchNorm1d(3)(cnnlab.zeros(2, 3, 1, 1))
    with pytest.raises(ValueError, match="input has 4 channels but the layer has num_features=3"):
        cnnlab.nn.BatchNorm2d(3)(cnnlab.zeros(2, 4, 2, 2))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        cnnlab.nn.BatchNorm1d(3)(cnnlab.zeros(1, 3))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize(
    ("name", "shape"),
    [("BatchNorm1d", (4, 3)), ("BatchNorm1d", (3, 2, 3)), ("BatchNorm2d", (2, 2, 3, 2))],
)
def test_batch_norm_gradients_match_finite_differences(name, shape, training):
    rng = np.random.default_rng(len(shape))
    bn = getattr(cnnlab.nn, name)(shape[1]).double()
    bn.running_mean.copy_(rng.standard_normal(shape[1]))
    bn.running_var.copy_(rng.uniform(0.5, 2, shape[1]))
    bn.train(training)
    x = cnnlab.tensor(rng.standard_normal(shape), requires_grad=True)
    gamma = cnnlab.tensor(rng.uniform(0.5, 1.5, shape[1]), requires_grad=True)
    beta = cnnlab.tensor(rng.standard_normal(shape[1]), requires_grad=True)

    def fn(x, gamma, beta):
        # running statistics are read, never updated, so every evaluation sees the same function
        return cnnlab.nn.functional.batch_norm(
            x, bn.running_mean, bn.running_var, gamma, beta, training=training, momentum=0.0
        )

    assert gradcheck(fn, [x, gamma, beta])


# ----- dropout
def test_dropout_in_eval_is_the_identity_and_passes_the_gradient():
    drop = cnnlab.nn.Dropout(0.5).eval()
    x = cnnlab.randn(4, 5, requires_grad=True)
    y = drop(x)
    np.testing.assert_array_equal(y.detach().numpy(), x.detach().numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((4, 5)))


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_in_training_keeps_one_minus_p_and_scales_by_its_inverse(p):
    cnnlab.manual_seed(0)
    x = cnnlab.tensor(np.random.default_rng(1).uniform(1, 2, (200, 500)), requires_grad=True)
    y = cnnlab.nn.Dropout(p)(x)
    kept = y.detach().numpy() != 0
    n = kept.size
    # the kept count is binomial(n, 1 - p): 5 standard deviations is far beyond chance
    assert abs(kept.sum() - n * (1 - p)) < 5 * math.sqrt(n * p * (1 - p))
    np.testing.assert_allclose(
        y.detach().numpy()[kept], x.detach().numpy()[kept] / (1 - p), rtol=1e-12
    )
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / (1 - p), rtol=1e-12)
    torch_y = torch.nn.Dropout(p)(torch.ones(200, 500))
    assert abs(kept.mean() - (torch_y != 0).float().mean().item()) < 0.02


def test_dropout_masks_repeat_under_the_same_seed_and_p_edges():
    x = cnnlab.ones(50, 50)
    cnnlab.manual_seed(5)
    first = cnnlab.nn.Dropout(0.3)(x)
    cnnlab.manual_seed(5)
    np.testing.assert_array_equal(first.numpy(), cnnlab.nn.Dropout(0.3)(x).numpy())
    assert not np.array_equal(first.numpy(), cnnlab.nn.Dropout(0.3)(x).numpy())
    np.testing.assert_array_equal(cnnlab.nn.Dropout(0.0)(x).numpy(), x.numpy())
    assert not cnnlab.nn.Dropout(1.0)(x).numpy().any()
    with pytest.raises(ValueError, match=r"between 0 and 1, but got 1\.5"):
        cnnlab.nn.Dropout(1.5)


# ----- shape and activation layers
ACTIVATIONS = {
    "ReLU": (),
    "Tanh": (),
    "Sigmoid": (),
    "Softmax": (1,),
    "LogSoftmax": (1,),
    "Flatten": (),
    "Identity": (),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@given(
    st.sampled_from(DTYPES),
    st.integers(0, 2**16),
    st.lists(st.integers(1, 4), min_size=2, max_size=4),
)
@settings(max_examples=60)
def test_activation_and_shape_layers_match_torch(name, dtype, seed, shape):
    ours, theirs = twins(name, *ACTIVATIONS[name], dtype=dtype)
    x = array(seed, shape, dtype) * 3
    if name in ("Tanh", "Sigmoid"):  # see SATURATION in tests/nn/test_functional.py
        bound = 2.0 if dtype == np.float32 else 5.0
        x = np.clip(x, -bound, bound)
    compare_layer(name, ours, theirs, x, seed)


@pytest.mark.filterwarnings("ignore:Implicit dimension choice")
@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("shape", [(5,), (2, 5), (2, 3, 4), (2, 3, 2, 2)])
def test_softmax_layers_without_dim_pick_torchs_dim(name, shape):
    ours, theirs = twins(name)
    compare_layer(f"{name}()", ours, theirs, array(0, shape, np.float64) * 3)


@pytest.mark.parametrize(("start", "end"), [(1, -1), (0, -1), (0, 1), (2, 3), (-2, -1), (1, 1)])
def test_flatten_layer_dims_match_torch(start, end):
    x = np.arange(120.0).reshape(2, 3, 4, 5)
    ours = cnnlab.nn.Flatten(start, end)(cnnlab.tensor(x))
    assert ours.shape == torch.nn.Flatten(start, end)(torch.tensor(x)).shape
    assert repr(cnnlab.nn.Flatten(start, end)) == repr(torch.nn.Flatten(start, end))


# ----- losses
@st.composite
def classification_cases(draw):
    classes = draw(st.integers(1, 5))
    extra = draw(st.lists(st.integers(1, 3), max_size=2))
    unbatched = not extra and draw(st.booleans())
    shape = (classes,) if unbatched else (draw(st.integers(1, 4)), classes, *extra)
    target_shape = () if unbatched else (shape[0], *extra)
    ignore_index = draw(st.sampled_from([-100, 0, classes - 1, 7]))
    return dict(
        shape=shape,
        target_shape=target_shape,
        classes=classes,
        ignore_index=ignore_index,
        weight=draw(st.booleans()),
        reduction=draw(st.sampled_from(["mean", "sum", "none"])),
        dtype=draw(st.sampled_from(DTYPES)),
        seed=draw(st.integers(0, 2**16)),
    )


def loss_twins(name, case, rng):
    weight = (
        rng.uniform(0.2, 2.0, case["classes"]).astype(case["dtype"]) if case["weight"] else None
    )
    kwargs = dict(ignore_index=case["ignore_index"], reduction=case["reduction"])
    ours = getattr(cnnlab.nn, name)(None if weight is None else cnnlab.tensor(weight), **kwargs)
    theirs = getattr(torch.nn, name)(None if weight is None else torch.tensor(weight), **kwargs)
    return ours, theirs


def targets_for(case, rng):
    targets = rng.integers(0, case["classes"], case["target_shape"])
    if rng.random() < 0.5:  # some targets ignored (not all, so a mean stays defined)
        targets = np.where(rng.random(case["target_shape"]) < 0.3, case["ignore_index"], targets)
    counted = targets != case["ignore_index"]
    return targets, bool(counted.any()) or case["reduction"] != "mean"


@pytest.mark.parametrize("name", ["CrossEntropyLoss", "NLLLoss"])
@given(data=st.data())
@settings(max_examples=150)
def test_classification_losses_match_torch(name, data):
    case = data.draw(classification_cases())
    rng = np.random.default_rng(case["seed"])
    ours, theirs = loss_twins(name, case, rng)
    targets, defined = targets_for(case, rng)
    assume(defined)
    x = rng.standard_normal(case["shape"]).astype(case["dtype"]) * 2
    if name == "NLLLoss":
        x = torch.log_softmax(torch.tensor(x), dim=0 if len(case["shape"]) == 1 else 1).numpy()
    compare_layer(name, ours, theirs, x, case["seed"], targets=targets)


@given(data=st.data())
@settings(max_examples=30)
def test_cross_entropy_and_nll_gradients_match_finite_differences(data):
    case = {**data.draw(classification_cases()), "dtype": np.float64}
    rng = np.random.default_rng(case["seed"])
    targets, defined = targets_for(case, rng)
    assume(defined)
    weight = cnnlab.tensor(rng.uniform(0.2, 2.0, case["classes"])) if case["weight"] else None
    x = cnnlab.tensor(rng.standard_normal(case["shape"]), requires_grad=True)
    labels = cnnlab.tensor(targets)
    F = cnnlab.nn.functional
    options = dict(weight=weight, ignore_index=case["ignore_index"], reduction=case["reduction"])
    assert gradcheck(lambda t: F.cross_entropy(t, labels, **options), [x])
    assert gradcheck(lambda t: F.nll_loss(t, labels, **options), [x])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@given(st.lists(st.integers(1, 4), max_size=3), st.sampled_from(DTYPES), st.integers(0, 2**16))
@settings(max_examples=40)
def test_mse_loss_matches_torch_for_both_arguments(reduction, shape, dtype, seed):
    x, y = array(seed, shape, dtype), array(seed + 1, shape, dtype)
    results = []
    for lib in (cnnlab, torch):
        a, b = lib.tensor(x, requires_grad=True), lib.tensor(y, requires_grad=True)
        out = lib.nn.MSELoss(reduction=reduction)(a, b)
        out.backward(lib.ones_like(out))
        results.append((out, a.grad, b.grad))
    for what, ours, theirs in zip(("forward", "grad input", "grad target"), *results, strict=True):
        assert_close(f"MSELoss {what}", ours, theirs, dtype)


def test_loss_layers_reject_a_bad_reduction():
    for name in ("CrossEntropyLoss", "NLLLoss", "MSELoss"):
        with pytest.raises(ValueError, match=r"reduction must be one of .* got 'avg'"):
            getattr(cnnlab.nn, name)(reduction="avg")


# ----- default initialization, distributed as PyTorch's
INIT_LAYERS = [
    ("Linear", (1000, 200)),
    ("Linear", (30, 4000)),
    ("Conv2d", (16, 600, 5)),
    ("Conv2d", (3, 400, (3, 7))),
]


def fan_in(layer) -> int:
    return int(np.prod(layer.weight.shape[1:]))


@pytest.mark.parametrize(("name", "args"), INIT_LAYERS, ids=str)
def test_default_weights_and_biases_are_uniform_on_plus_minus_one_over_sqrt_fan_in(name, args):
    cnnlab.manual_seed(0)
    layer = getattr(cnnlab.nn, name)(*args)
    bound = 1 / math.sqrt(fan_in(layer))
    assert fan_in(layer) == fan_in(getattr(torch.nn, name)(*args))
    for which in ("weight", "bias"):
        values = getattr(layer, which).detach().numpy().ravel().astype(np.float64)
        assert np.abs(values).max() <= bound
        # Kolmogorov-Smirnov against U(-bound, bound): the right law passes ...
        assert stats.kstest(values, stats.uniform(-bound, 2 * bound).cdf).pvalue > 1e-3, which
        # ... and the test has the power to see a bound off by sqrt(3) or by 2 either way
        for factor in (math.sqrt(3), 2, 1 / math.sqrt(3), 1 / 2):
            wrong = bound * factor
            assert stats.kstest(values, stats.uniform(-wrong, 2 * wrong).cdf).pvalue < 1e-6, (
                which,
                factor,
            )


def test_torchs_own_initialization_passes_the_same_check():
    """The reference: the same Kolmogorov-Smirnov check holds for torch's layers."""
    torch.manual_seed(0)
    layer = torch.nn.Linear(1000, 200)
    bound = 1 / math.sqrt(1000)
    for values in (layer.weight.detach().numpy().ravel(), layer.bias.detach().numpy()):
        assert (
            stats.kstest(values.astype(np.float64), stats.uniform(-bound, 2 * bound).cdf).pvalue
            > 1e-3
        )


def test_initialization_repeats_under_manual_seed_and_batch_norm_starts_at_one_and_zero():
    cnnlab.manual_seed(3)
    first = cnnlab.nn.Conv2d(3, 4, 3).weight.detach().numpy().copy()
    cnnlab.manual_seed(3)
    np.testing.assert_array_equal(cnnlab.nn.Conv2d(3, 4, 3).weight.detach().numpy(), first)
    bn = cnnlab.nn.BatchNorm2d(4)
    for key, value in torch.nn.BatchNorm2d(4).state_dict().items():
        np.testing.assert_array_equal(bn.state_dict()[key].numpy(), value.numpy())
