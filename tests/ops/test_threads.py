"""Work split among the engine's threads gives the results of the unsplit computation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab.ops import threads
from reference import relative_error


@pytest.fixture
def two_threads():
    previous = threads.get_num_threads()
    threads.set_num_threads(2)
    yield
    threads.set_num_threads(previous)


@given(
    m=st.integers(1, 40), k=st.integers(1, 3000), n=st.integers(1, 3000), seed=st.integers(0, 99)
)
@settings(max_examples=60)
def test_split_matmul_equals_the_product(m, k, n, seed):
    previous = threads.get_num_threads()
    threads.set_num_threads(2)
    try:
        rng = np.random.default_rng(seed)
        a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
        np.testing.assert_allclose(threads.matmul(a, b), a @ b, rtol=1e-12, atol=1e-12)
    finally:
        threads.set_num_threads(previous)


def test_both_ways_of_splitting_are_taken(two_threads, monkeypatch):
    rng = np.random.default_rng(0)
    monkeypatch.setattr(threads, "MIN_SPLIT_PRODUCT", 1)
    wide = rng.standard_normal((6, 25)), rng.standard_normal((25, 5000))  # by columns
    long = rng.standard_normal((6, 5000)), rng.standard_normal((5000, 25))  # by partial sums
    for a, b in (wide, long):
        np.testing.assert_allclose(threads.matmul(a, b), a @ b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        threads.matmul(long[0], long[1].astype(np.float32)), long[0] @ long[1].astype(np.float32)
    )


def test_run_split_covers_every_item_once(two_threads, monkeypatch):
    monkeypatch.setattr(threads, "MIN_SPLIT_ELEMENTS", 1)
    seen = np.zeros(101, dtype=int)

    def kernel(out, start, stop):
        out[start:stop] += 1

    threads.run_split(kernel, len(seen), 10**6, seen)
    assert (seen == 1).all()


def test_thread_count_is_checked():
    with pytest.raises(ValueError, match="count must be a positive int, got 0"):
        threads.set_num_threads(0)


def test_every_kernel_split_among_threads_computes_the_single_thread_result(monkeypatch):
    """The suite runs on one thread; here each compiled kernel and product is cut into parts."""
    from cnnlab.ops import conv, norm, pool

    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3, 13, 11)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 2)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)

    def everything():
        geom = conv.conv_geometry(x.shape, w.shape, (2, 1), (1, 2), (1, 2))
        z, cols = conv.conv2d_forward(x, w, b, geom)
        grads = conv.conv2d_backward_im2col(np.ones_like(z) * z, cols, w, geom)
        pooled, index = pool.max_pool2d(x, 3, 2, 1, ceil_mode=True)
        back = pool.max_pool2d_backward(pooled, index, x.shape)
        avg = pool.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)
        avg_back = pool.avg_pool2d_backward(avg, x.shape, 3, 2, 1, True, False)
        y, saved = norm.batch_norm(x, None, None, x[0, :, 0, 0], None, True, 0.1, 1e-5)
        bn_grads = norm.batch_norm_backward(y, saved, x[0, :, 0, 0], True)
        return [z, *grads, pooled, index, back, avg, avg_back, y, *bn_grads]

    single = everything()
    previous = threads.get_num_threads()
    monkeypatch.setattr(threads, "MIN_SPLIT_ELEMENTS", 1)
    monkeypatch.setattr(threads, "MIN_SPLIT_PRODUCT", 1)
    threads.set_num_threads(3)
    try:
        split = everything()
    finally:
        threads.set_num_threads(previous)
    for one, many in zip(single, split, strict=True):  # partial sums may round differently
        assert relative_error(many, one) <= 1e-6
