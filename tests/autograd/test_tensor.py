"""``Tensor`` against ``torch.Tensor``: creation and dtypes, conversions, shape ops, indexing,
reductions, comparisons and printing, then every differentiable op forward and backward
(hypothesis-generated shapes, float32 and float64) and by finite differences."""

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cnnlab
from cnnlab.autograd.gradcheck import gradcheck
from differential import both, check_against_torch, check_by_finite_differences, dtype_name, values
from reference import DTYPES, assert_close


# ----- creation and dtypes
@pytest.mark.parametrize(
    "data",
    [
        1.5,
        3,
        True,
        -2,
        [[1, 2], [3, 4]],
        [1, 2.5],
        [True, False],
        [],
        [[1.0], [2.0]],
        np.zeros(3, np.float64),
        np.zeros(3, np.float32),
        np.arange(3, dtype=np.int32),
        np.arange(3, dtype=np.int64),
        np.arange(3, dtype=np.uint8),
        np.array([True, False]),
        np.float64(2.0),
        np.float32(2.0),
        np.int64(4),
        np.array(3),
    ],
    ids=repr,
)
def test_tensor_dtype_is_torchs(data):
    ours, theirs = cnnlab.tensor(data), torch.tensor(data)
    assert dtype_name(ours) == dtype_name(theirs)
    assert ours.shape == tuple(theirs.shape)
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "bool"])
def test_tensor_with_a_dtype_converts(dtype):
    data = [[0, 1, 2], [3, 4, 5]]
    ours = cnnlab.tensor(data, dtype=getattr(cnnlab, dtype))
    theirs = torch.tensor(data, dtype=getattr(torch, dtype))
    assert dtype_name(ours) == dtype_name(theirs) == dtype
    assert ours.tolist() == theirs.tolist()


def test_aliases_name_the_same_dtypes_as_torch():
    for alias in ("float", "double", "long", "bool", "float32", "float64", "int64"):
        assert np.dtype(getattr(cnnlab, alias)).name == dtype_name(
            torch.zeros(1, dtype=getattr(torch, alias))
        )


def test_from_numpy_shares_memory_both_ways_and_tensor_copies():
    array = np.arange(6, dtype=np.float64).reshape(2, 3)
    shared, copied = cnnlab.from_numpy(array), cnnlab.tensor(array)
    assert dtype_name(shared) == "float64"
    array[0, 0] = 100.0
    assert shared[0, 0].item() == 100.0
    assert copied[0, 0].item() == 0.0
    shared[1, 2] = -7.0
    assert array[1, 2] == -7.0
    with pytest.raises(TypeError, match=r"expected a numpy\.ndarray, got list"):
        cnnlab.from_numpy([1, 2])


@pytest.mark.parametrize("data", [[1, 2], [True, False], np.arange(3, dtype=np.int32)], ids=repr)
def test_requires_grad_on_an_integer_tensor_is_a_type_error(data):
    with pytest.raises(TypeError, match="floating point"):
        cnnlab.tensor(data, requires_grad=True)
    with pytest.raises(TypeError, match="floating point"):
        cnnlab.tensor(data).requires_grad_()
    assert cnnlab.tensor(data, dtype=cnnlab.float32, requires_grad=True).requires_grad


def test_strings_are_refused():
    with pytest.raises(TypeError, match="numeric tensor"):
        cnnlab.tensor(["a", "b"])


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.zeros(2, 3),
        lambda lib: lib.ones((2, 3), dtype=lib.float64),
        lambda lib: lib.full((2, 2), 7),
        lambda lib: lib.full((2, 2), 7.5),
        lambda lib: lib.arange(5),
        lambda lib: lib.arange(0, 1, 0.25),
        lambda lib: lib.arange(1, 7, 2),
        lambda lib: lib.zeros_like(lib.ones(2, dtype=lib.float64)),
        lambda lib: lib.ones_like(lib.tensor([1, 2])),
        lambda lib: lib.randn(3, 2),
        lambda lib: lib.rand(4),
        lambda lib: lib.randint(0, 5, (3,)),
        lambda lib: lib.randperm(4),
    ],
)
def test_factories_give_torchs_shapes_and_dtypes(make):
    ours, theirs = make(cnnlab), make(torch)
    assert ours.shape == tuple(theirs.shape)
    assert dtype_name(ours) == dtype_name(theirs)


# ----- what a tensor is, and conversions
def test_shape_size_numel_dim_len():
    ours, theirs = cnnlab.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    assert ours.shape == (2, 3, 4) and isinstance(ours.shape, tuple)
    assert ours.shape == theirs.shape
    assert ours.size() == (2, 3, 4)
    for dim in range(-3, 3):
        assert ours.size(dim) == theirs.size(dim)
    assert ours.numel() == theirs.numel() == 24 and ours.shape.numel() == 24
    assert ours.dim() == ours.ndim == 3
    assert len(ours) == 2
    with pytest.raises(TypeError, match="0-d"):
        len(cnnlab.tensor(1.0))
    with pytest.raises(IndexError):
        ours.size(3)


@pytest.mark.parametrize(
    "data", [3, -2, 2.5, True, [[1.5, 2.0]], [[1, 2], [3, 4]], [[True]]], ids=repr
)
def test_item_tolist_int_float_bool_are_torchs(data):
    ours, theirs = cnnlab.tensor(data), torch.tensor(data)
    assert ours.tolist() == theirs.tolist()
    if theirs.numel() == 1:
        assert ours.item() == theirs.item() and type(ours.item()) is type(theirs.item())
        assert int(ours) == int(theirs) and float(ours) == float(theirs)
        assert bool(ours) is bool(theirs)
    else:
        with pytest.raises(ValueError, match="one element"):
            ours.item()
        with pytest.raises(RuntimeError, match="ambiguous"):
            bool(ours)


def test_zero_d_integer_tensor_is_an_index():
    items = ["a", "b", "c", "d"]
    i = cnnlab.tensor(2)
    assert items[i] == "c"
    assert list(range(10))[cnnlab.tensor(1) : cnnlab.tensor(4)] == [1, 2, 3]
    assert items[cnnlab.tensor([3, 0]).max()] == "d"
    for not_an_index in (cnnlab.tensor(2.0), cnnlab.tensor([1, 2])):
        with pytest.raises(TypeError, match="index"):
            items[not_an_index]


def test_conversions_change_dtype_and_keepvalues():
    x = cnnlab.tensor([1.7, -2.2, 0.0])
    assert x.long().tolist() == torch.tensor([1.7, -2.2, 0.0]).long().tolist()
    assert dtype_name(x.double()) == "float64" and dtype_name(x.int()) == "int32"
    assert x.bool().tolist() == [True, True, False]
    assert x.to(cnnlab.float64).dtype == np.float64 and x.to("cpu") is x
    assert x.float() is x


def test_numpy_of_a_tensor_that_requires_grad_is_refused():
    x = cnnlab.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0]


# ----- shape ops (values; gradients are checked with the differentiable ops below)
@pytest.mark.parametrize(
    "shape", [(6,), (2, 3), (3, -1), (-1, 2), (1, 6, 1), (-1,), (2, 1, -1), (6, 1)]
)
def test_view_and_reshape_match_torch(shape):
    data = np.arange(6.0)
    for method in ("view", "reshape"):
        ours = getattr(cnnlab.tensor(data), method)(*shape)
        theirs = getattr(torch.tensor(data), method)(*shape)
        assert ours.shape == theirs.shape and ours.tolist() == theirs.tolist()
        assert getattr(cnnlab.tensor(data), method)(shape).shape == theirs.shape


@pytest.mark.parametrize("shape", [(4,), (4, -1), (-1, -1), (0, -1), (5, 2), (7,)])
def test_bad_view_is_a_clear_error(shape):
    assert both(lambda lib: lib.arange(6).view(*shape))[1] is RuntimeError
    with pytest.raises(
        ValueError, match=rf"shape \[{', '.join(map(str, shape))}\] is invalid for input of size 6"
    ):
        cnnlab.arange(6).view(*shape)
    with pytest.raises(TypeError, match="ints"):
        cnnlab.arange(6).view(2.0, 3)


def test_flatten_every_start_and_end_matches_torch():
    ours, theirs = cnnlab.zeros(2, 3, 4, 5), torch.zeros(2, 3, 4, 5)
    for start in range(-4, 4):
        for end in range(-4, 4):
            if start % 4 > end % 4:
                flattened = both(lambda lib, s=start, e=end: lib.zeros(2, 3, 4, 5).flatten(s, e))
                assert flattened[1] is RuntimeError
                with pytest.raises(ValueError, match=r"start_dim .* cannot come after end_dim"):
                    ours.flatten(start, end)
            else:
                assert ours.flatten(start, end).shape == theirs.flatten(start, end).shape
    assert cnnlab.tensor(3.0).flatten().shape == torch.tensor(3.0).flatten().shape
    assert cnnlab.flatten(ours, 1).shape == (2, 60)


def test_unsqueeze_squeeze_permute_transpose_T_expand_match_torch():
    data = np.arange(6.0).reshape(2, 1, 3)
    ours, theirs = cnnlab.tensor(data), torch.tensor(data)
    for dim in range(-4, 4):
        assert ours.unsqueeze(dim).shape == theirs.unsqueeze(dim).shape
    for dim in range(-3, 3):
        assert ours.squeeze(dim).shape == theirs.squeeze(dim).shape
    assert ours.squeeze().shape == theirs.squeeze().shape
    for dims in ((2, 0, 1), (0, 2, 1), (-1, -2, -3)):
        assert ours.permute(*dims).tolist() == theirs.permute(*dims).tolist()
        assert ours.permute(dims).shape == theirs.permute(dims).shape
    assert ours.transpose(0, 2).tolist() == theirs.transpose(0, 2).tolist()
    assert ours.transpose(-1, 0).tolist() == theirs.transpose(-1, 0).tolist()
    matrix = np.arange(6.0).reshape(2, 3)
    assert cnnlab.tensor(matrix).T.tolist() == torch.tensor(matrix).T.tolist()
    assert ours.expand(2, 4, 3).tolist() == theirs.expand(2, 4, 3).tolist()
    assert ours.expand(5, -1, 4, -1).tolist() == theirs.expand(5, -1, 4, -1).tolist()
    for bad in (lambda t: t.unsqueeze(4), lambda t: t.squeeze(3), lambda t: t.permute(0, 1, 3)):
        with pytest.raises(IndexError, match="dimension out of range"):
            bad(ours)
    with pytest.raises(ValueError, match="not a permutation"):
        ours.permute(0, 0, 1)


# ----- indexing
INDICES = [
    1,
    -1,
    (0, 0),
    slice(1, None),
    (slice(None), 2),
    (Ellipsis, 1),
    (None, 1),
    (slice(None, None, 2),),
    [2, 0, 2],
    ([0, 1], [2, 2]),
    (slice(None), [1, 1, 0]),
    "bool_rows",
    "bool_all",
    "tensor_rows",
    "zero_d",
    (1, [0, 0]),
]


def _index(kind, lib):
    if kind == "bool_rows":
        return lib.tensor([True, False, True])
    if kind == "bool_all":
        return lib.tensor(np.arange(12).reshape(3, 4) % 3 == 0)
    if kind == "tensor_rows":
        return lib.tensor([[0, 2], [2, 2]])
    if kind == "zero_d":
        return lib.tensor(1)
    return kind


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", INDICES, ids=repr)
def test_indexing_values_and_gradients_match_torch(kind, dtype):
    data = np.random.default_rng(0).standard_normal((3, 4)).astype(dtype)
    ours = cnnlab.tensor(data, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True)
    out, ref = ours[_index(kind, cnnlab)], theirs[_index(kind, torch)]
    assert_close("getitem forward", out, ref, dtype)
    grad = np.random.default_rng(1).standard_normal(tuple(ref.shape)).astype(dtype)
    out.backward(cnnlab.tensor(grad))
    ref.backward(torch.tensor(grad))
    assert_close("getitem grad", ours.grad, theirs.grad, dtype)
    if dtype == np.float64:
        assert gradcheck(
            lambda t: t[_index(kind, cnnlab)] ** 2, [cnnlab.tensor(data, requires_grad=True)]
        )


def test_setitem_outside_the_graph():
    ours, theirs = cnnlab.zeros(3, 4), torch.zeros(3, 4)
    for t, lib in ((ours, cnnlab), (theirs, torch)):
        t[1] = 5.0
        t[:, 2] = lib.tensor([1.0, 2.0, 3.0])
        t[lib.tensor([0, 2]), 0] = -1.0
    assert ours.tolist() == theirs.tolist()
    with pytest.raises(RuntimeError, match="requires grad"):
        cnnlab.zeros(2, requires_grad=True)[0] = 1.0


# ----- max/min/argmax: values, indices (ties: PyTorch's CPU kernels return the first index)
@st.composite
def tied_arrays(draw):
    """Small integers in a random shape, so ties along a dimension are common."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=5))
    seed = draw(st.integers(0, 2**16))
    values = np.random.default_rng(seed).integers(-2, 3, shape)
    return values, draw(st.integers(-len(shape), len(shape) - 1)), draw(st.booleans())


@given(tied_arrays(), st.sampled_from(["max", "min"]), st.sampled_from([*DTYPES, np.int64]))
@settings(max_examples=200)
def test_max_min_over_a_dim_give_torchs_values_indices_and_gradient(case, op, dtype):
    values, dim, keepdim = case
    data = values.astype(dtype)
    floating = dtype != np.int64
    ours, theirs = (
        cnnlab.tensor(data, requires_grad=floating),
        torch.tensor(data, requires_grad=floating),
    )
    out, ref = getattr(cnnlab, op)(ours, dim, keepdim), getattr(torch, op)(theirs, dim, keepdim)
    np.testing.assert_array_equal(out.values.detach().numpy(), ref.values.detach().numpy())
    np.testing.assert_array_equal(out.indices.numpy(), ref.indices.numpy())
    assert dtype_name(out.indices) == "int64" and dtype_name(out.values) == dtype_name(ref.values)
    values_, indices_ = getattr(ours, op)(dim=dim, keepdim=keepdim)  # unpacks as a pair
    np.testing.assert_array_equal(values_.detach().numpy(), ref.values.detach().numpy())
    np.testing.assert_array_equal(indices_.numpy(), ref.indices.numpy())
    arg = {"max": "argmax", "min": "argmin"}[op]
    np.testing.assert_array_equal(
        getattr(ours, arg)(dim, keepdim).numpy(), getattr(theirs, arg)(dim, keepdim).numpy()
    )
    assert getattr(ours, arg)().item() == getattr(theirs, arg)().item()
    if floating:
        grad = np.random.default_rng(3).standard_normal(tuple(ref.values.shape)).astype(dtype)
        out.values.backward(cnnlab.tensor(grad))
        ref.values.backward(torch.tensor(grad))
        assert_close(f"{op}(dim) grad, ties", ours.grad, theirs.grad, dtype)


@given(tied_arrays(), st.sampled_from(["max", "min"]), st.sampled_from(DTYPES))
@settings(max_examples=100)
def test_max_min_of_all_elements_share_the_gradient_among_ties_as_torch(case, op, dtype):
    data = case[0].astype(dtype)
    ours, theirs = cnnlab.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, ref = getattr(cnnlab, op)(ours), getattr(torch, op)(theirs)
    assert out.shape == () and out.item() == ref.item()
    out.backward()
    ref.backward()
    assert_close(f"{op}() grad, ties", ours.grad, theirs.grad, dtype)


@pytest.mark.parametrize("dtype", ["uint8", "bool", "int32", "int64"])
def test_max_and_min_of_integer_and_bool_tensors(dtype):
    a = np.array([[0, 2, 200], [1, 0, 7]]).astype(dtype)
    b = np.array([1, 1, 0]).astype(dtype)
    for op in ("max", "min"):
        ours_a, theirs_a = cnnlab.tensor(a), torch.tensor(a)
        assert getattr(ours_a, op)().item() == getattr(theirs_a, op)().item()
        ours = getattr(cnnlab, op)(ours_a, cnnlab.tensor(b))
        theirs = getattr(torch, op)(theirs_a, torch.tensor(b))
        assert ours.tolist() == theirs.tolist() and dtype_name(ours) == dtype_name(theirs)


def test_max_of_a_zero_d_tensor_over_dim_zero():
    out = cnnlab.tensor(3.0).max(dim=0)
    ref = torch.tensor(3.0).max(dim=0)
    assert out.values.item() == ref.values.item() and out.indices.item() == ref.indices.item()


# ----- sums, means, comparisons
@given(
    hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
    st.data(),
    st.booleans(),
    st.sampled_from(["sum", "mean"]),
)
@settings(max_examples=100)
def test_sum_and_mean_over_dims_match_torch(shape, data, keepdim, op):
    dims = data.draw(
        st.lists(
            st.integers(-len(shape), len(shape) - 1),
            min_size=1,
            max_size=len(shape),
            unique_by=lambda d: d % len(shape),
        )
    )
    dim = dims[0] if len(dims) == 1 else tuple(dims)
    array = np.random.default_rng(len(shape)).standard_normal(shape)
    ours = getattr(cnnlab.tensor(array), op)(dim=dim, keepdim=keepdim)
    theirs = getattr(torch.tensor(array), op)(dim=dim, keepdim=keepdim)
    assert_close(f"{op}(dim)", ours, theirs, np.float64)
    integers = np.round(array * 3).astype(np.int64)
    if op == "sum":
        summed = cnnlab.tensor(integers).sum(dim=dim, keepdim=keepdim)
        expected = torch.tensor(integers).sum(dim=dim, keepdim=keepdim)
        assert summed.tolist() == expected.tolist() and dtype_name(summed) == dtype_name(expected)
    else:
        with pytest.raises(TypeError, match="floating point"):
            cnnlab.tensor(integers).mean(dim=dim)


@pytest.mark.parametrize("op", ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"])
def test_comparisons_give_bool_tensors(op):
    a, b = np.array([[1, 2, 3], [3, 2, 1]]), np.array([2, 2, 2])
    for other in (b, 2):
        ours = getattr(cnnlab.tensor(a), op)(cnnlab.tensor(other) if other is b else other)
        theirs = getattr(torch.tensor(a), op)(torch.tensor(other) if other is b else other)
        assert dtype_name(ours) == dtype_name(theirs) == "bool"
        assert ours.tolist() == theirs.tolist()


def test_counting_correct_predictions_as_in_the_chapter():
    """``(predicted == labels).sum()`` is an int64 tensor that ``int()`` and ``.item()`` read."""
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]], dtype=np.float32)
    labels = np.array([1, 1, 1, 0])
    _, predicted = cnnlab.max(cnnlab.tensor(scores), 1)
    correct = (predicted == cnnlab.tensor(labels)).sum()
    _, predicted_t = torch.max(torch.tensor(scores), 1)
    correct_t = (predicted_t == torch.tensor(labels)).sum()
    assert dtype_name(correct) == dtype_name(correct_t) == "int64"
    assert int(correct) == correct.item() == int(correct_t) == 3
    assert (cnnlab.tensor([True, True, False]).sum()).item() == 2


def test_logical_operators():
    a, b = cnnlab.tensor([True, False, True]), cnnlab.tensor([True, True, False])
    ta, tb = torch.tensor([True, False, True]), torch.tensor([True, True, False])
    assert (a & b).tolist() == (ta & tb).tolist()
    assert (a | b).tolist() == (ta | tb).tolist()
    assert (~a).tolist() == (~ta).tolist()


# ----- dtype rules of arithmetic
DTYPE_CASES = [
    ("int64 + 1.5", lambda lib: lib.tensor([1, 2]) + 1.5),
    ("int64 / 2", lambda lib: lib.tensor([1, 2]) / 2),
    ("int64 / int64", lambda lib: lib.tensor([1, 2]) / lib.tensor([2, 2])),
    ("int64 * 2", lambda lib: lib.tensor([1, 2]) * 2),
    ("bool + 1", lambda lib: lib.tensor([True, False]) + 1),
    ("bool * True", lambda lib: lib.tensor([True, False]) * True),
    ("float64 + float32", lambda lib: lib.tensor([1.0], dtype=lib.float64) + lib.tensor([1.0])),
    ("int64 + float64", lambda lib: lib.tensor([1]) + lib.tensor([1.0], dtype=lib.float64)),
    ("int32 + float32", lambda lib: lib.tensor([1], dtype=lib.int32) + lib.tensor([1.0])),
    ("float32 * 0-d float64", lambda lib: lib.tensor([1.0]) * lib.tensor(2.0, dtype=lib.float64)),
    ("0-d float64 + 0-d float32", lambda lib: lib.tensor(1.0, dtype=lib.float64) + lib.tensor(2.0)),
    ("int32 * 0-d int64", lambda lib: lib.tensor([1], dtype=lib.int32) * lib.tensor(2)),
    (
        "int32 + 0-d float64",
        lambda lib: lib.tensor([1], dtype=lib.int32) + lib.tensor(2.0, dtype=lib.float64),
    ),
    ("float32 + np.float64", lambda lib: lib.tensor([1.0]) + np.float64(2.0)),
    ("int64 ** 2", lambda lib: lib.tensor([1, 2]) ** 2),
    ("int64 ** 0.5", lambda lib: lib.tensor([1, 2]) ** 0.5),
    ("2 ** int64", lambda lib: 2 ** lib.tensor([1, 2])),
    ("2.5 ** int64", lambda lib: 2.5 ** lib.tensor([1, 2])),
    ("int64.clamp(1.5)", lambda lib: lib.tensor([1, 2]).clamp(min=1.5)),
    ("int64.clamp(0, 1)", lambda lib: lib.tensor([-1, 2]).clamp(0, 1)),
    (
        "where float64, 0.0",
        lambda lib: lib.where(
            lib.tensor([True, False]), lib.tensor([1.0, 2.0], dtype=lib.float64), lib.tensor(0.0)
        ),
    ),
    ("cat float64, float32", lambda lib: lib.cat([lib.zeros(1, dtype=lib.float64), lib.ones(1)])),
    ("max(int64, float32)", lambda lib: lib.max(lib.tensor([1, 5]), lib.tensor([3.0, 2.0]))),
]


@pytest.mark.parametrize(("name", "make"), DTYPE_CASES, ids=[c[0] for c in DTYPE_CASES])
def test_result_dtypes_and_values_follow_torchs_promotion(name, make):
    ours, theirs = make(cnnlab), make(torch)
    assert dtype_name(ours) == dtype_name(theirs), name
    np.testing.assert_allclose(
        np.asarray(ours.tolist(), dtype=float), np.asarray(theirs.tolist(), dtype=float)
    )


# ----- printing
@pytest.mark.parametrize(
    "data",
    [
        [1.0, 2.0],
        [[1.5, -2.25], [3.0, 4.0]],
        2.5,
        [0.0, 0.0],
        [1e-5, 1000.0],
        [1, 2, 3],
        [True, False],
        [[1, -20], [300, 4]],
        np.arange(6, dtype=np.float64).reshape(2, 3) / 3,
        np.zeros(3, np.int32),
    ],
    ids=repr,
)
def test_repr_is_torchs_text(data):
    assert repr(cnnlab.tensor(data)).replace("cnnlab.", "torch.") == repr(torch.tensor(data))


def test_repr_shows_grad_fn_or_requires_grad_like_torch():
    leaf = cnnlab.tensor([1.0, 2.0], requires_grad=True)
    assert repr(leaf) == repr(torch.tensor([1.0, 2.0], requires_grad=True))
    assert re.fullmatch(r"tensor\(\[2\., 4\.\], grad_fn=<MulBackward\d*>\)", repr(leaf * 2))
    assert re.fullmatch(r"tensor\(3\., grad_fn=<SumBackward\d*>\)", repr(leaf.sum()))
    assert "grad_fn" not in repr((leaf * 2).detach())
    assert repr(cnnlab.zeros(2, 2).shape) == "cnnlab.Size([2, 2])"


# ----- differentiable ops: forward and gradients against PyTorch
UNARY = {
    "neg": (lambda lib, x: -x, "any"),
    "exp": (lambda lib, x: lib.exp(x), "any"),
    "log": (lambda lib, x: lib.log(x), "positive"),
    "sqrt": (lambda lib, x: lib.sqrt(x), "positive"),
    "abs": (lambda lib, x: lib.abs(x), "away_from_zero"),
    "tanh": (lambda lib, x: lib.tanh(x), "unsaturated"),
    "sigmoid": (lambda lib, x: lib.sigmoid(x), "unsaturated"),
    "relu": (lambda lib, x: lib.relu(x), "away_from_zero"),
    "clamp": (lambda lib, x: lib.clamp(x, min=-0.5, max=0.7), "any"),
    "clamp(min)": (lambda lib, x: x.clamp(min=0.1), "away_from_zero"),
    "pow 2": (lambda lib, x: x**2, "any"),
    "pow 3": (lambda lib, x: x.pow(3), "any"),
    "pow -1.5": (lambda lib, x: x**-1.5, "positive"),
    "pow 0.5": (lambda lib, x: x**0.5, "positive"),
    "scalar - x": (lambda lib, x: 2.0 - x, "any"),
    "scalar / x": (lambda lib, x: 3.0 / x, "away_from_zero"),
    "scalar ** x": (lambda lib, x: 1.5**x, "any"),
    "x * scalar + scalar": (lambda lib, x: x * 0.5 + 1, "any"),
    "softmax": (lambda lib, x: lib.softmax(x, -1), "any"),
    "log_softmax": (lambda lib, x: lib.log_softmax(x, 0), "any"),
    "sum": (lambda lib, x: x.sum(), "any"),
    "mean": (lambda lib, x: x.mean(), "any"),
    "sum(0, keepdim)": (lambda lib, x: x.sum(0, keepdim=True), "any"),
    "mean(-1)": (lambda lib, x: x.mean(dim=-1), "any"),
    "max": (lambda lib, x: x.max(), "any"),
    "min": (lambda lib, x: lib.min(x), "any"),
    "max(dim=0)": (lambda lib, x: lib.max(x, dim=0)[0], "any"),
    "min(dim=-1, keepdim)": (lambda lib, x: x.min(dim=-1, keepdim=True).values, "any"),
    "reshape(-1)": (lambda lib, x: x.reshape(-1) * lib.arange(x.numel()), "any"),
    "view as column": (lambda lib, x: x.view(-1, 1) @ x.reshape(1, -1), "any"),
    "flatten": (lambda lib, x: x.flatten() ** 2, "any"),
    "unsqueeze/squeeze": (lambda lib, x: (x.unsqueeze(0) * 2).squeeze(0), "any"),
    "T": (lambda lib, x: x.T if x.ndim == 2 else x.permute(*reversed(range(x.ndim))), "any"),
    "permute": (lambda lib, x: x.permute(*range(1, x.ndim), 0), "any"),
    "transpose": (lambda lib, x: x.transpose(0, -1), "any"),
    "expand": (lambda lib, x: x.unsqueeze(0).expand(3, *x.shape), "any"),
    "getitem": (lambda lib, x: x[..., ::2] if x.ndim else x, "any"),
    "getitem repeated": (lambda lib, x: x.reshape(-1)[[0, 0, -1, 0]], "any"),
    "clone": (lambda lib, x: x.clone() * x, "any"),
    "double": (lambda lib, x: x.double() * 2, "any"),
}


MIN_DIMS = {
    "T": 1,
    "transpose": 1,
    "permute": 1,
    "softmax": 1,
    "log_softmax": 1,
    "max(dim=0)": 1,
    "min(dim=-1, keepdim)": 1,
    "sum(0, keepdim)": 1,
    "mean(-1)": 1,
}


@pytest.mark.parametrize("op", list(UNARY))
@given(data=st.data(), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**16))
@settings(max_examples=50)
def test_unary_op_matches_torch(op, data, dtype, seed):
    fn, kind = UNARY[op]
    shape = data.draw(hnp.array_shapes(min_dims=MIN_DIMS.get(op, 0), max_dims=4, max_side=4))
    check_against_torch(
        op, fn, [values(np.random.default_rng(seed), shape, dtype, kind)], dtype, seed
    )


@pytest.mark.parametrize("op", list(UNARY))
@given(data=st.data(), seed=st.integers(0, 2**16))
@settings(max_examples=12)
def test_unary_op_gradient_matches_finite_differences(op, data, seed):
    fn, kind = UNARY[op]
    shape = data.draw(hnp.array_shapes(min_dims=MIN_DIMS.get(op, 0), max_dims=3, max_side=3))
    check_by_finite_differences(fn, [values(np.random.default_rng(seed), shape, np.float64, kind)])


BINARY = {
    "add": (lambda lib, a, b: a + b, "any"),
    "sub": (lambda lib, a, b: a - b, "any"),
    "mul": (lambda lib, a, b: a * b, "any"),
    "div": (lambda lib, a, b: a / b, "away_from_zero"),
    "pow": (lambda lib, a, b: a**b, "positive"),
    "maximum": (lambda lib, a, b: lib.max(a, b), "any"),
    "minimum": (lambda lib, a, b: lib.min(a, b), "any"),
    "where": (lambda lib, a, b: lib.where(a > b, a, b * 2), "any"),
    "add then mul": (lambda lib, a, b: (a + b) * a - b / 3, "any"),
}


@pytest.mark.parametrize("op", list(BINARY))
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
    dtype=st.sampled_from(DTYPES),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=80)
def test_binary_op_with_broadcasting_matches_torch(op, shapes, dtype, seed):
    fn, kind = BINARY[op]
    rng = np.random.default_rng(seed)
    arrays = [values(rng, shape, dtype, kind) for shape in shapes.input_shapes]
    check_against_torch(op, fn, arrays, dtype, seed)


@pytest.mark.parametrize("op", list(BINARY))
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=15)
def test_binary_op_gradient_matches_finite_differences(op, shapes, seed):
    fn, kind = BINARY[op]
    rng = np.random.default_rng(seed)
    arrays = [values(rng, shape, np.float64, kind) for shape in shapes.input_shapes]
    check_by_finite_differences(fn, arrays)


@st.composite
def matmul_shapes(draw, max_side=4):
    """Operand shapes for ``a @ b``: 1-D, 2-D and batched (with broadcast batch dims)."""
    n, k, m = (draw(st.integers(1, max_side)) for _ in range(3))
    batch = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3)
    )
    a_batch, b_batch = batch.input_shapes
    a_kind, b_kind = (
        draw(st.sampled_from(["vector", "matrix", "batched"])),
        draw(st.sampled_from(["vector", "matrix", "batched"])),
    )
    a = {"vector": (k,), "matrix": (n, k), "batched": (*a_batch, n, k)}[a_kind]
    b = {"vector": (k,), "matrix": (k, m), "batched": (*b_batch, k, m)}[b_kind]
    return a, b


@given(matmul_shapes(), st.sampled_from(DTYPES), st.integers(0, 2**16))
@settings(max_examples=200)
def test_matmul_1d_2d_and_batched_match_torch(shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    check_against_torch("matmul", lambda lib, a, b: lib.matmul(a, b), arrays, dtype, seed)


@given(matmul_shapes(max_side=3), st.integers(0, 2**16))
@settings(max_examples=40)
def test_matmul_gradient_matches_finite_differences(shapes, seed):
    rng = np.random.default_rng(seed)
    check_by_finite_differences(lambda lib, a, b: a @ b, [rng.standard_normal(s) for s in shapes])


@st.composite
def joined_shapes(draw):
    """Shapes that can be joined along ``dim``: equal except (for cat) along ``dim``."""
    shape = list(draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3)))
    count = draw(st.integers(1, 3))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    stack = draw(st.booleans())
    shapes = []
    for _ in range(count):
        if not stack:
            shape[dim] = draw(st.integers(1, 3))
        shapes.append(tuple(shape))
    stack_dim = draw(st.integers(-len(shape) - 1, len(shape)))
    return shapes, (stack_dim if stack else dim), stack


@given(joined_shapes(), st.sampled_from(DTYPES), st.integers(0, 2**16))
@settings(max_examples=150)
def test_cat_and_stack_match_torch(case, dtype, seed):
    shapes, dim, stack = case
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    name = "stack" if stack else "cat"
    check_against_torch(
        name, lambda lib, *ts: getattr(lib, name)(list(ts), dim) ** 2, arrays, dtype, seed
    )


@given(joined_shapes(), st.integers(0, 2**16))
@settings(max_examples=30)
def test_cat_and_stack_gradients_match_finite_differences(case, seed):
    shapes, dim, stack = case
    rng = np.random.default_rng(seed)
    name = "stack" if stack else "cat"
    check_by_finite_differences(
        lambda lib, *ts: getattr(lib, name)(list(ts), dim) ** 2,
        [rng.standard_normal(s) for s in shapes],
    )


@given(
    hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3),
    st.sampled_from(DTYPES),
    st.integers(0, 2**16),
)
@settings(max_examples=100)
def test_where_broadcasts_condition_and_both_branches_like_torch(shapes, dtype, seed):
    rng = np.random.default_rng(seed)
    condition = rng.random(shapes.input_shapes[0]) < 0.5
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes.input_shapes[1:]]

    def fn(lib, a, b):
        return lib.where(lib.tensor(condition), a, b)

    check_against_torch("where", fn, arrays, dtype, seed)
    check_by_finite_differences(fn, arrays)
