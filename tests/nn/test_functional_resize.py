"""Adaptive pooling, padding and interpolation against ``torch.nn.functional``: forward and
gradient on generated shapes and arguments, finite differences, and PyTorch's errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import cnnlab
import cnnlab.nn.functional as F
from cnnlab.autograd.gradcheck import gradcheck
from layer_differential import compare
from reference import DTYPES

sizes = st.integers(1, 9)
output_entries = st.one_of(st.none(), st.integers(1, 6))


@given(
    st.tuples(st.integers(1, 2), st.integers(1, 3), sizes, sizes),
    st.one_of(st.integers(1, 6), st.tuples(output_entries, output_entries)),
    st.booleans(),
    st.booleans(),
    st.sampled_from(DTYPES),
    st.integers(0, 2**16),
)
@settings(max_examples=80)
def test_adaptive_pooling_matches_torch(shape, output_size, use_max, ties, dtype, seed):
    rng = np.random.default_rng(seed)
    if ties:  # equal values: the first maximum gets the gradient, as in torch
        x = rng.integers(-2, 3, shape).astype(dtype)
    else:
        x = rng.standard_normal(shape).astype(dtype)
    name = "adaptive_max_pool2d" if use_max else "adaptive_avg_pool2d"
    compare(name, lambda F, lib, t: getattr(F, name)(t, output_size), [x], dtype, seed)
    if use_max:
        ours = F.adaptive_max_pool2d(cnnlab.tensor(x), output_size, return_indices=True)[1]
        theirs = TF.adaptive_max_pool2d(torch.tensor(x), output_size, return_indices=True)[1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_adaptive_pooling_of_an_unbatched_image_and_bad_sizes():
    x = np.random.default_rng(0).standard_normal((3, 7, 5))
    for name in ("adaptive_avg_pool2d", "adaptive_max_pool2d"):
        ours = getattr(F, name)(cnnlab.tensor(x), (2, None))
        theirs = getattr(TF, name)(torch.tensor(x), (2, None))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="output_size entries must be positive ints or None"):
        F.adaptive_avg_pool2d(cnnlab.tensor(x), (0, 2))
    with pytest.raises(ValueError, match="output_size must be an int or a pair"):
        F.adaptive_avg_pool2d(cnnlab.tensor(x), (1, 2, 3))


@pytest.mark.parametrize("output_size", [(1, 1), (2, 3), (4, 4)])
def test_adaptive_pooling_gradients_match_finite_differences(output_size):
    x = cnnlab.tensor(np.random.default_rng(1).standard_normal((2, 2, 5, 7)), requires_grad=True)
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, output_size), [x])
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, output_size), [x])


@st.composite
def pad_calls(draw):
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    dims = draw(st.integers(1, 2))
    ndim = 4 if mode == "constant" else draw(st.integers(dims + 1, dims + 2))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), *(draw(sizes) for _ in range(2)))
    shape = shape[4 - ndim :]
    pad = []
    for k in range(dims):
        n = shape[-1 - k]
        if mode == "constant":
            amounts = st.integers(-(n // 2), 3)
        elif mode == "reflect":
            amounts = st.integers(0, n - 1)
        else:
            amounts = st.integers(0, min(n, 3))
        pad += [draw(amounts), draw(amounts)]
    return mode, tuple(pad), shape, draw(st.sampled_from([0.0, 1.5]))


@given(pad_calls(), st.sampled_from(DTYPES), st.integers(0, 2**16))
@settings(max_examples=80)
def test_pad_matches_torch(call, dtype, seed):
    mode, pad, shape, value = call
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    if mode == "constant":
        compare(f"pad {mode}", lambda F, lib, t: F.pad(t, pad, value=value), [x], dtype, seed)
    else:
        compare(f"pad {mode}", lambda F, lib, t: F.pad(t, pad, mode=mode), [x], dtype, seed)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_gradients_match_finite_differences(mode):
    x = cnnlab.tensor(np.random.default_rng(2).standard_normal((1, 2, 4, 5)), requires_grad=True)
    assert gradcheck(lambda t: F.pad(t, (2, 1, 3, 0), mode=mode), [x])


def test_pad_errors():
    x = cnnlab.zeros(1, 1, 3, 3)
    with pytest.raises(ValueError, match=r"reflect padding \(3, 0\) must be smaller"):
        F.pad(x, (3, 0, 0, 0), mode="reflect")
    with pytest.raises(NotImplementedError, match="mode must be one of"):
        F.pad(x, (1, 1, 1, 1), mode="symmetric")
    with pytest.raises(NotImplementedError, match="pads the last 1 dimension"):
        F.pad(x, (1, 1), mode="replicate")
    with pytest.raises(ValueError, match="padding length must be even"):
        F.pad(x, (1, 1, 1))
    with pytest.raises(ValueError, match="only meaningful with mode='constant'"):
        F.pad(x, (1, 1, 1, 1), mode="reflect", value=2.0)


@st.composite
def interpolate_calls(draw):
    mode = draw(st.sampled_from(["nearest", "nearest-exact", "bilinear", "area"]))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(sizes), draw(sizes))
    kwargs = {}
    if draw(st.booleans()):
        kwargs["size"] = draw(st.one_of(st.integers(1, 12), st.tuples(st.integers(1, 12), sizes)))
    else:
        factor = st.sampled_from([0.5, 1.0, 1.5, 2.0, 2.3, 3.0, 0.75])
        kwargs["scale_factor"] = draw(st.one_of(factor, st.tuples(factor, factor)))
        if draw(st.booleans()):
            kwargs["recompute_scale_factor"] = True
    if mode == "bilinear":
        kwargs["align_corners"] = draw(st.sampled_from([None, False, True]))
    return mode, shape, kwargs


@given(interpolate_calls(), st.sampled_from(DTYPES), st.integers(0, 2**16))
@settings(max_examples=120)
def test_interpolate_matches_torch(call, dtype, seed):
    mode, shape, kwargs = call
    factors = np.broadcast_to(kwargs.get("scale_factor", 1.0), 2)
    assume(min(int(n * f) for n, f in zip(shape[2:], factors, strict=True)) >= 1)
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    compare(
        f"interpolate {mode}",
        lambda F, lib, t: F.interpolate(t, mode=mode, **kwargs),
        [x],
        dtype,
        seed,
    )


@pytest.mark.parametrize("align_corners", [False, True])
def test_bilinear_gradients_match_finite_differences(align_corners):
    x = cnnlab.tensor(np.random.default_rng(3).standard_normal((1, 2, 3, 4)), requires_grad=True)

    def fn(t):
        return F.interpolate(t, size=(5, 7), mode="bilinear", align_corners=align_corners)

    assert gradcheck(fn, [x])


def test_interpolate_errors():
    x = cnnlab.zeros(1, 1, 3, 3)
    with pytest.raises(ValueError, match="exactly one of size or scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match=r"gives an empty output \(1, 1\) -> \(0, 0\)"):
        F.interpolate(cnnlab.zeros(1, 1, 1, 1), scale_factor=0.5)
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(NotImplementedError, match="mode='bicubic'"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(NotImplementedError, match="antialias"):
        F.interpolate(x, scale_factor=2, mode="bilinear", antialias=True)
