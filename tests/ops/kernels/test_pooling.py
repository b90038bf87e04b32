"""The written-out 2 x 2 max pooling kernel (the usual LeNet pooling) against the reference
and PyTorch, ties included."""

import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab.ops import pool
from cnnlab.ops.kernels import pooling
from reference import DTYPES


@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(2, 11), st.integers(2, 11)),
    ties=st.booleans(),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=60)
def test_two_by_two_pooling_equals_the_reference_and_pytorch(shape, ties, dtype, seed):
    rng = np.random.default_rng(seed)
    x = (rng.integers(-2, 3, shape) if ties else rng.standard_normal(shape)).astype(dtype)
    ready = set(pooling._max_pool_2x2.ready)
    out, index = pool.max_pool2d(x, 2)
    assert np.dtype(dtype) in pooling._max_pool_2x2.ready - ready or np.dtype(dtype) in ready
    ref_out, ref_index = pool.max_pool2d_reference(x, 2)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(index, ref_index)
    theirs, their_index = TF.max_pool2d(torch.from_numpy(x), 2, return_indices=True)
    np.testing.assert_array_equal(out, theirs.numpy())
    np.testing.assert_array_equal(index, their_index.numpy())
    grad = rng.standard_normal(out.shape).astype(dtype)
    np.testing.assert_array_equal(
        pool.max_pool2d_backward(grad, index, x.shape),
        pool.max_pool2d_backward_reference(grad, ref_index, x.shape),
    )
