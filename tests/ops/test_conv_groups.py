"""The fast grouped and depthwise convolutions held equal to eq. (8.2) group by group, and the
transposed convolution held to be the adjoint of the convolution."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab.ops import conv, conv_groups, conv_transpose


@st.composite
def grouped_cases(draw):
    groups = draw(st.integers(1, 4))
    per_in = draw(st.sampled_from([1, 1, 2]))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride, dilation = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    size = (dilation * (max(kernel) - 1) + 1 + draw(st.integers(0, 3)),) * 2
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((draw(st.integers(1, 2)), groups * per_in, *size))
    w = rng.standard_normal((groups * draw(st.integers(1, 3)), per_in, *kernel))
    b = rng.standard_normal(w.shape[0]) if draw(st.booleans()) else None
    return x, w, b, stride, draw(st.integers(0, 2)), dilation, groups


@given(grouped_cases())
@settings(max_examples=60)
def test_fast_grouped_and_depthwise_forms_equal_the_loop(case):
    x, w, b, stride, padding, dilation, groups = case
    expected = conv_groups.conv2d_grouped_loop(x, w, b, stride, padding, dilation, groups)
    geom = conv_groups.grouped_geometry(x.shape, w.shape, stride, padding, dilation, groups)
    z, cols = conv_groups.conv2d_grouped_forward(x, w, b, geom, groups)
    np.testing.assert_allclose(z, expected, rtol=1e-12, atol=1e-12)
    grad = np.random.default_rng(0).standard_normal(z.shape)
    grads = conv_groups.conv2d_grouped_backward(grad, cols, w, geom, groups)
    if conv_groups.is_depthwise(geom, groups):
        z_direct, xp = conv_groups.depthwise_conv2d(x, w, b, geom)
        np.testing.assert_allclose(z_direct, expected, rtol=1e-12, atol=1e-12)
        direct = conv_groups.depthwise_conv2d_backward(grad, xp, w, geom)
        for fast, reference in zip(direct, grads, strict=True):
            if reference is not None:
                np.testing.assert_allclose(fast, reference, rtol=1e-12, atol=1e-12)
    # each group's gradients are those of an ordinary convolution on its channels
    xs, ws = np.split(x, groups, axis=1), np.split(w, groups)
    for g, (xg, wg, gg) in enumerate(zip(xs, ws, np.split(grad, groups, axis=1), strict=True)):
        dx, dw, db = conv.conv2d_backward_chapter(xg, wg, gg, stride, padding, dilation)
        rows = slice(g * wg.shape[0], (g + 1) * wg.shape[0])
        np.testing.assert_allclose(
            grads[0][:, g * xg.shape[1] : (g + 1) * xg.shape[1]], dx, rtol=1e-10, atol=1e-12
        )
        np.testing.assert_allclose(grads[1][rows], dw, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(grads[2][rows], db, rtol=1e-10, atol=1e-12)


@given(st.integers(0, 2**16), st.integers(1, 3), st.integers(0, 1), st.integers(1, 2))
@settings(max_examples=40)
def test_transposed_convolution_is_the_adjoint_of_convolution(seed, stride, padding, groups):
    """<conv(y), x> = <y, conv_transpose(x)> for every x, y: the defining property."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((2 * groups, 2, 3, 3))
    y = rng.standard_normal((2, 2 * groups, 7, 8))
    z = conv_groups.conv2d_grouped_loop(y, w, None, stride, padding, 1, groups)
    x = rng.standard_normal(z.shape)
    geom = conv_transpose.transposed_geometry(
        x.shape,
        w.shape,
        stride,
        padding,
        ((4 + 2 * padding) % stride, (5 + 2 * padding) % stride),
        groups,
    )
    grown = conv_transpose.conv_transpose2d(x, w, None, geom, groups)
    assert grown.shape == y.shape
    np.testing.assert_allclose((z * x).sum(), (y * grown).sum(), rtol=1e-10)
