"""The compiled ReLU equals its reference and PyTorch, on every layout an activation has."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab.ops import activation
from cnnlab.ops.kernels import elementwise
from reference import DTYPES

LAYOUTS = {
    "contiguous": lambda a: a,
    "channel-major": lambda a: np.ascontiguousarray(a.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3),
    "sliced": lambda a: a[:, :, ::2],
}


@given(
    shape=st.tuples(st.integers(1, 8), st.integers(1, 8), st.integers(1, 40), st.integers(1, 40)),
    layout=st.sampled_from(sorted(LAYOUTS)),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=60)
def test_relu_and_its_gradient_equal_the_reference_and_pytorch(shape, layout, dtype, seed):
    rng = np.random.default_rng(seed)
    x = LAYOUTS[layout](rng.standard_normal(shape).astype(dtype))
    x[..., 0] = 0  # PyTorch's gradient at 0 is 0
    if x.size > 1:
        x.flat[1] = np.nan
    grad = np.empty_like(x)
    grad[...] = rng.standard_normal(x.shape)
    y = activation.relu(x)
    np.testing.assert_array_equal(y, activation.relu_reference(x))
    if x.size >= activation.COMPILED_MIN_SIZE and layout != "sliced":
        assert y.strides == x.strides  # laid out as the input: no transpose for the next layer
    back = activation.relu_backward(grad, y)
    np.testing.assert_array_equal(back, activation.relu_backward_reference(grad, y))
    theirs = torch.from_numpy(np.ascontiguousarray(x)).requires_grad_()
    torch.relu(theirs).backward(torch.from_numpy(np.ascontiguousarray(grad)))
    np.testing.assert_array_equal(y, torch.relu(theirs).detach().numpy())
    np.testing.assert_array_equal(back, theirs.grad.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
def test_large_activations_take_the_compiled_pass(dtype):
    x = np.random.default_rng(0).standard_normal((64, 6, 28, 28)).astype(dtype)
    assert x.size >= activation.COMPILED_MIN_SIZE
    activation.relu(x)
    assert np.dtype(dtype) in elementwise._relu.ready
    activation.relu_backward(x, x)
    assert np.dtype(dtype) in elementwise._relu_backward.ready
    assert elementwise.relu(x[:, :, ::2]) is None  # memory with gaps: the reference serves
