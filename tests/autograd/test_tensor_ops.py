"""The Tensor ops PyTorch programs use beyond the chapter's, against ``torch.Tensor``: forward
and every gradient on hypothesis-generated shapes (float32 and float64), finite differences,
and the result dtypes PyTorch gives (int64 indices, bool masks, int sums)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import cnnlab
from differential import both, check_against_torch, check_by_finite_differences, dtype_name, values
from reference import DTYPES


def index(lib, shape, high, seed=0):
    """Integer indices in ``[0, high)`` of ``shape`` (repeats likely), the same for both."""
    rng = np.random.default_rng(seed + int(np.prod(shape)))
    return lib.tensor(rng.integers(0, high, shape))


def permutation(lib, length, seed=0):
    return lib.tensor(np.random.default_rng(seed + length).permutation(length))


def take_from(lib, x, dim=0):
    """``x.gather(dim, ...)`` with an index of x's shape (repeats)."""
    return x.gather(dim, index(lib, tuple(x.shape), x.shape[dim]))


def scattered(lib, x):
    """``x.scatter(0, ...)`` of ``x * 2`` along a permutation of each column (no two writes
    to one place)."""
    order = np.argsort(np.random.default_rng(x.numel()).random(tuple(x.shape)), axis=0)
    return x.scatter(0, lib.tensor(order), x * 2)


UNARY = {
    # elementwise: (fn, input kind, minimum dims, minimum side)
    "rsqrt": (lambda lib, x: lib.rsqrt(x), "positive", 0, 1),
    "reciprocal": (lambda lib, x: x.reciprocal(), "away_from_zero", 0, 1),
    "log2": (lambda lib, x: lib.log2(x), "positive", 0, 1),
    "log10": (lambda lib, x: x.log10(), "positive", 0, 1),
    "log1p": (lambda lib, x: lib.log1p(x), "positive", 0, 1),
    "expm1": (lambda lib, x: x.expm1(), "any", 0, 1),
    "exp2": (lambda lib, x: lib.exp2(x), "any", 0, 1),
    "sin": (lambda lib, x: lib.sin(x), "any", 0, 1),
    "cos": (lambda lib, x: x.cos(), "any", 0, 1),
    "square": (lambda lib, x: lib.square(x), "any", 0, 1),
    "floor ceil round trunc sign": (
        lambda lib, x: x * 3 + x.floor() + lib.ceil(x) + x.round() + x.trunc() + x.sign(),
        "away_from_zero",
        0,
        1,
    ),
    "frac": (lambda lib, x: lib.frac(x * 3) * x, "away_from_zero", 0, 1),
    "remainder": (lambda lib, x: (x * 3) % 0.7 + lib.remainder(x, -1.3), "any", 0, 1),
    "fmod": (lambda lib, x: lib.fmod(x * 3, 0.7), "any", 0, 1),
    "div floor and trunc": (
        lambda lib, x: (
            x.div(0.7, rounding_mode="floor") + lib.div(x, 0.3, rounding_mode="trunc") + x
        ),
        "any",
        0,
        1,
    ),
    "clamp with tensor bounds": (
        lambda lib, x: x.clamp(min=lib.zeros_like(x) - 0.3, max=lib.ones_like(x)),
        "any",
        0,
        1,
    ),
    "clamp_min clamp_max clip": (
        lambda lib, x: x.clamp_min(-0.5) + lib.clamp_max(x, 0.2) + lib.clip(x, -1, 1),
        "any",
        0,
        1,
    ),
    "lerp": (lambda lib, x: x.lerp(x * 2 + 1, 0.3), "any", 0, 1),
    "addcmul addcdiv": (
        lambda lib, x: x.addcmul(x, x, value=0.5) + lib.addcdiv(x, x, x * x + 1, value=2),
        "any",
        0,
        1,
    ),
    # reductions
    "prod": (lambda lib, x: x.prod(), "any", 0, 1),
    "prod(-1, keepdim)": (lambda lib, x: lib.prod(x, -1, keepdim=True), "any", 1, 1),
    "prod with zeros": (lambda lib, x: (x * (x.abs() > 0.7)).prod(0), "any", 1, 1),
    "var": (lambda lib, x: x.var(), "any", 1, 2),
    "std(dim, keepdim)": (lambda lib, x: lib.std(x, 0, keepdim=True), "any", 1, 2),
    "var(unbiased=False) over dims": (
        lambda lib, x: x.var((0, -1), unbiased=False),
        "any",
        2,
        2,
    ),
    "std(correction=0)": (lambda lib, x: x.std(correction=0), "any", 1, 2),
    "std_mean": (lambda lib, x: lib.std_mean(x, -1)[0] * lib.var_mean(x, -1)[1], "any", 1, 2),
    "sum over dims, dtype": (lambda lib, x: x.sum((0, -1), dtype=lib.float64), "any", 2, 1),
    "mean(axis=)": (lambda lib, x: x.mean(axis=-1), "any", 1, 1),
    "amax amin over dims": (
        lambda lib, x: x.amax((0, -1)).sum() - lib.amin(x, 0).sum(),
        "any",
        2,
        1,
    ),
    "logsumexp": (lambda lib, x: lib.logsumexp(x * 3, -1), "any", 1, 1),
    "norm": (lambda lib, x: x.norm(), "away_from_zero", 0, 1),
    "norm(1, dim)": (lambda lib, x: x.norm(1, dim=0), "away_from_zero", 1, 1),
    "norm(2, dims, keepdim)": (
        lambda lib, x: x.norm(2, dim=(0, -1), keepdim=True) * x,
        "away_from_zero",
        2,
        1,
    ),
    "nn.functional.normalize": (
        lambda lib, x: lib.nn.functional.normalize(x, dim=-1) * lib.arange(x.shape[-1]),
        "away_from_zero",
        1,
        2,
    ),
    "norm(inf) norm(3)": (
        lambda lib, x: x.norm(float("inf")) + lib.norm(x, 3),
        "away_from_zero",
        1,
        1,
    ),
    "cumsum": (lambda lib, x: lib.cumsum(x, -1) * x, "any", 1, 1),
    "sort": (
        lambda lib, x: x.sort(-1, descending=True).values * lib.arange(x.shape[-1]),
        "any",
        1,
        1,
    ),
    "sort(0) values and indices": (
        lambda lib, x: lib.sort(x, 0)[0] * lib.sort(x, 0)[1].float(),
        "any",
        1,
        1,
    ),
    "topk": (lambda lib, x: x.topk(2, dim=-1).values * lib.tensor([1.0, -2.0]), "any", 1, 2),
    "topk smallest": (lambda lib, x: lib.topk(x.reshape(-1), 1, largest=False)[0], "any", 1, 1),
    "kthvalue": (lambda lib, x: x.kthvalue(1, 0).values, "any", 1, 1),
    "median": (lambda lib, x: x.median() + x.sum(), "any", 1, 1),
    "median(dim)": (lambda lib, x: lib.median(x, -1).values, "any", 1, 1),
    # picking and placing
    "gather": (lambda lib, x: take_from(lib, x, 0), "any", 1, 1),
    "gather(-1)": (lambda lib, x: take_from(lib, x, x.ndim - 1), "any", 1, 1),
    "scatter": (lambda lib, x: scattered(lib, x), "any", 1, 1),
    "scatter_add": (
        lambda lib, x: x.scatter_add(0, index(lib, tuple(x.shape), x.shape[0]), x * x),
        "any",
        1,
        1,
    ),
    "index_select": (
        lambda lib, x: x.index_select(-1, index(lib, (5,), x.shape[-1])),
        "any",
        1,
        1,
    ),
    "masked_fill": (lambda lib, x: x.masked_fill(x > 0, 0.5) * x, "any", 0, 1),
    "masked_select": (lambda lib, x: x.masked_select(x > 0) ** 2, "any", 0, 1),
    "where with a number": (
        lambda lib, x: lib.where(x > 0, x, 0.0) + x.where(x < 0, 1.0),
        "any",
        0,
        1,
    ),
    "take_along_dim": (
        lambda lib, x: lib.take_along_dim(x, x.argsort(dim=-1), dim=-1),
        "any",
        1,
        1,
    ),
    # moving elements
    "repeat": (
        lambda lib, x: x.repeat(2, *([1] * x.ndim)) * 2 if x.ndim else x.repeat(3),
        "any",
        0,
        1,
    ),
    "repeat every dim": (lambda lib, x: x.repeat(*([2] * x.ndim)), "any", 1, 1),
    "tile": (lambda lib, x: lib.tile(x, (2,)), "any", 1, 1),
    "flip": (lambda lib, x: x.flip(0) * lib.arange(x.shape[-1]), "any", 1, 1),
    "fliplr flipud": (lambda lib, x: x.fliplr() + lib.flipud(x) * 2, "any", 2, 1),
    "roll": (lambda lib, x: lib.roll(x, 1, 0) * x, "any", 1, 1),
    "tril triu": (lambda lib, x: x.tril() + lib.triu(x, 1) * 3, "any", 2, 1),
    "narrow select unbind": (
        lambda lib, x: x.narrow(0, 0, 1) * 2 + x.select(0, -1) + lib.unbind(x, 0)[0],
        "any",
        1,
        1,
    ),
    "split chunk": (
        lambda lib, x: lib.cat([*x.split(1, 0)[::-1], *lib.chunk(x, 2, 0)]) ** 2,
        "any",
        1,
        1,
    ),
    "split sizes, tensor_split": (
        lambda lib, x: (
            lib.cat([*x.split([1, x.shape[0] - 1]), *lib.tensor_split(x, 3)[::-1]])
            * lib.arange(2 * x.shape[0]).reshape([-1] + [1] * (x.ndim - 1))
        ),
        "any",
        1,
        2,
    ),
    "movedim unflatten": (
        lambda lib, x: x.movedim(0, -1).reshape(-1).unflatten(0, (1, -1)) * 2,
        "any",
        1,
        1,
    ),
    "squeeze dims, expand_as, view_as": (
        lambda lib, x: (
            (x.unsqueeze(0).unsqueeze(-1).squeeze((0, -1)) * 3).expand_as(x[None]).view_as(x[None])
        ),
        "any",
        0,
        1,
    ),
    "einsum transpose and sum": (
        lambda lib, x: lib.einsum("ij->ji", x.flatten(1)) * 2 + lib.einsum("ij->", x.flatten(1)),
        "any",
        2,
        1,
    ),
}


def shapes_for(op):
    _, _, min_dims, min_side = UNARY[op]
    return hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=min_side, max_side=4)


@pytest.mark.parametrize("op", list(UNARY))
@given(data=st.data(), dtype=st.sampled_from(DTYPES), seed=st.integers(0, 2**16))
@settings(max_examples=8)
def test_op_matches_torch(op, data, dtype, seed):
    fn, kind, _, _ = UNARY[op]
    x = values(np.random.default_rng(seed), data.draw(shapes_for(op)), dtype, kind)
    check_against_torch(op, fn, [x], dtype, seed)


@pytest.mark.parametrize("op", list(UNARY))
@given(data=st.data(), seed=st.integers(0, 2**16))
@settings(max_examples=3)
def test_op_gradient_matches_finite_differences(op, data, seed):
    fn, kind, _, _ = UNARY[op]
    x = values(np.random.default_rng(seed), data.draw(shapes_for(op)), np.float64, kind)
    check_by_finite_differences(fn, [x])


@st.composite
def products(draw):
    n, k, m, b = (draw(st.integers(1, 4)) for _ in range(4))
    kind = draw(st.sampled_from(list(PRODUCTS)))
    return kind, PRODUCTS[kind][1](n, k, m, b)


PRODUCTS = {
    "mm": (lambda lib, a, b: lib.mm(a, b), lambda n, k, m, b: [(n, k), (k, m)]),
    "bmm": (lambda lib, a, c: a.bmm(c), lambda n, k, m, b: [(b, n, k), (b, k, m)]),
    "mv": (lambda lib, a, v: lib.mv(a, v), lambda n, k, m, b: [(n, k), (k,)]),
    "dot": (lambda lib, u, v: u.dot(v), lambda n, k, m, b: [(k,), (k,)]),
    "outer": (lambda lib, u, v: lib.outer(u, v), lambda n, k, m, b: [(n,), (m,)]),
    "einsum matmul": (
        lambda lib, a, c: lib.einsum("ij,jk->ik", a, c),
        lambda n, k, m, b: [(n, k), (k, m)],
    ),
    "einsum batched": (
        lambda lib, a, c: lib.einsum("bij,bjk->bik", [a, c]),
        lambda n, k, m, b: [(b, n, k), (b, k, m)],
    ),
    "einsum rows dot, implicit output": (
        lambda lib, a, c: lib.einsum("ij,ij->i", a, c) + lib.einsum("ij,kj", a, c).sum(1),
        lambda n, k, m, b: [(n, k), (n, k)],
    ),
    "einsum summed away": (
        lambda lib, a, c: lib.einsum("ij,k->i", a, c),
        lambda n, k, m, b: [(n, k), (m,)],
    ),
    "masked_fill with a 0-d tensor value": (
        lambda lib, x, v: x.masked_fill(x > 0, v.sum()),
        lambda n, k, m, b: [(n, k), (m,)],
    ),
    "scatter source": (
        lambda lib, x, s: x.scatter(1, index(lib, (x.shape[0], 1), x.shape[1]), s),
        lambda n, k, m, b: [(n, k), (n, k)],
    ),
}


@given(products(), st.sampled_from(DTYPES), st.integers(0, 2**16))
@settings(max_examples=40)
def test_products_and_two_input_ops_match_torch(case, dtype, seed):
    kind, shapes = case
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    check_against_torch(kind, PRODUCTS[kind][0], arrays, dtype, seed)
    if dtype == np.float64:
        check_by_finite_differences(PRODUCTS[kind][0], arrays)


# ----- result dtypes, indices and masks, as PyTorch gives them
DTYPE_CASES = {
    "sum of bools": lambda lib: (lib.tensor([1, 2, 3]) > 1).sum(),
    "sum of int32": lambda lib: lib.tensor([1, 2], dtype=lib.int32).sum(),
    "sum of uint8 over a dim": lambda lib: lib.ones(2, 3, dtype=lib.uint8).sum(0),
    "prod of ints": lambda lib: lib.tensor([2, 3]).prod(),
    "int / int": lambda lib: lib.tensor([3, 4]) / lib.tensor([2, 8]),
    "int / number": lambda lib: lib.tensor([3, 4]) / 2,
    "int // int": lambda lib: lib.tensor([7, -7]) // lib.tensor([2, 2]),
    "int % int": lambda lib: lib.tensor([7, -7]) % 3,
    "float // number": lambda lib: lib.tensor([7.5, -7.5]) // 2,
    "int + float number": lambda lib: lib.tensor([1, 2]) + 0.5,
    "int64 + float32": lambda lib: lib.tensor([1, 2]) + lib.tensor([0.5, 1.0]),
    "uint8 + int64": lambda lib: lib.tensor([1, 2], dtype=lib.uint8) + lib.tensor([1, 2]),
    "bool + bool": lambda lib: lib.tensor([True]) + lib.tensor([True]),
    "bool * int number": lambda lib: lib.tensor([True, False]) * 3,
    "argmax": lambda lib: lib.tensor([[1.0, 3.0], [4.0, 2.0]]).argmax(dim=1),
    "argmin(keepdim)": lambda lib: lib.tensor([[1.0, 3.0], [4.0, 2.0]]).argmin(1, keepdim=True),
    "argmax(axis=)": lambda lib: lib.tensor([[1.0, 3.0], [4.0, 2.0]]).argmax(axis=0),
    "argmax of all, keepdim": lambda lib: lib.tensor([[1.0, 3.0], [4.0, 2.0]]).argmax(keepdim=True),
    "topk indices": lambda lib: lib.tensor([3.0, 1.0, 2.0]).topk(2).indices,
    "sort indices": lambda lib: lib.tensor([3.0, 1.0, 2.0]).sort().indices,
    "argsort descending": lambda lib: lib.tensor([3, 1, 2]).argsort(descending=True),
    "sort of ints with ties": lambda lib: lib.tensor([2, 1, 2, 1]).sort(descending=True).values,
    "nonzero": lambda lib: lib.tensor([[0, 1], [2, 0]]).nonzero(),
    "where(condition)": lambda lib: lib.where(lib.tensor([True, False, True]))[0],
    "unique": lambda lib: lib.tensor([3, 1, 3, 2]).unique(),
    "unique counts": lambda lib: lib.tensor([3, 1, 3, 2]).unique(return_counts=True)[1],
    "bincount": lambda lib: lib.tensor([0, 2, 2, 5]).bincount(),
    "all any": lambda lib: lib.stack([lib.tensor([1, 0]).all(), lib.tensor([1, 0]).any()]),
    "any(dim)": lambda lib: lib.tensor([[True, False], [False, False]]).any(dim=1),
    "count_nonzero": lambda lib: lib.count_nonzero(lib.tensor([0, 3, 0, 1])),
    "logical ops": lambda lib: lib.tensor([True, False]) & ~lib.tensor([False, False]),
    "bitwise ints": lambda lib: lib.tensor([6, 3]) & lib.tensor([3, 3]) | lib.tensor([8, 0]),
    "isnan isinf isfinite": lambda lib: lib.stack(
        [
            f(lib.tensor([1.0, float("nan"), float("inf")]))
            for f in (lib.isnan, lib.isinf, lib.isfinite)
        ]
    ),
    "cumsum of ints": lambda lib: lib.tensor([1, 2, 3], dtype=lib.int32).cumsum(0),
    "masked_fill of ints": lambda lib: lib.tensor([1, 2, 3]).masked_fill(
        lib.tensor([True, False, True]), 0
    ),
    "clamp of ints with floats": lambda lib: lib.tensor([1, 5]).clamp(min=1.5),
    "exp of ints": lambda lib: lib.tensor([0, 1]).exp(),
    "sqrt of bools": lambda lib: lib.tensor([True, False]).sqrt(),
    "abs of ints": lambda lib: lib.tensor([-1, 2]).abs(),
    "max(dim) of ints": lambda lib: lib.tensor([[1, 5], [7, 2]]).max(1).values,
    "eq / ne / ge of mixed dtypes": lambda lib: lib.tensor([1, 2]) == lib.tensor([1.0, 2.5]),
    "cat of int and bool": lambda lib: lib.cat([lib.tensor([1, 2]), lib.tensor([True])]),
    "stack of float64 and float32": lambda lib: lib.stack(
        [lib.zeros(2, dtype=lib.float64), lib.ones(2)]
    ),
    "where(int, float)": lambda lib: lib.where(
        lib.tensor([True, False]), lib.tensor([1, 2]), lib.tensor([0.5, 0.5])
    ),
    "arange of floats": lambda lib: lib.arange(0, 1, 0.25),
    "arange with dtype": lambda lib: lib.arange(4, dtype=lib.float64),
    "linspace": lambda lib: lib.linspace(0, 1, 5),
    "linspace float64": lambda lib: lib.linspace(-2, 3, 7, dtype=lib.float64),
    "logspace": lambda lib: lib.logspace(0, 2, 3),
    "eye": lambda lib: lib.eye(2, 3),
    "full of a bool": lambda lib: lib.full((2,), True),
    "full of an int": lambda lib: lib.full((2,), 3),
    "full_like": lambda lib: lib.full_like(lib.zeros(2, dtype=lib.int64), 7),
    "zeros_like with dtype": lambda lib: lib.zeros_like(lib.zeros(2), dtype=lib.int32),
    "ones_like of bools": lambda lib: lib.ones_like(lib.tensor([True])),
    "new_zeros new_ones new_full": lambda lib: lib.cat(
        [
            lib.tensor([1, 2]).new_zeros(2),
            lib.tensor([1, 2]).new_ones((1,)),
            lib.tensor([1]).new_full((2,), 4),
        ]
    ),
    "new_tensor": lambda lib: lib.tensor([1.0], dtype=lib.float64).new_tensor([1, 2]),
    "tensor of 0-d tensors": lambda lib: lib.tensor([lib.tensor(1.5), lib.tensor(2.0)]),
    "type(dtype)": lambda lib: lib.tensor([1.7, -2.2]).type(lib.int64),
    "type of a string": lambda lib: lib.tensor([1.7, -2.2]).type("torch.LongTensor"),
    "to(tensor)": lambda lib: lib.tensor([1.7]).to(lib.tensor([1], dtype=lib.int32)),
    "to(device, dtype)": lambda lib: lib.tensor([1.7]).to("cpu", lib.float64),
    "to(dtype=, non_blocking=)": lambda lib: lib.tensor([1]).to(
        dtype=lib.float32, non_blocking=True
    ),
    "float long int double bool byte short": lambda lib: lib.stack(
        [
            getattr(lib.tensor([1.5, 0.0]), m)().double()
            for m in ("float", "long", "int", "bool", "byte", "short")
        ]
    ),
    "type_as": lambda lib: lib.tensor([1.5]).type_as(lib.tensor([1])),
}


@pytest.mark.parametrize("case", list(DTYPE_CASES))
def test_result_dtypes_and_values_are_torchs(case):
    ours, theirs = both(DTYPE_CASES[case])
    assert dtype_name(ours) == dtype_name(theirs), case
    assert ours.shape == tuple(theirs.shape), case
    np.testing.assert_allclose(
        np.asarray(ours.tolist(), dtype=float), np.asarray(theirs.tolist(), dtype=float), rtol=1e-6
    )


def test_named_results_unpack_and_name_as_torchs():
    for name in ("max", "min", "sort", "topk", "median", "kthvalue"):
        args = {
            "max": (1,),
            "min": (1,),
            "sort": (),
            "topk": (1,),
            "median": (1,),
            "kthvalue": (1, 1),
        }
        ours = getattr(cnnlab.tensor([[1.0, 3.0], [4.0, 2.0]]), name)(*args[name])
        theirs = getattr(torch.tensor([[1.0, 3.0], [4.0, 2.0]]), name)(*args[name])
        values, indices = ours
        assert (
            values.tolist() == theirs.values.tolist()
            and indices.tolist() == theirs.indices.tolist()
        )
        assert ours.indices.dtype == cnnlab.int64


@pytest.mark.parametrize(
    "make",
    [
        lambda lib: lib.tensor([1, 2]).mean(),
        lambda lib: lib.zeros(2, 3).view(4, -1),
        lambda lib: lib.cat([lib.zeros(2, 3), lib.zeros(3, 2)], 1),
        lambda lib: lib.stack([lib.zeros(2), lib.zeros(3)]),
        lambda lib: lib.zeros(3).gather(0, lib.tensor([0.0])),
        lambda lib: lib.zeros(3).masked_fill(lib.tensor([1, 0, 1]), 1.0),
        lambda lib: lib.zeros(2, 3).expand(4, 3),
        lambda lib: lib.zeros(2, 3).repeat(2),
        lambda lib: lib.zeros(2, 3).split([1, 2], 0),
        lambda lib: lib.zeros(3).topk(4),
        lambda lib: -lib.tensor([True]),
        lambda lib: lib.tensor([1.5]) & lib.tensor([1.0]),
        lambda lib: lib.zeros(2, 3).mm(lib.zeros(2, 3)),
        lambda lib: lib.tensor([1, 2]).requires_grad_(),
    ],
)
def test_bad_arguments_raise_where_torch_raises(make):
    ours, theirs = both(make)
    assert isinstance(ours, type) and issubclass(ours, Exception), f"no error, got {ours}"
    assert isinstance(theirs, type) and issubclass(theirs, Exception)


# ----- what a tensor is and how it converts
def test_conversions_and_properties_match_torch():
    for lib in (cnnlab, torch):
        t = lib.tensor([[1.5, -2.0], [3.0, 4.25]])
        assert t.size(1) == t.size(-1) == 2 and t.dim() == t.ndimension() == 2
        assert t.numel() == t.nelement() == lib.numel(t) == 4 and t.element_size() == 4
        assert t.is_floating_point() and not lib.tensor([1]).is_floating_point()
        assert t.is_contiguous() and t.is_leaf and not t.is_cuda
        assert t.tolist() == [[1.5, -2.0], [3.0, 4.25]] and t[1, 1].item() == 4.25
        assert f"{t[0, 0]:.2f}" == "1.50" and int(t[1, 0]) == 3 and float(t[0, 1]) == -2.0
        assert t.type() == "torch.FloatTensor" and t.long().type() == "torch.LongTensor"
        assert t.double().type() == "torch.DoubleTensor" and (t > 0).type() == "torch.BoolTensor"
        assert str(t.device) == "cpu" and t.cpu() is t and t.to("cpu") is t
        assert t.to(lib.float32) is t and t.float() is t
        assert t.mT.tolist() == t.T.tolist()
        assert lib.is_tensor(t) and not lib.is_tensor([1])
        assert [1.5, 0.0, 7.0][lib.tensor(1)] == 0.0  # a 0-d integer tensor is an index


def test_a_zero_d_tensor_is_a_dict_key_by_identity_as_in_torch():
    """The CIFAR tutorial counts per class with ``classes[label]``, label a 0-d tensor; tensors
    hash by identity, so two equal labels are two keys, in both libraries."""
    for lib in (cnnlab, torch):
        classes = ("plane", "car", "bird")
        labels = lib.tensor([2, 0, 2])
        counts = {name: 0 for name in classes}
        for label in labels:
            counts[classes[label]] += 1
        assert counts == {"plane": 1, "car": 0, "bird": 2}
        by_tensor = {label: 1 for label in labels}
        assert len(by_tensor) == 3 and {label.item(): 1 for label in labels} == {2: 1, 0: 1}
