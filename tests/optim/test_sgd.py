"""``optim.SGD`` against ``torch.optim.SGD``: the same parameters and the same gradient sequence
give the same parameters after many steps; state_dicts round trip; bad arguments raise."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from reference import assert_close

SHAPES = [(3, 4), (5,), (2, 1, 3)]


def parameter_pairs(seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    ours = [cnnlab.nn.Parameter(cnnlab.tensor(v)) for v in values]
    theirs = [torch.nn.Parameter(torch.tensor(v)) for v in values]
    return ours, theirs


def feed(ours, theirs, optimizers, gradients):
    """Give both optimizers the same gradients (skipping a parameter when its gradient is None)."""
    for grads in gradients:
        for p, q, g in zip(ours, theirs, grads, strict=True):
            p.grad = None if g is None else cnnlab.tensor(g)
            q.grad = None if g is None else torch.tensor(g)
        for optimizer in optimizers:
            optimizer.step()


def gradient_sequence(seed, steps, dtype=np.float64, holes=False):
    rng = np.random.default_rng([seed, 7])
    return [
        [
            None if holes and rng.random() < 0.2 else rng.standard_normal(s).astype(dtype)
            for s in SHAPES
        ]
        for _ in range(steps)
    ]


def assert_same_parameters(name, ours, theirs, dtype=np.float64):
    for p, q in zip(ours, theirs, strict=True):
        assert_close(name, p, q, dtype)


sgd_options = st.fixed_dictionaries(
    {
        "lr": st.sampled_from([0.1, 0.01, 0.5]),
        "momentum": st.sampled_from([0.0, 0.5, 0.9]),
        "dampening": st.sampled_from([0.0, 0.3]),
        "weight_decay": st.sampled_from([0.0, 1e-2, 0.3]),
        "nesterov": st.booleans(),
        "maximize": st.booleans(),
    }
).filter(lambda o: not o["nesterov"] or (o["momentum"] > 0 and o["dampening"] == 0))


@given(sgd_options, st.integers(0, 2**16), st.booleans())
@settings(max_examples=150)
def test_sgd_matches_torch_after_many_steps(options, seed, holes):
    ours, theirs = parameter_pairs(seed)
    optimizers = [cnnlab.optim.SGD(ours, **options), torch.optim.SGD(theirs, **options)]
    feed(ours, theirs, optimizers, gradient_sequence(seed, 40, holes=holes))
    assert_same_parameters("SGD after 40 steps", ours, theirs)


@given(sgd_options, st.integers(0, 2**16))
@settings(max_examples=30)
def test_sgd_in_float32_matches_torch(options, seed):
    ours, theirs = parameter_pairs(seed, np.float32)
    optimizers = [cnnlab.optim.SGD(ours, **options), torch.optim.SGD(theirs, **options)]
    feed(ours, theirs, optimizers, gradient_sequence(seed, 20, np.float32))
    assert_same_parameters("SGD after 20 steps", ours, theirs, np.float32)


def test_parameter_groups_with_their_own_options():
    ours, theirs = parameter_pairs(1)
    groups = lambda ps: [{"params": ps[:2], "lr": 0.2, "momentum": 0.5}, {"params": ps[2:]}]  # noqa: E731
    optimizers = [
        cnnlab.optim.SGD(groups(ours), lr=0.05, momentum=0.9, nesterov=True),
        torch.optim.SGD(groups(theirs), lr=0.05, momentum=0.9, nesterov=True),
    ]
    feed(ours, theirs, optimizers, gradient_sequence(1, 25))
    assert_same_parameters("SGD groups", ours, theirs)
    assert [g["lr"] for g in optimizers[0].param_groups] == [
        g["lr"] for g in optimizers[1].param_groups
    ]


def test_state_dict_round_trip_continues_identically():
    ours, theirs = parameter_pairs(2)
    options = dict(lr=0.1, momentum=0.9, weight_decay=1e-3, nesterov=True)
    first = cnnlab.optim.SGD(ours, **options)
    reference = torch.optim.SGD(theirs, **options)
    gradients = gradient_sequence(2, 30)
    feed(ours, theirs, [first, reference], gradients[:15])
    saved = first.state_dict()
    assert sorted(saved) == ["param_groups", "state"]
    assert saved["param_groups"][0]["params"] == [0, 1, 2]
    assert list(saved["state"]) == [0, 1, 2] and "momentum_buffer" in saved["state"][0]
    # a fresh optimizer (with other options) picks up exactly where the first stopped
    resumed = cnnlab.optim.SGD(ours, lr=1.0)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["momentum"] == 0.9
    feed(ours, theirs, [resumed, reference], gradients[15:])
    assert_same_parameters("SGD resumed from a state_dict", ours, theirs)


def test_state_dict_is_a_copy():
    ours, theirs = parameter_pairs(3)
    optimizer = cnnlab.optim.SGD(ours, lr=0.1, momentum=0.9)
    feed(ours, theirs, [optimizer], gradient_sequence(3, 2))
    saved = optimizer.state_dict()
    saved["state"][0]["momentum_buffer"][...] = 99.0
    assert not (optimizer.state[id(ours[0])]["momentum_buffer"] == 99.0).any()


def test_zero_grad():
    ours, _ = parameter_pairs(4)
    optimizer = cnnlab.optim.SGD(ours, lr=0.1)
    for p in ours:
        (p * p).sum().backward()
    optimizer.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in ours)
    optimizer.zero_grad()
    assert all(p.grad is None for p in ours)


def test_a_training_loop_on_a_model_matches_torch():
    """SGD with momentum on the chapter's kind of model: loss.backward(), step(), zero_grad()."""
    x = np.random.default_rng(5).standard_normal((8, 6))
    y = np.random.default_rng(6).integers(0, 3, 8)
    results = []
    torch.manual_seed(0)
    reference = torch.nn.Sequential(
        torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)
    ).double()
    for lib in (cnnlab, torch):
        model = lib.nn.Sequential(lib.nn.Linear(6, 5), lib.nn.Tanh(), lib.nn.Linear(5, 3)).double()
        model.load_state_dict(reference.state_dict())
        optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        criterion = lib.nn.CrossEntropyLoss()
        for _ in range(20):
            optimizer.zero_grad()
            loss = criterion(model(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            optimizer.step()
        results.append([p.detach().numpy().copy() for p in model.parameters()])
    for ours, theirs in zip(*results, strict=True):
        assert_close("SGD training loop", ours, theirs, np.float64)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(lr=-0.1), "lr must be >= 0, got -0.1"),
        (dict(lr=0.1, momentum=-0.5), "momentum must be >= 0, got -0.5"),
        (dict(lr=0.1, weight_decay=-1.0), "weight_decay must be >= 0, got -1.0"),
        (dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
        (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
    ],
)
def test_bad_arguments_raise(options, message):
    ours, theirs = parameter_pairs(0)
    with pytest.raises(ValueError):
        torch.optim.SGD(theirs, **options)
    with pytest.raises(ValueError, match=message):
        cnnlab.optim.SGD(ours, **options)


def test_bad_parameter_lists_raise():
    ours, _ = parameter_pairs(0)
    with pytest.raises(ValueError, match="empty parameter list"):
        cnnlab.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize leaf Tensors"):
        cnnlab.optim.SGD([ours[0] * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        cnnlab.optim.SGD([{"params": ours[:2]}, {"params": ours[1:]}], lr=0.1)
    optimizer = cnnlab.optim.SGD(ours, lr=0.1)
    with pytest.raises(ValueError, match="does not match"):
        optimizer.load_state_dict(cnnlab.optim.SGD(ours[:2], lr=0.1).state_dict())
