"""The optim, lr_scheduler, autograd-behaviour and utils.data names of the API list, each run on
cnnlab and on torch and compared: learning-rate sequences, parameters after steps, gradients
after in-place changes, errors, and the batches a DataLoader gives."""

from __future__ import annotations

import numpy as np
import pytest

from api_table import check

W = np.random.default_rng(3).standard_normal((3, 2))


def trained(lib, make_optimizer, steps=3):
    """The parameter after ``steps`` steps of ``make_optimizer`` on ``sum(w ** 2 * c)``."""
    w = lib.nn.Parameter(lib.tensor(W.copy()))
    optimizer = make_optimizer(lib, [w])
    for _ in range(steps):
        optimizer.zero_grad()
        (w**2 * lib.arange(1.0, 3.0, dtype=lib.float64)).sum().backward()
        optimizer.step()
    return w.detach()


OPTIMIZERS = {
    "SGD(momentum, nesterov, weight_decay)": lambda lib, p: lib.optim.SGD(
        p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4
    ),
    "Adam": lambda lib, p: lib.optim.Adam(p, lr=1e-2),
    "Adam(betas=, eps=, amsgrad=True)": lambda lib, p: lib.optim.Adam(
        p, lr=1e-2, betas=(0.8, 0.99), eps=1e-6, amsgrad=True
    ),
    "AdamW": lambda lib, p: lib.optim.AdamW(p, lr=1e-2, weight_decay=0.1),
    "Adadelta": lambda lib, p: lib.optim.Adadelta(p, lr=1.0),
    "Adagrad": lambda lib, p: lib.optim.Adagrad(p, lr=0.1),
    "RMSprop": lambda lib, p: lib.optim.RMSprop(p, lr=0.01, momentum=0.5),
    "param groups dicts": lambda lib, p: lib.optim.SGD([{"params": p, "lr": 0.2}], lr=0.1),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_matches_torch(name):
    check(name, lambda lib: trained(lib, OPTIMIZERS[name]))


def _edited_lr(lib):
    w = lib.nn.Parameter(lib.tensor(W.copy()))
    optimizer = lib.optim.SGD([w], lr=0.1)
    for group in optimizer.param_groups:
        group["lr"] = 0.5
    optimizer.param_groups[0]["lr"] *= 0.5
    (w**2).sum().backward()
    optimizer.step()
    return w.detach(), optimizer.param_groups[0]["lr"], sorted(optimizer.param_groups[0])[:4]


def _state_dict_round_trip(lib):
    w = lib.nn.Parameter(lib.tensor(W.copy()))
    optimizer = lib.optim.Adam([w], lr=0.1)
    (w**2).sum().backward()
    optimizer.step()
    state = optimizer.state_dict()
    again = lib.optim.Adam([w], lr=0.1)
    again.load_state_dict(state)
    return sorted(state), state["param_groups"][0]["lr"], again.state[w]["step"]


def _add_param_group(lib):
    w, v = (lib.nn.Parameter(lib.tensor(W.copy())) for _ in range(2))
    optimizer = lib.optim.SGD([w], lr=0.1)
    optimizer.add_param_group({"params": [v], "lr": 0.01})
    return [g["lr"] for g in optimizer.param_groups]


def _zero_grad_none(lib):
    w = lib.nn.Parameter(lib.tensor(W.copy()))
    optimizer = lib.optim.SGD([w], lr=0.1)
    (w**2).sum().backward()
    optimizer.zero_grad()
    return w.grad


def _zero_grad_zeros(lib):
    w = lib.nn.Parameter(lib.tensor(W.copy()))
    optimizer = lib.optim.SGD([w], lr=0.1)
    (w**2).sum().backward()
    optimizer.zero_grad(set_to_none=False)
    return w.grad


def lr_sequence(lib, make_scheduler, steps=12, metric=None):
    """The learning rates of ``steps`` epochs: ``get_last_lr()`` after each ``step()``."""
    w = lib.nn.Parameter(lib.tensor(W.copy()))
    optimizer = lib.optim.SGD([w], lr=0.1, momentum=0.9)
    scheduler = make_scheduler(lib.optim.lr_scheduler, optimizer)
    rates = []
    for epoch in range(steps):
        optimizer.step()
        if metric is None:
            scheduler.step()
        else:
            scheduler.step(metric(epoch))
        rates.append(optimizer.param_groups[0]["lr"])
    return rates


SCHEDULERS = {
    "StepLR(step_size=3, gamma=0.5)": lambda s, o: s.StepLR(o, step_size=3, gamma=0.5),
    "StepLR(o, 1, gamma=0.7)": lambda s, o: s.StepLR(o, 1, gamma=0.7),
    "MultiStepLR": lambda s, o: s.MultiStepLR(o, milestones=[2, 5, 9], gamma=0.1),
    "ExponentialLR": lambda s, o: s.ExponentialLR(o, gamma=0.9),
    "LambdaLR": lambda s, o: s.LambdaLR(o, lr_lambda=lambda epoch: 0.95**epoch),
    "LambdaLR warmup": lambda s, o: s.LambdaLR(o, lambda e: min(1.0, (e + 1) / 4)),
    "LinearLR": lambda s, o: s.LinearLR(o, start_factor=0.1, total_iters=4),
    "LinearLR(end_factor=)": lambda s, o: s.LinearLR(o, 1.0, 0.2, total_iters=5),
    "CosineAnnealingLR": lambda s, o: s.CosineAnnealingLR(o, T_max=10),
    "CosineAnnealingLR(eta_min=)": lambda s, o: s.CosineAnnealingLR(o, T_max=5, eta_min=1e-3),
    "OneCycleLR": lambda s, o: s.OneCycleLR(o, max_lr=0.5, total_steps=12),
    "OneCycleLR(epochs=, steps_per_epoch=)": lambda s, o: s.OneCycleLR(
        o, max_lr=0.3, epochs=3, steps_per_epoch=4, anneal_strategy="linear"
    ),
    "SequentialLR(LinearLR, CosineAnnealingLR)": lambda s, o: s.SequentialLR(
        o,
        schedulers=[s.LinearLR(o, 0.1, total_iters=3), s.CosineAnnealingLR(o, T_max=8)],
        milestones=[3],
    ),
    "CosineAnnealingWarmRestarts": lambda s, o: s.CosineAnnealingWarmRestarts(o, T_0=4),
    "CyclicLR": lambda s, o: s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3),
    "PolynomialLR": lambda s, o: s.PolynomialLR(o, total_iters=6, power=2.0),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_steps_the_lr_sequence_of_torch(name):
    check(name, lambda lib: lr_sequence(lib, SCHEDULERS[name]))


def test_reduce_lr_on_plateau_steps_the_lr_sequence_of_torch():
    losses = [1.0, 0.9, 0.95, 0.96, 0.97, 0.98, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9]
    check(
        "ReduceLROnPlateau",
        lambda lib: lr_sequence(
            lib,
            lambda s, o: s.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2),
            metric=lambda epoch: losses[epoch],
        ),
    )
    check(
        "ReduceLROnPlateau(mode='max', threshold=, cooldown=)",
        lambda lib: lr_sequence(
            lib,
            lambda s, o: s.ReduceLROnPlateau(o, "max", patience=1, threshold=0.01, cooldown=1),
            metric=lambda epoch: -losses[epoch],
        ),
    )


def _get_last_lr(lib):
    w = lib.nn.Parameter(lib.tensor(W.copy()))
    optimizer = lib.optim.SGD([w], lr=0.1)
    scheduler = lib.optim.lr_scheduler.StepLR(optimizer, 2, 0.5)
    out = []
    for _ in range(4):
        optimizer.step()
        scheduler.step()
        out.append(scheduler.get_last_lr())
    return out, sorted(scheduler.state_dict())[:3]


OPTIM_PROGRAMS = {
    "param_groups[0]['lr'] editable": _edited_lr,
    "state_dict / load_state_dict": _state_dict_round_trip,
    "add_param_group": _add_param_group,
    "zero_grad() sets None": _zero_grad_none,
    "zero_grad(set_to_none=False)": _zero_grad_zeros,
    "get_last_lr() and state_dict": _get_last_lr,
}


@pytest.mark.parametrize("name", sorted(OPTIM_PROGRAMS))
def test_optimizer_program_matches_torch(name):
    check(name, OPTIM_PROGRAMS[name])


# ----- autograd behaviour


def _inplace_on_non_leaf(lib):
    x = lib.tensor(W.copy(), requires_grad=True)
    y = x * 2
    y += 1
    y.mul_(x)
    y.add_(x, alpha=0.5)
    y.clamp_(-1, 4)
    z = y.relu_()
    z[0] = z[0] * 3
    z.sum().backward()
    return z, x.grad


def _inplace_needed_for_backward(lib):
    x = lib.tensor(W.copy(), requires_grad=True)
    y = x * 2
    z = y.sigmoid()
    z.mul_(2)  # sigmoid's backward needs its output
    z.sum().backward()


def _inplace_on_leaf(lib):
    x = lib.tensor(W.copy(), requires_grad=True)
    x.add_(1)


def _inplace_on_leaf_under_no_grad(lib):
    x = lib.tensor(W.copy(), requires_grad=True)
    with lib.no_grad():
        x.mul_(2)
        x -= 0.5
    return x, x.requires_grad, x.is_leaf


def _hook_program(lib):
    x = lib.tensor(W.copy(), requires_grad=True)
    seen = []
    y = x * 3
    y.register_hook(lambda g: seen.append(g.clone()))
    x.register_hook(lambda g: g * 2)
    handle = y.register_hook(lambda g: g + 1)
    handle.remove()
    (y**2).sum().backward()
    return x.grad, seen


def _retain_grad(lib):
    x = lib.tensor(W.copy(), requires_grad=True)
    y = x.exp()
    y.retain_grad()
    y.sum().backward()
    return y.grad, x.grad


def _grad_accumulates(lib):
    x = lib.tensor(W.copy(), requires_grad=True)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    return x.grad


def _backward_twice_raises(lib):
    x = lib.tensor(W.copy(), requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    y.backward()


def _detach_requires_grad(lib):
    x = lib.tensor(W.copy(), requires_grad=True)
    return (x * 2).detach().requires_grad, (x * 2).requires_grad, (x * 2).is_leaf


AUTOGRAD = {
    "in-place arithmetic on a non-leaf": _inplace_on_non_leaf,
    "in-place change of a tensor needed for backward": _inplace_needed_for_backward,
    "in-place on a leaf that requires grad": _inplace_on_leaf,
    "in-place on a leaf under no_grad": _inplace_on_leaf_under_no_grad,
    "register_hook": _hook_program,
    "retain_grad": _retain_grad,
    "gradients accumulate": _grad_accumulates,
    "backward twice raises": _backward_twice_raises,
    "detach": _detach_requires_grad,
}


@pytest.mark.parametrize("name", sorted(AUTOGRAD))
def test_autograd_behaviour_matches_torch(name):
    check(name, AUTOGRAD[name])


def test_autograd_grad_is_left_out_with_not_implemented_naming_it():
    import cnnlab

    with pytest.raises(NotImplementedError, match=r"autograd\.grad"):
        getattr(cnnlab.autograd, "grad")  # noqa: B009  (the attribute access is the test)


def test_in_place_version_error_names_the_version_as_torch():
    import cnnlab

    with pytest.raises(RuntimeError, match="version"):
        _inplace_needed_for_backward(cnnlab)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        _inplace_on_leaf(cnnlab)


# ----- utils.data


def _dataset(lib):
    data = lib.utils.data
    x = lib.arange(20, dtype=lib.float32).reshape(10, 2)
    y = lib.arange(10) % 3
    return data, data.TensorDataset(x, y)


def _loader_batches(lib, **options):
    data, dataset = _dataset(lib)
    loader = data.DataLoader(dataset, batch_size=3, **options)
    return len(loader), [batch for batch in loader]


def _collate_pairs(batch):
    xs, ys = zip(*batch, strict=True)
    return list(xs), list(ys)


def _splits(lib):
    data, dataset = _dataset(lib)
    train, valid = data.random_split(dataset, [7, 3], generator=lib.Generator().manual_seed(0))
    fractions = data.random_split(dataset, [0.5, 0.5])
    return (
        len(train),
        len(valid),
        type(train).__name__,
        [len(f) for f in fractions],
        train[0][0].shape,
    )


def _subset_concat(lib):
    data, dataset = _dataset(lib)
    subset = data.Subset(dataset, [1, 3, 5])
    both = data.ConcatDataset([subset, dataset])
    return len(subset), subset[2], len(both), both[3], both.cumulative_sizes


class _Squares:
    """A map-style dataset written as users write them."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return self.lib.tensor([float(i), float(i) ** 2]), i % 2


def _custom_dataset(lib):
    class Squares(lib.utils.data.Dataset, _Squares):
        pass

    loader = lib.utils.data.DataLoader(Squares(lib), batch_size=4, shuffle=False)
    return [batch for batch in loader]


DATA = {
    "TensorDataset indexing and len": lambda lib: (len(_dataset(lib)[1]), _dataset(lib)[1][4]),
    "TensorDataset.tensors": lambda lib: _dataset(lib)[1].tensors,
    "DataLoader(batch_size=3)": lambda lib: _loader_batches(lib),
    "DataLoader(drop_last=True)": lambda lib: _loader_batches(lib, drop_last=True),
    "DataLoader(collate_fn=)": lambda lib: _loader_batches(lib, collate_fn=_collate_pairs),
    "DataLoader(num_workers=2, pin_memory=True, persistent_workers=True)": lambda lib: (
        _loader_batches(lib, num_workers=2, pin_memory=True, persistent_workers=True)
    ),
    "DataLoader(shuffle=True, generator=) sizes": lambda lib: [
        tuple(b[0].shape)
        for b in lib.utils.data.DataLoader(
            _dataset(lib)[1], batch_size=4, shuffle=True, generator=lib.Generator().manual_seed(1)
        )
    ],
    "DataLoader(batch_size=None)": lambda lib: list(
        lib.utils.data.DataLoader(_dataset(lib)[1], batch_size=None)
    )[:2],
    "len(loader.dataset)": lambda lib: len(lib.utils.data.DataLoader(_dataset(lib)[1]).dataset),
    "random_split(generator=)": _splits,
    "Subset and ConcatDataset": _subset_concat,
    "Dataset subclass": _custom_dataset,
    "default_collate of dicts": lambda lib: lib.utils.data.default_collate(
        [{"x": lib.ones(2), "y": 1}, {"x": lib.zeros(2), "y": 0}]
    ),
}


@pytest.mark.parametrize("name", sorted(DATA))
def test_data_matches_torch(name):
    import cnnlab.utils.data  # noqa: F401  (torch.utils.data is imported by torch itself)

    check(name, DATA[name])
