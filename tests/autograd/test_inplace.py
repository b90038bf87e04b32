"""In-place operations against PyTorch's: values and gradients through non-leaf tensors, views
and index assignment, chains of in-place changes, the two errors PyTorch raises (a leaf that
requires grad; memory a backward needs, changed since), version counters, hooks, and finite
differences through in-place code."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import cnnlab
from cnnlab.autograd.gradcheck import gradcheck
from reference import assert_close


def run_both(program, shape, seed, dtype=np.float64):
    """``program(lib, x, w)`` on both libraries from the same leaves; the output and the
    gradients of ``x`` and ``w`` for one random output gradient."""
    rng = np.random.default_rng(seed)
    x0, w0 = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    results = []
    for lib in (cnnlab, torch):
        x = lib.tensor(x0.copy(), requires_grad=True)
        w = lib.tensor(w0.copy(), requires_grad=True)
        out = program(lib, x, w)
        grad = np.random.default_rng(seed + 1).standard_normal(tuple(out.shape)).astype(dtype)
        out.backward(lib.tensor(grad))
        results.append((out, x.grad, w.grad))
    return results


def zeros_if_none(grad, like):
    return np.zeros(like.shape) if grad is None else grad


def compare(name, ours, theirs, dtype=np.float64):
    assert ours[0].shape == tuple(theirs[0].shape)
    assert_close(f"in-place {name} forward", ours[0], theirs[0], dtype)
    for i, (a, b) in enumerate(zip(ours[1:], theirs[1:], strict=True)):
        assert (a is None) == (b is None), f"{name}: gradient {i} is None on one side only"
        if a is not None:
            assert_close(f"in-place {name} grad {i}", a, b, dtype)


def fresh(x):
    """A non-leaf copy of ``x`` (in-place ops need one)."""
    return x * 1


PROGRAMS = {
    "add_": lambda lib, x, w: fresh(x).add_(w),
    "add_ alpha": lambda lib, x, w: fresh(x).add_(w, alpha=-2.5),
    "sub_ alpha": lambda lib, x, w: fresh(x).sub_(w, alpha=0.5),
    "mul_ tensor": lambda lib, x, w: fresh(x).mul_(w),
    "mul_ scalar": lambda lib, x, w: fresh(x).mul_(3.0) * w,
    "div_": lambda lib, x, w: fresh(x).div_(w.abs() + 1),
    "+=": lambda lib, x, w: _iadd(fresh(x), w),
    "-= *= /=": lambda lib, x, w: _iops(fresh(x), w),
    "clamp_": lambda lib, x, w: fresh(x).clamp_(-0.5, 0.5) * w,
    "relu_": lambda lib, x, w: (x * w).relu_(),
    "sigmoid_ tanh_ exp_": lambda lib, x, w: (
        fresh(x).sigmoid_() * w + fresh(w).tanh_() * x + fresh(x).exp_()
    ),
    "abs_ pow_ sqrt_": lambda lib, x, w: (x * w).abs_().add_(0.5).pow_(1.5).sqrt_(),
    "neg_ square_": lambda lib, x, w: (x + w).neg_().square_(),
    "masked_fill_": lambda lib, x, w: fresh(x).masked_fill_(w > 0, 2.0) * w,
    "copy_": lambda lib, x, w: (x * 2).copy_(w * 3) + x,
    "copy_ broadcast": lambda lib, x, w: (x * 2).copy_(w[..., :1] * 3) + x,
    "fill_ zero_": lambda lib, x, w: fresh(x).fill_(1.5) * w + fresh(w).zero_() * x,
    "chain add_ mul_ relu_": lambda lib, x, w: (x * w).add_(x).mul_(2).relu_(),
    "chain clamp_ exp_": lambda lib, x, w: fresh(x).clamp_(-0.5, 0.5).exp_() * w,
    "resnet Y += X": lambda lib, x, w: _residual(lib, x, w),
    "setitem basic": lambda lib, x, w: _setitem(fresh(x), (0,), w[1] * 2),
    "setitem slice": lambda lib, x, w: _setitem(fresh(x), (slice(None), slice(1, None)), w[:, 1:]),
    "setitem scalar": lambda lib, x, w: _setitem(fresh(x), (slice(0, 1),), 7.0) * w,
    "setitem mask": lambda lib, x, w: _setitem(fresh(x), (w > 0,), 0.0) * w,
    "setitem advanced": lambda lib, x, w: _setitem(fresh(x), ([0, 2], [1, 0]), w[1, :2]),
    "setitem into a leaf without grad": lambda lib, x, w: _into_zeros(lib, x, w),
    "index += (getitem, iadd, setitem)": lambda lib, x, w: _index_iadd(fresh(x), w),
    "view add_": lambda lib, x, w: _then(fresh(x), lambda y: y.view(-1).mul_(w.reshape(-1))),
    "row mul_": lambda lib, x, w: _then(fresh(x), lambda y: y[1].mul_(w[0])),
    "transposed mul_": lambda lib, x, w: _then(fresh(x), lambda y: y.t().mul_(w.t())),
    "view sees its base change": lambda lib, x, w: _view_after_base_change(x, w),
    "two views of one base": lambda lib, x, w: _two_views(x, w),
}


def _iadd(y, w):
    y += w
    return y


def _iops(y, w):
    y -= w
    y *= w
    y /= w.abs() + 1
    return y


def _residual(lib, x, w):
    y = x * w  # as batch norm, the product does not keep its output for backward
    y += x
    return lib.relu(y)


def _setitem(y, index, value):
    y[index] = value
    return y


def _into_zeros(lib, x, w):
    out = lib.zeros(x.shape, dtype=x.dtype)
    out[0] = x[0] * w[0]
    out[1:] = w[1:] ** 2
    return out * 2


def _index_iadd(y, w):
    y[:, 0] += w[:, 1]
    y[1] *= w[0]
    return y


def _then(y, change):
    change(y)
    return y


def _view_after_base_change(x, w):
    y = x * 1
    row = y[0]
    y.mul_(w)
    return row * 3


def _two_views(x, w):
    y = x * 1
    first, flat = y[0], y.view(-1)
    first.add_(w[0])
    return flat * 2 + y.sum()


@pytest.mark.parametrize("program", list(PROGRAMS))
@given(seed=st.integers(0, 2**16), columns=st.integers(2, 4))
@settings(max_examples=10)
def test_in_place_values_and_gradients_match_torch(program, seed, columns):
    ours, theirs = run_both(PROGRAMS[program], (3, columns), seed)
    compare(program, ours, theirs)


@pytest.mark.parametrize("program", ["relu_", "resnet Y += X", "index += (getitem, iadd, setitem)"])
def test_in_place_in_float32_matches_torch(program):
    ours, theirs = run_both(PROGRAMS[program], (3, 4), 0, np.float32)
    compare(program, ours, theirs, np.float32)


@pytest.mark.parametrize(
    "program",
    ["chain add_ mul_ relu_", "setitem advanced", "index += (getitem, iadd, setitem)", "row mul_"],
)
def test_in_place_gradients_pass_finite_differences(program):
    rng = np.random.default_rng(3)
    x = cnnlab.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = cnnlab.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda a, b: PROGRAMS[program](cnnlab, a, b), [x, w])


def test_apply_inplace_takes_any_out_of_place_computation():
    """The one mechanism behind every in-place method, as an ``inplace=True`` layer uses it."""
    for lib in (cnnlab, torch):
        x = lib.tensor([-1.0, 2.0, -3.0], requires_grad=True)
        y = x * 2
        if lib is cnnlab:
            out = y._apply_inplace(lambda s: cnnlab.where(s > 0, s, s * 0.1))
        else:
            out = torch.nn.functional.leaky_relu(y, 0.1, inplace=True)
        assert out is y
        (y * y).sum().backward()
        if lib is cnnlab:
            ours = (x.grad, y.detach())
        else:
            assert_close("apply_inplace grad", ours[0], x.grad, np.float64)
            assert_close("apply_inplace value", ours[1], y.detach(), np.float64)


# ----- PyTorch's errors, raised where PyTorch raises them and nowhere else
def saved_then_changed(lib):
    x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.add_(1)  # exp saved its result
    return y.sum()


def sigmoid_output_changed_in_no_grad(lib):
    x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = lib.sigmoid(x)
    with lib.no_grad():
        y.mul_(2)
    return y.sum()


def input_of_a_product_changed(lib):
    x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    h, w = x * 2, x * 3
    out = h * w  # saved both
    h.add_(1)
    return out.sum()


def view_of_a_saved_input_changed(lib):
    x = lib.tensor([[0.5, -1.0], [2.0, 1.0]], requires_grad=True)
    h = x * 2
    out = h.log1p()
    h[0].zero_()
    return out.sum()


def relu_output_changed_twice(lib):
    x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x * 2).relu_()
    y.exp_()  # relu saved its result, which exp_ overwrites
    return y.sum()


def tanh_output_changed_by_a_residual_add(lib):
    x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = lib.tanh(x * 2)
    y += x
    return y.sum()


def relu_output_changed_by_mul_(lib):
    x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    return (x * 1).relu_().mul_(x).sum()


def sum_input_changed(lib):
    x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    h = x * 2
    out = h.sum() + (h + 1).sum()  # sum and add save nothing of h
    h.mul_(3)
    return out


def product_with_a_constant_then_changed(lib):
    x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    h = x * 2
    out = h * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)  # saves only the constant
    h.add_(1)
    return out.sum()


def leaf_changed_under_no_grad_after_use_in_sum(lib):
    x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    out = (x + 1).sum()
    with lib.no_grad():
        x.add_(1)
    return out


ERROR_CASES = [
    (saved_then_changed, True),
    (sigmoid_output_changed_in_no_grad, True),
    (input_of_a_product_changed, True),
    (view_of_a_saved_input_changed, True),
    (relu_output_changed_twice, True),
    (tanh_output_changed_by_a_residual_add, True),
    (relu_output_changed_by_mul_, True),
    (sum_input_changed, False),
    (product_with_a_constant_then_changed, False),
    (leaf_changed_under_no_grad_after_use_in_sum, False),
]


@pytest.mark.parametrize(("case", "raises"), ERROR_CASES, ids=[c.__name__ for c, _ in ERROR_CASES])
def test_backward_after_an_in_place_change_raises_where_torch_does(case, raises):
    for lib in (cnnlab, torch):
        loss = case(lib)
        if raises:
            with pytest.raises(RuntimeError, match="modified by an inplace operation"):
                loss.backward()
        else:
            loss.backward()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda lib, w: w.add_(1), "a leaf Variable that requires grad"),
        (lambda lib, w: w.relu_(), "a leaf Variable that requires grad"),
        (lambda lib, w: w.__setitem__(0, 1.0), "a view of a leaf Variable|a leaf Variable"),
        (lambda lib, w: w.view(-1).mul_(2), "a view of a leaf Variable"),
        (lambda lib, w: w[1:].zero_(), "a view of a leaf Variable"),
    ],
)
def test_in_place_change_of_a_leaf_that_requires_grad_is_torchs_error(change, message):
    for lib in (cnnlab, torch):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        with pytest.raises(RuntimeError, match=message):
            change(lib, w)
        with lib.no_grad():
            change(lib, w)  # as an optimizer step or nn.init does
        assert w.is_leaf and w.requires_grad


def test_versions_count_in_place_changes_of_shared_memory_as_torch():
    counts = []
    for lib in (cnnlab, torch):
        x = lib.zeros(3, 4)
        view, alias = x[1], x.detach()
        seen = [x._version]
        x.add_(1)
        seen.append(x._version)
        view.mul_(2)
        seen += [x._version, view._version]
        alias.zero_()
        x[0, 0] = 5.0
        seen += [x._version, alias._version]
        counts.append(seen)
    assert counts[0] == counts[1]


def test_in_place_dtype_and_shape_errors_are_torchs():
    for lib in (cnnlab, torch):
        counts = lib.tensor([1, 2])
        with pytest.raises(RuntimeError, match="result type Float can't be cast"):
            counts += 0.5
        with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
            lib.zeros(3).add_(lib.ones(2, 3))
        counts += lib.tensor([True, False])
        assert counts.tolist() == [2, 2]
        floats = lib.zeros(2)
        floats += lib.tensor([1.5, 2.5], dtype=lib.float64)
        assert floats.dtype == lib.float32


def test_in_place_writes_reach_views_and_numpy_memory():
    array = np.zeros((2, 3), np.float32)
    t = cnnlab.from_numpy(array)
    row = t[1]
    t.add_(1)
    row.mul_(3)
    t[0, 2] = -1.0
    assert array.tolist() == [[1.0, 1.0, -1.0], [3.0, 3.0, 3.0]]
    assert row.tolist() == [3.0, 3.0, 3.0]


# ----- hooks
def test_hooks_on_leaves_and_non_leaves_match_torch():
    grads = []
    for lib in (cnnlab, torch):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        seen = []
        x.register_hook(lambda g, seen=seen: seen.append(g.clone()))
        doubled = x.register_hook(lambda g: g * 2)
        h = x * x
        h.register_hook(lambda g: g + 1)
        (h.sum() + x.sum()).backward()
        doubled.remove()
        (x * 3).sum().backward()
        grads.append((x.grad, *seen))
    for a, b in zip(*grads, strict=True):
        assert_close("hooks", a, b, np.float32)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        cnnlab.zeros(2).register_hook(lambda g: g)
