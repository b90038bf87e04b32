"""The backward engine against PyTorch's: graph shapes (diamonds, reuse), accumulation,
``retain_graph``, grad modes, ``detach``, ``requires_grad_``, ``retain_grad`` and its errors."""

from contextlib import nullcontext

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cnnlab
from cnnlab.autograd import Function
from cnnlab.autograd.gradcheck import GradcheckError, gradcheck
from reference import assert_close


def leaf(lib, values=(0.5, -1.0, 2.0), dtype=None):
    return lib.tensor(list(values), dtype=dtype or lib.float64, requires_grad=True)


def grads_of(fn):
    """``x.grad`` after ``fn(lib, x)`` for both libraries (fn calls backward itself)."""
    out = []
    for lib in (cnnlab, torch):
        x = leaf(lib)
        fn(lib, x)
        out.append(x.grad)
    return out


GRAPHS = {
    "diamond": lambda lib, x: ((lambda y: y * y + lib.exp(y))(x * 2)).sum(),
    "used twice": lambda lib, x: (x * x).sum(),
    "used three times": lambda lib, x: (x * x * x + x).sum(),
    "deep chain": lambda lib, x: (lambda y: [y := y * 1.01 + 0.001 for _ in range(300)][-1])(
        x
    ).sum(),
    "shared subexpression in two branches": lambda lib, x: (lambda h: h.sum() * 2 + (h * h).mean())(
        lib.tanh(x) * x
    ),
    "two paths of different length": lambda lib, x: (
        lib.sigmoid(x) + lib.sigmoid(lib.sigmoid(x))
    ).sum(),
    "wide fan-out and fan-in": lambda lib, x: lib.stack([x * k for k in range(1, 6)]).sum(),
    "a constant in the graph": lambda lib, x: (
        x * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
    ).sum(),
    "an integer constant in the graph": lambda lib, x: (x * lib.tensor([1, 2, 3])).sum(),
    "graph through views": lambda lib, x: (x.view(3, 1) @ x.view(1, 3)).T.reshape(-1)[::2].sum(),
    "branch cut by detach": lambda lib, x: (x * x.detach()).sum(),
    "a no_grad intermediate": lambda lib, x: (lambda c: (x * c).sum())(
        _no_grad(lib, lambda: x * 3)
    ),
}


def _no_grad(lib, make):
    with lib.no_grad():
        return make()


@pytest.mark.parametrize("graph", list(GRAPHS))
def test_gradients_through_graph_shapes_match_torch(graph):
    ours, theirs = grads_of(lambda lib, x: GRAPHS[graph](lib, x).backward())
    assert_close(f"graph: {graph}", ours, theirs, np.float64)


@pytest.mark.parametrize("graph", [g for g in GRAPHS if "detach" not in g and "no_grad" not in g])
def test_graph_shapes_pass_finite_differences(graph):
    x = leaf(cnnlab)
    assert gradcheck(lambda t: GRAPHS[graph](cnnlab, t), [x])


def test_gradcheck_catches_a_wrong_backward():
    class WrongSquare(Function):
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, grad):
            return grad * self.x  # should be 2 * x

    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda t: WrongSquare.apply(t), [leaf(cnnlab)])
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda t: t * 2, [leaf(cnnlab, dtype=cnnlab.float32)])


STEPS = {
    "exp": lambda lib, a, b: lib.exp(a * 0.3),
    "mul": lambda lib, a, b: a * b,
    "add": lambda lib, a, b: a + b,
    "tanh": lambda lib, a, b: lib.tanh(a),
    "reuse": lambda lib, a, b: a * a + a,
}


@given(
    st.lists(st.sampled_from(["exp", "mul", "add", "tanh", "reuse"]), min_size=1, max_size=12),
    st.integers(0, 2**16),
)
@settings(max_examples=150)
def test_random_graphs_with_reuse_match_torch(steps, seed):
    """Random chains where each step may reuse any earlier node (so gradients must add up)."""
    x0 = np.random.default_rng(seed).uniform(-1, 1, 4)
    results = []
    for lib in (cnnlab, torch):
        x = lib.tensor(x0, requires_grad=True)
        nodes = [x]
        pick = np.random.default_rng(seed + 1)
        for step in steps:
            a, b = (nodes[int(pick.integers(len(nodes)))] for _ in range(2))
            nodes.append(STEPS[step](lib, a, b))
        out = sum(n.sum() for n in nodes[1:])
        out.backward()
        results.append((out.item(), x.grad))
    # chains of products can overflow; both libraries then give inf, which has no relative error
    assume(np.isfinite(results[1][0]) and np.isfinite(results[1][1].numpy()).all())
    assert np.isclose(results[0][0], results[1][0], rtol=1e-12)
    assert_close("random graph with reuse", results[0][1], results[1][1], np.float64)


# ----- accumulation and retain_graph
def test_gradients_accumulate_across_backward_calls():
    ours, theirs = grads_of(lambda lib, x: ((x * x).sum().backward(), (x * 3).sum().backward()))
    assert_close("accumulated grad", ours, theirs, np.float64)
    np.testing.assert_allclose(ours.numpy(), 2 * np.array([0.5, -1.0, 2.0]) + 3)


def test_accumulation_adds_in_place_into_the_same_grad_tensor():
    x = leaf(cnnlab)
    (x * 2).sum().backward()
    first = x.grad
    (x * 5).sum().backward()
    assert x.grad is first
    np.testing.assert_array_equal(first.numpy(), [7.0, 7.0, 7.0])


def test_retain_graph_allows_a_second_backward_and_without_it_is_a_clear_error():
    for lib in (cnnlab, torch):
        x = leaf(lib)
        y = (lib.exp(x) * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        np.testing.assert_allclose(
            x.grad.numpy(), 2 * ((1 + x.detach().numpy()) * np.exp(x.detach().numpy()))
        )
        with pytest.raises(
            RuntimeError, match=r"backward through the graph a second time.*retain_graph"
        ):
            y.backward()


def test_two_outputs_sharing_a_freed_subgraph():
    x = leaf(cnnlab)
    h = cnnlab.exp(x)
    (h * 2).sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        (h * 3).sum().backward()


def test_backward_of_a_non_scalar_needs_a_gradient():
    for lib in (cnnlab, torch):
        x = leaf(lib)
        with pytest.raises(
            RuntimeError, match="grad can be implicitly created only for scalar outputs"
        ):
            (x * 2).backward()
    x = leaf(cnnlab)
    (x * 2).backward(cnnlab.tensor([1.0, 0.0, -1.0], dtype=cnnlab.float64))
    assert x.grad.tolist() == [2.0, 0.0, -2.0]
    with pytest.raises(
        ValueError, match=r"gradient has shape \(2,\) but the tensor has shape \(3,\)"
    ):
        (x * 2).backward(cnnlab.tensor([1.0, 2.0]))


def test_backward_of_a_tensor_that_does_not_require_grad_is_an_error():
    for lib in (cnnlab, torch):
        with pytest.raises(RuntimeError, match="does not require grad"):
            lib.tensor([1.0, 2.0]).sum().backward()


def test_backward_on_a_leaf_accumulates_the_gradient_itself():
    ours, theirs = grads_of(
        lambda lib, x: (x.backward(lib.ones(3, dtype=lib.float64)), x.backward(x.detach()))
    )
    assert_close("leaf backward", ours, theirs, np.float64)


def test_the_gradient_passed_to_backward_is_not_modified():
    x = leaf(cnnlab)
    given_grad = cnnlab.tensor([1.0, 1.0, 1.0], dtype=cnnlab.float64)
    x.backward(given_grad)
    x.grad[0] = 9.0
    (x * 1).backward(given_grad)
    assert given_grad.tolist() == [1.0, 1.0, 1.0]


# ----- which tensors get .grad
def test_leaves_that_do_not_require_grad_get_no_grad_and_non_leaves_none():
    for lib in (cnnlab, torch):
        x, c = leaf(lib), lib.tensor([3.0, 4.0, 5.0], dtype=lib.float64)
        y = x * c
        (y * y).sum().backward()
        assert c.grad is None
        assert x.grad is not None
        with pytest.warns(UserWarning) if lib is torch else nullcontext():
            assert y.grad is None
        assert x.is_leaf and c.is_leaf and not y.is_leaf
        assert y.grad_fn is not None and x.grad_fn is None


def test_retain_grad_keeps_the_gradient_of_a_non_leaf():
    results = []
    for lib in (cnnlab, torch):
        x = leaf(lib)
        y = x * 2
        y.retain_grad()
        z = (y * y).sum() + y.sum()
        z.retain_grad()
        z.backward()
        results.append((y.grad, z.grad, x.grad))
    for name, ours, theirs in zip(("y.grad", "z.grad", "x.grad"), *results, strict=True):
        assert_close(f"retain_grad {name}", ours, theirs, np.float64)


def test_requires_grad_and_requires_grad_underscore():
    for lib in (cnnlab, torch):
        x = lib.tensor([1.0, 2.0])
        assert not x.requires_grad
        assert x.requires_grad_() is x and x.requires_grad
        (x * x).sum().backward()
        assert x.grad.tolist() == [2.0, 4.0]
        x.requires_grad_(False)
        assert not (x * 2).requires_grad
        y = leaf(lib) * 2
        with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
            y.requires_grad_(False)


def test_detach_shares_values_and_leaves_the_graph():
    for lib in (cnnlab, torch):
        x = leaf(lib)
        y = x * 2
        d = y.detach()
        assert not d.requires_grad and d.grad_fn is None and d.is_leaf
        d[0] = 100.0
        assert y[0].item() == 100.0  # shares memory, as in PyTorch
        assert not x.data.requires_grad and x.data.tolist() == x.tolist()
        y.detach_()
        assert not y.requires_grad and y.grad_fn is None


def test_grad_dtype_follows_the_leaf_through_casts():
    for lib in (cnnlab, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x.double() * 2).sum().backward()
        assert str(x.grad.dtype).endswith("float32")


# ----- grad modes
def test_no_grad_enable_grad_set_grad_enabled_as_context_managers():
    for lib in (cnnlab, torch):
        x = leaf(lib)
        with lib.no_grad():
            assert not lib.is_grad_enabled()
            a = x * 2
            with lib.enable_grad():
                b = x * 2
            c = x * 2
        with lib.set_grad_enabled(False):
            d = x * 2
        with lib.set_grad_enabled(True):
            e = x * 2
        assert [t.requires_grad for t in (a, b, c, d, e)] == [False, True, False, False, True]
        assert lib.is_grad_enabled()


def test_set_grad_enabled_as_a_function_call_switches_until_switched_back():
    for lib in (cnnlab, torch):
        x = leaf(lib)
        lib.set_grad_enabled(False)
        try:
            assert not (x * 2).requires_grad
        finally:
            lib.set_grad_enabled(True)
        assert (x * 2).requires_grad


def test_grad_modes_as_decorators_leave_the_mode_as_they_found_it():
    for lib in (cnnlab, torch):

        @lib.no_grad()
        def doubled(t):
            return t * 2

        @lib.no_grad
        def tripled(t):
            return t * 3

        @lib.enable_grad()
        def halved(t):
            return t / 2

        @lib.set_grad_enabled(False)
        def negated(t):
            return -t

        assert lib.is_grad_enabled(), "decorating must not switch the mode"
        x = leaf(lib)
        assert not doubled(x).requires_grad and not tripled(x).requires_grad
        assert not negated(x).requires_grad
        assert lib.is_grad_enabled()
        with lib.no_grad():
            assert halved(x).requires_grad
            assert not lib.is_grad_enabled()
        assert doubled.__name__ == "doubled"


def test_grad_mode_is_restored_when_the_block_raises():
    for lib in (cnnlab, torch):
        with pytest.raises(KeyError), lib.no_grad():
            raise KeyError
        assert lib.is_grad_enabled()

        @lib.no_grad()
        def fails():
            raise ValueError

        with pytest.raises(ValueError):
            fails()
        assert lib.is_grad_enabled()


def test_in_place_update_under_no_grad_keeps_the_parameter():
    """``p -= lr * p.grad`` under ``no_grad`` updates the same tensor, as a manual SGD step."""
    for lib in (cnnlab, torch):
        w = lib.nn.Parameter(lib.tensor([1.0, 2.0]))
        before = w
        (w * w).sum().backward()
        with lib.no_grad():
            w -= 0.1 * w.grad
            w *= 2
            w += 1
            w /= 4
        assert w is before and w.requires_grad and w.is_leaf
        np.testing.assert_allclose(w.detach().numpy(), [0.65, 1.05], rtol=1e-6)
        with pytest.raises(RuntimeError, match="in-place operation"):
            w += 1
    counts = cnnlab.tensor([1, 2])
    counts += 3
    assert counts.tolist() == [4, 5]
    with pytest.raises(RuntimeError, match="can't be cast"):
        counts += 0.5


def _legendre(lib):
    """PyTorch's "Defining new autograd functions" example: P3 as a Function subclass."""

    class LegendrePolynomial3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input, scale):
            ctx.save_for_backward(input)
            ctx.scale = scale
            return 0.5 * (5 * input**3 - 3 * input) * scale

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            assert ctx.needs_input_grad == (True, False)
            return grad_output * 1.5 * (5 * input**2 - 1) * ctx.scale, None

    return LegendrePolynomial3


@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=4), elements=st.floats(-2, 2)))
@settings(max_examples=20)
def test_a_function_subclassed_as_in_torch_gives_torchs_values_and_gradients(values):
    results = []
    for lib in (cnnlab, torch):
        x = lib.tensor(values, requires_grad=True)
        y = _legendre(lib).apply(x * 2, 3.0)
        (y * y).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    (ours, our_grad), (theirs, their_grad) = results
    assert_close("custom Function forward", ours, theirs, np.float64)
    assert_close("custom Function grad", our_grad, their_grad, np.float64)
    assert _legendre(cnnlab).apply(cnnlab.tensor(values), 1.0).grad_fn is None
