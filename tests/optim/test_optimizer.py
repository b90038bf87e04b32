"""The ``Optimizer`` base against ``torch.optim.Optimizer``: parameter groups (editable, added
mid-run, named), ``state`` keyed by parameter, ``zero_grad``, hooks, ``state_dict`` layout,
and the PyTorch arguments cnnlab refuses by name."""

import numpy as np
import pytest
import torch

import cnnlab
from optimizer_reference import (
    assert_same_parameters,
    assert_same_state,
    feed,
    gradient_sequence,
    parameter_pairs,
    to_torch,
)

OPTIMIZERS = ["SGD", "Adam", "AdamW", "Adadelta", "Adagrad", "RMSprop", "Adamax", "NAdam", "RAdam"]


def test_editing_param_groups_takes_effect_at_the_next_step():
    ours, theirs = parameter_pairs(0)
    pair = [lib.optim.SGD(p, lr=0.1, momentum=0.9) for lib, p in ((cnnlab, ours), (torch, theirs))]
    gradients = gradient_sequence(0, 12)
    feed(ours, theirs, pair, gradients[:4])
    for optimizer in pair:
        for group in optimizer.param_groups:
            group["lr"], group["momentum"] = 0.01, 0.5
    feed(ours, theirs, pair, gradients[4:])
    assert_same_parameters("SGD after editing param_groups", ours, theirs)
    assert_same_state("SGD after editing param_groups", *pair)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_add_param_group_mid_run_matches_torch(name):
    ours, theirs = parameter_pairs(1)
    pair = [
        getattr(lib.optim, name)(params[:1], lr=0.01)
        for lib, params in ((cnnlab, ours), (torch, theirs))
    ]
    gradients = gradient_sequence(1, 16)
    feed(ours, theirs, pair, gradients[:6])
    for optimizer, params in zip(pair, (ours, theirs), strict=True):
        optimizer.add_param_group({"params": params[1:], "lr": 0.05})
    feed(ours, theirs, pair, gradients[6:])
    assert_same_parameters(f"{name} with a group added mid-run", ours, theirs)
    assert_same_state(f"{name} with a group added mid-run", *pair)


def test_named_parameters_and_state_keyed_by_parameter():
    model = cnnlab.nn.Linear(3, 2)
    reference = torch.nn.Linear(3, 2)
    ours = cnnlab.optim.Adam(model.named_parameters(), lr=0.1)
    theirs = torch.optim.Adam(reference.named_parameters(), lr=0.1)
    assert ours.state_dict()["param_groups"] == theirs.state_dict()["param_groups"]
    assert ours.param_groups[0]["param_names"] == ["weight", "bias"]
    model(cnnlab.ones(4, 3)).sum().backward()
    ours.step()
    assert set(ours.state[model.weight]) == {"step", "exp_avg", "exp_avg_sq"}
    assert ours.state[model.weight]["exp_avg"].shape == (2, 3)
    assert repr(cnnlab.optim.SGD([model.weight], lr=0.1, momentum=0.9)) == repr(
        torch.optim.SGD([reference.weight], lr=0.1, momentum=0.9)
    )


def test_state_dict_layout_matches_torch_and_shares_buffers():
    ours, theirs = parameter_pairs(2)
    pair = [
        cnnlab.optim.SGD([{"params": ours[:1]}, {"params": ours[1:], "lr": 0.5}], momentum=0.9),
        torch.optim.SGD([{"params": theirs[:1]}, {"params": theirs[1:], "lr": 0.5}], momentum=0.9),
    ]
    feed(ours, theirs, pair, gradient_sequence(2, 3))
    mine, reference = (o.state_dict() for o in pair)
    assert mine["param_groups"] == reference["param_groups"]
    assert [g["params"] for g in mine["param_groups"]] == [[0], [1, 2]]
    assert list(mine["state"]) == [0, 1, 2]
    mine["state"][0]["momentum_buffer"].fill_(99.0)  # as in PyTorch, the buffer itself
    assert (pair[0].state[ours[0]]["momentum_buffer"].numpy() == 99.0).all()


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_dict_loads_across_libraries_before_any_step(name):
    """An untouched state (empty, or Adagrad's initial sums) moves both ways and both go on
    identically."""
    ours, theirs = parameter_pairs(3)
    first = [getattr(lib.optim, name)(p, lr=0.01) for lib, p in ((cnnlab, ours), (torch, theirs))]
    pair = [getattr(cnnlab.optim, name)(ours), getattr(torch.optim, name)(theirs)]
    pair[0].load_state_dict(first[1].state_dict())
    pair[1].load_state_dict(to_torch(first[0].state_dict()))
    feed(ours, theirs, pair, gradient_sequence(3, 10))
    assert_same_parameters(f"{name} from a fresh state", ours, theirs)
    assert_same_state(f"{name} from a fresh state", *pair)


def test_loaded_buffers_take_the_parameter_dtype_and_step_keeps_its_own():
    ours, theirs = parameter_pairs(4, np.float32)
    reference = torch.optim.Adam(theirs, lr=0.1)
    feed(ours, theirs, [reference], gradient_sequence(4, 3, np.float32))
    saved = reference.state_dict()
    saved["state"][0]["exp_avg"] = saved["state"][0]["exp_avg"].double()
    optimizer = cnnlab.optim.Adam(ours)
    optimizer.load_state_dict(saved)
    state = optimizer.state[ours[0]]
    assert state["exp_avg"].dtype == np.float32 and state["step"].dtype == np.float32
    assert float(state["step"]) == 3.0 and optimizer.param_groups[0]["lr"] == 0.1


def test_zero_grad_to_none_and_to_zeros():
    ours, _ = parameter_pairs(4)
    optimizer = cnnlab.optim.SGD(ours, lr=0.1)
    for p in ours:
        (p * p).sum().backward()
    optimizer.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in ours)
    optimizer.zero_grad()
    assert all(p.grad is None for p in ours)


def test_step_hooks_and_closure():
    ours, _ = parameter_pairs(5)
    optimizer = cnnlab.optim.SGD(ours, lr=0.1)
    calls = []
    pre = optimizer.register_step_pre_hook(lambda opt, args, kwargs: calls.append("pre"))
    optimizer.register_step_post_hook(lambda opt, args, kwargs: calls.append("post"))

    def closure():
        calls.append("closure")
        for p in ours:
            p.grad = cnnlab.ones_like(p)
        return 1.5

    assert optimizer.step(closure) == 1.5
    pre.remove()
    optimizer.step(closure)
    assert calls == ["pre", "closure", "post", "closure", "post"]


@pytest.mark.parametrize(
    ("name", "flag", "value"),
    [
        ("SGD", "foreach", True),
        ("SGD", "fused", True),
        ("Adam", "capturable", True),
        ("Adam", "differentiable", True),
        ("AdamW", "fused", True),
        ("Adadelta", "foreach", True),
        ("Adagrad", "fused", True),
        ("RMSprop", "capturable", True),
    ],
)
def test_implementation_flags_away_from_torchs_cpu_path_raise_by_name(name, flag, value):
    ours, _ = parameter_pairs(0)
    with pytest.raises(NotImplementedError, match=f"{name}: {flag}={value}"):
        getattr(cnnlab.optim, name)(ours, **{flag: value})
    getattr(cnnlab.optim, name)(ours, **{flag: False if flag != "foreach" else None})
    optimizer = getattr(cnnlab.optim, name)(ours[:1])
    with pytest.raises(NotImplementedError, match=flag):
        optimizer.add_param_group({"params": ours[1:], flag: value})


def test_tensor_hyperparameters_and_missing_optimizers_raise_by_name():
    ours, _ = parameter_pairs(0)
    with pytest.raises(NotImplementedError, match="lr given as a Tensor"):
        cnnlab.optim.SGD(ours, lr=cnnlab.tensor(0.1))
    for name in ("LBFGS", "Rprop", "SparseAdam", "ASGD"):
        with pytest.raises(NotImplementedError, match=f"cnnlab.optim.{name} is not implemented"):
            getattr(cnnlab.optim, name)
    with pytest.raises(AttributeError):
        cnnlab.optim.NoSuchOptimizer  # noqa: B018


def test_bad_parameter_lists_raise():
    ours, _ = parameter_pairs(0)
    with pytest.raises(ValueError, match="empty parameter list"):
        cnnlab.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="got a single Tensor"):
        cnnlab.optim.SGD(ours[0], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        cnnlab.optim.SGD([ours[0] * 2], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors, got ndarray"):
        cnnlab.optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        cnnlab.optim.SGD([{"params": set(ours)}], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        cnnlab.optim.SGD([{"params": ours[:2]}, {"params": ours[1:]}], lr=0.1)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        cnnlab.optim.SGD([ours[0], ours[0]], lr=0.1)
    optimizer = cnnlab.optim.SGD(ours, lr=0.1)
    with pytest.raises(ValueError, match="group 0 has 2 parameters, this optimizer's has 3"):
        optimizer.load_state_dict(cnnlab.optim.SGD(ours[:2], lr=0.1).state_dict())
    with pytest.raises(ValueError, match="has 2 parameter groups, this optimizer has 1"):
        optimizer.load_state_dict(
            cnnlab.optim.SGD([{"params": ours[:1]}, {"params": ours[1:]}]).state_dict()
        )
