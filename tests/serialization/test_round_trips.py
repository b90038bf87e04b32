"""Generated cases both ways with real PyTorch: every dtype cnnlab holds, shapes from 0-d to 4-d
(empty ones too), strided views, and nested dicts, lists and tuples; optimizer states."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import cnnlab
from pt_files import assert_same, lenet

DTYPES = ("float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool")


@st.composite
def tensor_pairs(draw):
    """The same tensor in torch and in cnnlab, possibly a permuted, strided view."""
    dtype = draw(st.sampled_from(DTYPES))
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=4)))
    seed = draw(st.integers(0, 2**16))
    values = np.random.default_rng(seed).integers(-100, 100, size=shape)
    array = (
        np.asarray(values / 7).astype(dtype) if dtype.startswith("float") else values.astype(dtype)
    )
    theirs, ours = torch.from_numpy(array.copy()), cnnlab.tensor(array.copy())
    if shape and draw(st.booleans()):
        order = draw(st.permutations(range(len(shape))))
        steps = tuple(slice(None, None, draw(st.integers(1, 2))) for _ in shape)
        theirs, ours = theirs.permute(*order)[steps], ours.permute(*order)[steps]
    return theirs, ours


def pair_list(items: list) -> tuple[list, list]:
    return [item[0] for item in items], [item[1] for item in items]


def pair_tuple(items: list) -> tuple[tuple, tuple]:
    theirs, ours = pair_list(items)
    return tuple(theirs), tuple(ours)


def pair_dict(items: dict) -> tuple[dict, dict]:
    return {k: v[0] for k, v in items.items()}, {k: v[1] for k, v in items.items()}


def nested(leaves):
    """Dicts, lists and tuples around ``leaves`` (pairs of the same value on both sides)."""
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(pair_list),
            st.lists(inner, max_size=3).map(pair_tuple),
            st.dictionaries(st.text(max_size=4), inner, max_size=3).map(pair_dict),
        ),
        max_leaves=6,
    )


PLAIN = st.one_of(
    st.integers(), st.floats(allow_nan=False), st.text(max_size=5), st.none(), st.booleans()
).map(lambda value: (value, value))


@given(nested(st.one_of(tensor_pairs(), PLAIN)))
def test_torch_save_then_cnnlab_load(pair) -> None:
    theirs, _ = pair
    buffer = io.BytesIO()
    torch.save(theirs, buffer)
    buffer.seek(0)
    assert_same(cnnlab.load(buffer), theirs)


@given(nested(st.one_of(tensor_pairs(), PLAIN)))
def test_cnnlab_save_then_torch_load(pair) -> None:
    _, ours = pair
    buffer = io.BytesIO()
    cnnlab.save(ours, buffer)
    buffer.seek(0)
    assert_same(ours, torch.load(buffer, weights_only=True))


def train_steps(model, optimizer, x, steps: int) -> None:
    for _ in range(steps):
        optimizer.zero_grad()
        model(x).square().mean().backward()
        optimizer.step()


OPTIMIZERS = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.01})]
ENGINES = {
    "torch": (torch, lambda path: torch.load(path, weights_only=True)),
    "cnnlab": (cnnlab, cnnlab.load),
}


def double_lenet(engine, name: str, options: dict):
    model = lenet(engine.nn).double()
    return model, getattr(engine.optim, name)(model.parameters(), **options)


@pytest.mark.parametrize(("saver", "loader"), [("torch", "cnnlab"), ("cnnlab", "torch")])
@pytest.mark.parametrize(("name", "options"), OPTIMIZERS)
def test_optimizer_state_saved_on_one_engine_continues_on_the_other(
    tmp_path: Path, saver: str, loader: str, name: str, options: dict
) -> None:
    (first, _), (second, load) = ENGINES[saver], ENGINES[loader]
    first.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((4, 1, 28, 28))
    model, optimizer = double_lenet(first, name, options)
    train_steps(model, optimizer, first.tensor(x), 2)
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
    first.save(state, tmp_path / "checkpoint.pt")
    loaded = load(tmp_path / "checkpoint.pt")
    assert_same(*((loaded, state) if loader == "cnnlab" else (state, loaded)))
    other, other_optimizer = double_lenet(second, name, options)
    other.load_state_dict(loaded["model"])
    other_optimizer.load_state_dict(loaded["optimizer"])
    train_steps(model, optimizer, first.tensor(x), 1)
    train_steps(other, other_optimizer, second.tensor(x), 1)
    for key, value in model.state_dict().items():
        expected = other.state_dict()[key]
        np.testing.assert_allclose(value.numpy(), expected.numpy(), rtol=1e-10, err_msg=key)
