"""Running a cnnlab optimizer and its ``torch.optim`` namesake side by side.

:func:`check_against_torch` feeds both the same gradient sequence over two parameter groups,
edits every group's options halfway (as ``for g in opt.param_groups: g["lr"] = ...`` does),
swaps states across the libraries (each continues from the other's ``state_dict``), and checks
the parameters and every state buffer against PyTorch's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

import cnnlab
from reference import assert_close

SHAPES = [(3, 4), (5,), (2, 1, 3)]


def parameter_pairs(seed: int, dtype=np.float64):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    return (
        [cnnlab.nn.Parameter(cnnlab.tensor(v)) for v in values],
        [torch.nn.Parameter(torch.tensor(v)) for v in values],
    )


def gradient_sequence(seed: int, steps: int, dtype=np.float64, holes: bool = False):
    """Gradients of very different sizes (so second moments matter); with ``holes`` some are
    None, and the optimizers must skip those parameters."""
    rng = np.random.default_rng([seed, 11])
    return [
        [
            None
            if holes and rng.random() < 0.2
            else (rng.standard_normal(s) * 10.0 ** rng.integers(-3, 2)).astype(dtype)
            for s in SHAPES
        ]
        for _ in range(steps)
    ]


def feed(ours, theirs, optimizers, gradients) -> None:
    for grads in gradients:
        for p, q, g in zip(ours, theirs, grads, strict=True):
            p.grad = None if g is None else cnnlab.tensor(g)
            q.grad = None if g is None else torch.tensor(g)
        for optimizer in optimizers:
            optimizer.step()


def to_torch(value):
    """A structure with every cnnlab tensor replaced by a torch tensor of the same values."""
    if isinstance(value, cnnlab.Tensor):
        return torch.from_numpy(np.array(value.detach().numpy(), copy=True))
    if isinstance(value, dict):
        return {k: to_torch(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(to_torch(v) for v in value)
    return value


def assert_same_parameters(name: str, ours, theirs, dtype=np.float64) -> None:
    for p, q in zip(ours, theirs, strict=True):
        assert_close(name, p, q, dtype)


def assert_same_state(name: str, ours, theirs, dtype=np.float64) -> None:
    """Equal ``param_groups`` and, per parameter, the same buffers with close values (``step``
    exactly equal, of PyTorch's dtype)."""
    mine, reference = ours.state_dict(), theirs.state_dict()
    assert mine["param_groups"] == reference["param_groups"]
    assert list(mine["state"]) == list(reference["state"])
    for index, buffers in reference["state"].items():
        assert list(mine["state"][index]) == list(buffers), f"{name}: state keys of {index}"
        for key, expected in buffers.items():
            actual = mine["state"][index][key]
            if key == "step":
                assert float(actual) == float(expected)
                assert str(actual.dtype) == str(expected.dtype).removeprefix("torch.")
            else:
                assert_close(f"{name} state", actual, expected, dtype)


def groups(params, group_options: dict) -> list[dict]:
    """Two groups: the first two parameters with the optimizer's defaults, the rest with
    ``group_options``."""
    return [{"params": params[:2]}, {"params": params[2:], **group_options}]


def check_against_torch(
    name: str,
    options: dict,
    *,
    seed: int,
    dtype=np.float64,
    steps: int = 30,
    holes: bool = False,
    group_options: dict | None = None,
    edit: Callable[[dict], None] | None = None,
    swap_at: int | None = None,
) -> None:
    """Assert that cnnlab's optimizer ``name`` follows torch's over ``steps`` steps; see the
    module's docstring for the edits and the swap of states along the way."""
    group_options = group_options or {}
    ours, theirs = parameter_pairs(seed, dtype)
    pair = [
        getattr(lib.optim, name)(groups(params, group_options), **options)
        for lib, params in ((cnnlab, ours), (torch, theirs))
    ]
    gradients = gradient_sequence(seed, steps, dtype, holes)
    half = steps // 2
    swap_at = half if swap_at is None else swap_at
    for step, grads in enumerate(gradients):
        if step == half and edit is not None:
            for optimizer in pair:
                for group in optimizer.param_groups:
                    edit(group)
        if step == swap_at:
            pair = _swapped(name, ours, theirs, pair)
        feed(ours, theirs, pair, [grads])
    label = f"{name} after {steps} steps"
    assert_same_parameters(label, ours, theirs, dtype)
    assert_same_state(label, *pair, dtype)


def _swapped(name: str, ours, theirs, pair):
    """Fresh optimizers (default options) that continue from the other library's state."""
    mine, reference = pair
    fresh_ours = getattr(cnnlab.optim, name)(groups(ours, {}))
    fresh_ours.load_state_dict(reference.state_dict())
    fresh_theirs = getattr(torch.optim, name)(groups(theirs, {}))
    fresh_theirs.load_state_dict(to_torch(mine.state_dict()))
    return [fresh_ours, fresh_theirs]


def check_drawn(data, name: str, options, group_options, edits) -> None:
    """:func:`check_against_torch` on drawn options, group options, edit, dtype, seed, holes
    and swap step (``data`` is hypothesis' ``st.data()``)."""
    from hypothesis import strategies as st

    check_against_torch(
        name,
        data.draw(options, label="options"),
        seed=data.draw(st.integers(0, 2**16), label="seed"),
        dtype=data.draw(st.sampled_from([np.float64, np.float32]), label="dtype"),
        holes=data.draw(st.booleans(), label="holes"),
        group_options=data.draw(group_options, label="group_options"),
        edit=data.draw(st.sampled_from(edits), label="edit"),
        swap_at=data.draw(st.integers(0, 30), label="swap_at"),
    )


def scale_lr(group: dict) -> None:
    group["lr"] *= 0.5


def set_weight_decay(group: dict) -> None:
    group["weight_decay"] = 0.05


# ----- learning-rate schedules

SCHEDULED_OPTIMIZERS = {
    "SGD": dict(lr=0.1, momentum=0.9),
    "Adam": dict(lr=0.01, betas=(0.9, 0.999)),
}


def scheduled_optimizer(lib, kind: str, groups: int = 1):
    """An optimizer of ``lib`` with ``groups`` groups of one parameter, group i at lr * (i + 1)."""
    options = SCHEDULED_OPTIMIZERS[kind]
    params = [lib.nn.Parameter(lib.ones(2, dtype=lib.float64) * i) for i in range(groups)]
    return getattr(lib.optim, kind)(
        [{"params": [p], "lr": options["lr"] * (i + 1)} for i, p in enumerate(params)], **options
    )


def record(optimizer) -> list[list[float]]:
    """lr, momentum and beta1 of every group (NaN where the optimizer has none)."""
    return [
        [
            group["lr"],
            group.get("momentum", np.nan),
            group["betas"][0] if "betas" in group else np.nan,
        ]
        for group in optimizer.param_groups
    ]


def run_schedule(lib, make, kind="SGD", steps=30, groups=1, metrics=None, edit_at=None):
    """Step ``make(lib, optimizer)`` ``steps`` times after each optimizer step (with
    ``metrics[i]`` for ReduceLROnPlateau); at ``edit_at`` halve every group's lr by hand.
    Returns the records after construction and each step, and each ``get_last_lr()``."""
    import warnings

    optimizer = scheduled_optimizer(lib, kind, groups)
    schedule = make(lib, optimizer)
    records, last = [record(optimizer)], [list(schedule.get_last_lr())]
    for i in range(steps):
        if i == edit_at:
            for group in optimizer.param_groups:
                group["lr"] *= 0.5
        optimizer.step()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            schedule.step() if metrics is None else schedule.step(metrics[i])
        records.append(record(optimizer))
        last.append(list(schedule.get_last_lr()))
    return np.array(records, dtype=np.float64), np.array(last, dtype=np.float64)


def assert_same_schedule(name: str, make, **kwargs) -> None:
    """cnnlab's schedule gives PyTorch's rates, momenta and ``get_last_lr()`` at every step."""
    (ours, our_last), (theirs, their_last) = (run_schedule(lib, make, **kwargs) for lib in LIBS)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    assert_close(name, np.nan_to_num(ours), np.nan_to_num(theirs), np.float64)
    assert_close(f"{name} get_last_lr", our_last, their_last, np.float64)


LIBS = (cnnlab, torch)


def assert_state_moves_both_ways(name: str, make, kind="SGD", before=7, after=12, metrics=None):
    """A schedule stopped after ``before`` steps in one library, its optimizer's and its own
    state_dict loaded into fresh ones of the other library, goes on exactly as the original
    (and both state_dicts have the same keys)."""
    import warnings

    metrics = metrics or [None] * (before + after)

    def advance(optimizer, schedule, values):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for value in values:
                optimizer.step()
                schedule.step() if value is None else schedule.step(value)

    for source, target in ((torch, cnnlab), (cnnlab, torch)):
        optimizer = scheduled_optimizer(source, kind)
        schedule = make(source, optimizer)
        advance(optimizer, schedule, metrics[:before])
        fresh = scheduled_optimizer(target, kind)
        resumed = make(target, fresh)
        saved = schedule.state_dict()
        assert set(saved) == set(resumed.state_dict()), f"{name}: state_dict keys"
        optimizer_state = optimizer.state_dict()
        fresh.load_state_dict(optimizer_state if target is cnnlab else to_torch(optimizer_state))
        resumed.load_state_dict(saved)
        advance(optimizer, schedule, metrics[before:])
        advance(fresh, resumed, metrics[before:])
        ours, theirs = (np.nan_to_num(np.array(record(o))) for o in (fresh, optimizer))
        assert_close(f"{name} resumed", ours, theirs, np.float64)
