"""Samplers against ``torch.utils.data``'s: lengths and batches exactly (``BatchSampler``,
``SequentialSampler``), and for the random ones what can be compared across two generators:
each epoch a permutation (or draws in range), reproducible under a seed, weights respected."""

import numpy as np
import pytest
import torch
import torch.utils.data as tdata
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from cnnlab.utils.data import (
    BatchSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


@given(st.integers(0, 40), st.integers(1, 12), st.booleans())
@settings(max_examples=60)
def test_batch_and_sequential_samplers_match_torch(n, batch_size, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    assert list(BatchSampler(range(n), batch_size, drop_last)) == list(theirs)


@given(st.integers(1, 30), st.none() | st.integers(1, 70), st.booleans(), st.integers(0, 2**16))
@settings(max_examples=60)
def test_random_sampler_draws_like_torchs(n, num_samples, replacement, seed):
    ours = RandomSampler(range(n), replacement, num_samples, np.random.default_rng(seed))
    theirs = tdata.RandomSampler(range(n), replacement, num_samples)
    drawn = list(ours)
    assert len(ours) == len(theirs) == len(drawn) == len(list(theirs))
    assert all(isinstance(i, int) and 0 <= i < n for i in drawn)
    if not replacement:  # whole permutations, then the start of one
        whole = len(drawn) // n * n
        for start in range(0, whole, n):
            assert sorted(drawn[start : start + n]) == list(range(n))
        assert len(set(drawn[whole:])) == len(drawn) - whole
    again = list(RandomSampler(range(n), replacement, num_samples, np.random.default_rng(seed)))
    assert again == drawn


def test_random_order_repeats_under_manual_seed_and_changes_per_epoch():
    sampler = RandomSampler(range(50))
    cnnlab.manual_seed(3)
    first, second = list(sampler), list(sampler)
    cnnlab.manual_seed(3)
    assert list(sampler) == first and first != second and sorted(first) == list(range(50))


def test_subset_random_sampler_permutes_the_given_indices():
    indices = [10, 3, 7, 7, 1]
    ours = list(SubsetRandomSampler(indices, np.random.default_rng(0)))
    assert sorted(ours) == sorted(list(tdata.SubsetRandomSampler(indices))) == sorted(indices)
    assert len(SubsetRandomSampler(indices)) == 5


def test_weighted_sampler_follows_the_weights():
    weights = [0.1, 0.0, 0.6, 0.3]
    drawn = list(WeightedRandomSampler(weights, 20000, generator=np.random.default_rng(1)))
    frequencies = np.bincount(drawn, minlength=4) / len(drawn)
    np.testing.assert_allclose(frequencies, weights, atol=0.015)
    distinct = list(WeightedRandomSampler(cnnlab.tensor(weights), 3, replacement=False))
    assert sorted(distinct) == [0, 2, 3]
    assert len(WeightedRandomSampler(weights, 7)) == len(tdata.WeightedRandomSampler(weights, 7))
    assert WeightedRandomSampler(weights, 7).weights.dtype == np.float64


@pytest.mark.parametrize(
    ("make", "kind", "message"),
    [
        (lambda d: d.BatchSampler(range(3), 0, False), ValueError, "batch_size should be a pos"),
        (lambda d: d.BatchSampler(range(3), 2, 1), ValueError, "drop_last should be a bool"),
        (lambda d: d.RandomSampler(range(3), num_samples=0), ValueError, "num_samples should"),
        (lambda d: d.RandomSampler(range(3), replacement=1), TypeError, "replacement should"),
        (lambda d: d.WeightedRandomSampler([1.0], 0), ValueError, "num_samples should be"),
        (lambda d: d.WeightedRandomSampler([[1.0]], 2), ValueError, "1-d sequence"),
    ],
)
def test_bad_arguments_raise_as_in_torch(make, kind, message):
    with pytest.raises(kind):
        make(tdata)
    with pytest.raises(kind, match=message):
        make(cnnlab.utils.data)


def test_without_replacement_zero_weights_come_last_as_in_torch():
    weights = [0.0, 3.0, 0.0, 1.0]
    ours = list(WeightedRandomSampler(weights, 4, replacement=False))
    theirs = list(tdata.WeightedRandomSampler(torch.tensor(weights), 4, replacement=False))
    assert sorted(ours[:2]) == sorted(theirs[:2]) == [1, 3]
    assert sorted(ours) == sorted(theirs) == [0, 1, 2, 3]


def test_impossible_draws_raise_as_in_torch():
    cases = (([1.0, 0.0], 3, False), ([-1.0, 2.0], 2, True), ([0.0, 0.0], 1, True))
    for weights, n, replacement in cases:
        with pytest.raises(RuntimeError):
            list(tdata.WeightedRandomSampler(torch.tensor(weights), n, replacement))
        with pytest.raises(RuntimeError, match="WeightedRandomSampler"):
            list(WeightedRandomSampler(weights, n, replacement))
