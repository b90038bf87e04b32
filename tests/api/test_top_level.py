"""The API list of "Real PyTorch CNN programs run on cnnlab", name by name: each entry runs the
same small program on cnnlab and on torch and compares what comes back (values, shapes, dtypes,
named-tuple fields, the type of an error)."""

from __future__ import annotations

import numpy as np
import pytest

from api_table import check, cuda_refused

RNG = np.random.default_rng(7)
A = RNG.standard_normal((3, 4)).astype(np.float32)
B = RNG.standard_normal((3, 4)).astype(np.float32)
P = (0.5 + np.abs(RNG.standard_normal((3, 4)))).astype(np.float64)
LABELS = np.array([2, 0, 1])


def x(lib, array=A, **kwargs):
    return lib.tensor(array, **kwargs)


def meta(t):
    """What a random tensor can be compared by: shape, dtype, requires_grad, device type."""
    return tuple(t.shape), str(t.dtype).split(".")[-1], t.requires_grad, t.device.type


TOP_LEVEL = {
    "device('cpu') == device('cpu')": lambda lib: lib.device("cpu") == lib.device("cpu"),
    "device('cpu').type": lambda lib: lib.device("cpu").type,
    "device('cpu') == 'cpu'": lambda lib: lib.device("cpu") == "cpu",
    "str(device)": lambda lib: str(lib.device("cpu")),
    "tensor.device == device('cpu')": lambda lib: x(lib).device == lib.device("cpu"),
    "device('cuda' if cuda.is_available() else 'cpu')": lambda lib: str(
        lib.device("cuda" if lib.cuda.is_available() else "cpu")
    ),
    "cuda.is_available()": lambda lib: lib.cuda.is_available(),
    "cuda.device_count()": lambda lib: lib.cuda.device_count(),
    "flatten(x, 1)": lambda lib: lib.flatten(x(lib).reshape(3, 2, 2), 1),
    "flatten(x)": lambda lib: lib.flatten(x(lib).reshape(3, 2, 2)),
    "flatten(start_dim=, end_dim=)": lambda lib: lib.flatten(
        x(lib).reshape(3, 2, 2), start_dim=0, end_dim=1
    ),
    "cat dim=1": lambda lib: lib.cat([x(lib), x(lib, B)], dim=1),
    "cat tuple": lambda lib: lib.cat((x(lib), x(lib, B))),
    "cat negative dim": lambda lib: lib.cat([x(lib), x(lib, B)], -1),
    "cat mixed dtypes": lambda lib: lib.cat([x(lib), x(lib, A.astype(np.float64))]),
    "stack": lambda lib: lib.stack([x(lib), x(lib, B)]),
    "stack dim=2": lambda lib: lib.stack([x(lib), x(lib, B)], dim=2),
    "chunk": lambda lib: lib.chunk(x(lib), 2, dim=1),
    "chunk uneven": lambda lib: lib.chunk(x(lib), 2),
    "split int": lambda lib: lib.split(x(lib), 2),
    "split sizes": lambda lib: lib.split(x(lib), [1, 3], dim=1),
    "split split_size_or_sections=": lambda lib: lib.split(x(lib), split_size_or_sections=1),
    "where 3 args": lambda lib: lib.where(x(lib) > 0, x(lib), x(lib, B)),
    "where scalar": lambda lib: lib.where(x(lib) > 0, x(lib), 0.0),
    "where 1 arg": lambda lib: lib.where(x(lib) > 0),
    "clamp min max": lambda lib: lib.clamp(x(lib), -0.5, 0.5),
    "clamp min=": lambda lib: lib.clamp(x(lib), min=0),
    "clamp max=": lambda lib: lib.clamp(x(lib), max=0.1),
    "clamp tensor bounds": lambda lib: lib.clamp(x(lib), x(lib, B), x(lib, B) + 1),
    "clip": lambda lib: lib.clip(x(lib), -0.1, 0.1),
    "exp": lambda lib: lib.exp(x(lib)),
    "log": lambda lib: lib.log(x(lib, P)),
    "sqrt": lambda lib: lib.sqrt(x(lib, P)),
    "abs": lambda lib: lib.abs(x(lib)),
    "exp int": lambda lib: lib.exp(lib.arange(3)),
    "sqrt int": lambda lib: lib.sqrt(lib.tensor([4, 9])),
    "argmax": lambda lib: lib.argmax(x(lib)),
    "argmax dim": lambda lib: lib.argmax(x(lib), 1),
    "argmax dim= keepdim=": lambda lib: lib.argmax(x(lib), dim=1, keepdim=True),
    "argmin dim": lambda lib: lib.argmin(x(lib), dim=0),
    "topk": lambda lib: lib.topk(x(lib), 2),
    "topk k= dim= largest=False": lambda lib: lib.topk(x(lib), k=2, dim=0, largest=False),
    "topk fields": lambda lib: lib.topk(x(lib), 2).indices,
    "sort": lambda lib: lib.sort(x(lib)),
    "sort descending": lambda lib: lib.sort(x(lib), dim=0, descending=True),
    "sort fields": lambda lib: lib.sort(x(lib)).values,
    "argsort": lambda lib: lib.argsort(x(lib), dim=1),
    "eye": lambda lib: lib.eye(3),
    "eye n m": lambda lib: lib.eye(2, 3),
    "eye dtype": lambda lib: lib.eye(2, dtype=lib.int64),
    "linspace": lambda lib: lib.linspace(0, 1, 5),
    "linspace steps= dtype=": lambda lib: lib.linspace(-1, 1, steps=4, dtype=lib.float64),
    "full": lambda lib: lib.full((2, 3), 1.5),
    "full int fill": lambda lib: lib.full((2,), 7),
    "full bool fill": lambda lib: lib.full((2,), True),
    "full size= fill_value=": lambda lib: lib.full(size=(2, 2), fill_value=3.0, dtype=lib.float64),
    "zeros_like": lambda lib: lib.zeros_like(x(lib)),
    "ones_like dtype": lambda lib: lib.ones_like(x(lib), dtype=lib.int64),
    "full_like": lambda lib: lib.full_like(x(lib), 2),
    "empty_like shape": lambda lib: meta(lib.empty_like(x(lib))),
    "rand_like": lambda lib: meta(lib.rand_like(x(lib))),
    "randn_like": lambda lib: meta(lib.randn_like(x(lib))),
    "randint_like": lambda lib: meta(lib.randint_like(x(lib), 5)),
    "zeros_like requires_grad=": lambda lib: lib.zeros_like(x(lib), requires_grad=True),
    "int64 dtype": lambda lib: lib.tensor([1, 2]).dtype == lib.int64,
    "long is int64": lambda lib: lib.long == lib.int64,
    "bool dtype": lambda lib: (x(lib) > 0).dtype == lib.bool,
    "float is float32": lambda lib: lib.float == lib.float32,
    "double is float64": lambda lib: lib.double == lib.float64,
    "default dtype of a float list": lambda lib: lib.tensor([1.0]).dtype == lib.float32,
    "tensor of a bool list": lambda lib: lib.tensor([True, False]),
    "tensor of numpy float64": lambda lib: lib.tensor(P),
    "from_numpy": lambda lib: lib.from_numpy(P),
    "as_tensor dtype": lambda lib: lib.as_tensor([1, 2], dtype=lib.float32),
    "is_tensor": lambda lib: lib.is_tensor(x(lib)),
    "numel": lambda lib: lib.numel(x(lib)),
    "max all": lambda lib: lib.max(x(lib)),
    "max(x, 1)": lambda lib: lib.max(x(lib), 1),
    "max(x, 1).values/.indices": lambda lib: (
        lib.max(x(lib), 1).values,
        lib.max(x(lib), 1).indices,
    ),
    "max(x, dim=1, keepdim=True)": lambda lib: lib.max(x(lib), dim=1, keepdim=True),
    "max of two": lambda lib: lib.max(x(lib), x(lib, B)),
    "min(x, 0)": lambda lib: lib.min(x(lib), 0),
    "sum": lambda lib: lib.sum(x(lib)),
    "sum dim keepdim": lambda lib: lib.sum(x(lib), dim=1, keepdim=True),
    "sum of bools": lambda lib: lib.sum(x(lib) > 0),
    "sum dtype=": lambda lib: lib.sum(x(lib), dtype=lib.float64),
    "mean dim tuple": lambda lib: lib.mean(x(lib), dim=(0, 1)),
    "mean axis=": lambda lib: lib.mean(x(lib), axis=0),
    "sum axis=": lambda lib: lib.sum(x(lib), axis=1),
    "mean of ints raises": lambda lib: lib.mean(lib.tensor([1, 2])),
    "softmax dim": lambda lib: lib.softmax(x(lib), dim=1),
    "log_softmax": lambda lib: lib.log_softmax(x(lib), 1),
    "sigmoid": lambda lib: lib.sigmoid(x(lib)),
    "tanh": lambda lib: lib.tanh(x(lib)),
    "relu": lambda lib: lib.relu(x(lib)),
    "matmul": lambda lib: lib.matmul(x(lib), x(lib, B).T),
    "mm": lambda lib: lib.mm(x(lib), x(lib, B).t()),
    "x @ w": lambda lib: x(lib) @ x(lib, B).T,
    "pow": lambda lib: lib.pow(x(lib), 2),
    "unsqueeze": lambda lib: lib.unsqueeze(x(lib), 0),
    "squeeze": lambda lib: lib.squeeze(x(lib).reshape(1, 3, 4)),
    "reshape": lambda lib: lib.reshape(x(lib), (4, 3)),
    "transpose": lambda lib: lib.transpose(x(lib), 0, 1),
    "permute": lambda lib: lib.permute(x(lib).reshape(3, 2, 2), (2, 0, 1)),
    "eq": lambda lib: lib.eq(x(lib), x(lib)),
    "equal": lambda lib: lib.equal(x(lib), x(lib)),
    "allclose": lambda lib: lib.allclose(x(lib), x(lib) + 1e-9),
    "arange": lambda lib: lib.arange(5),
    "arange float": lambda lib: lib.arange(0, 1, 0.25),
    "arange dtype=": lambda lib: lib.arange(3, dtype=lib.float32),
    "numel()": lambda lib: x(lib).numel(),
    "no_grad context": lambda lib: _under(lib, lib.no_grad()),
    "enable_grad inside no_grad": lambda lib: _enable_inside_no_grad(lib),
    "no_grad decorator": lambda lib: lib.no_grad()(lambda t: t * 2)(x(lib, requires_grad=True)),
    "no_grad bare decorator": lambda lib: lib.no_grad(lambda t: t * 2)(x(lib, requires_grad=True)),
    "inference_mode context": lambda lib: _under(lib, lib.inference_mode()),
    "inference_mode decorator": lambda lib: lib.inference_mode()(lambda t: t * 2)(
        x(lib, requires_grad=True)
    ),
    "set_grad_enabled(False)": lambda lib: _under(lib, lib.set_grad_enabled(False)),
    "set_grad_enabled(True)": lambda lib: _under(lib, lib.set_grad_enabled(True)),
    "set_grad_enabled(mode=)": lambda lib: _under(lib, lib.set_grad_enabled(mode=False)),
    "is_grad_enabled in no_grad": lambda lib: _grad_enabled_in(lib, lib.no_grad()),
    "manual_seed repeats": lambda lib: _seeded_twice(lib),
    "manual_seed returns Generator": lambda lib: type(lib.manual_seed(0)).__name__,
    "Generator().manual_seed": lambda lib: _generator_twice(lib),
}


def _under(lib, mode):
    with mode:
        y = x(lib, requires_grad=True) * 2
    return y.requires_grad


def _enable_inside_no_grad(lib):
    with lib.no_grad(), lib.enable_grad():
        y = x(lib, requires_grad=True) * 2
    return y.requires_grad


def _grad_enabled_in(lib, mode):
    with mode:
        return lib.is_grad_enabled()


def _seeded_twice(lib):
    lib.manual_seed(3)
    first = lib.rand(4)
    lib.manual_seed(3)
    return bool((lib.rand(4) == first).all())


def _generator_twice(lib):
    draws = [lib.randn(3, generator=lib.Generator().manual_seed(5)) for _ in range(2)]
    return bool((draws[0] == draws[1]).all())


def _creation_cases():
    """Every creation function with the keywords programs pass to it."""
    cases = {}
    shaped = {
        "zeros": lambda lib, **k: lib.zeros(**k),
        "ones": lambda lib, **k: lib.ones(**k),
        "empty": lambda lib, **k: lib.empty(**k),
        "rand": lambda lib, **k: lib.rand(**k),
        "randn": lambda lib, **k: lib.randn(**k),
    }
    for name, make in shaped.items():
        randomised = name in ("rand", "randn", "empty")
        keep = meta if randomised else (lambda t: t)
        cases[f"{name}(size=(2, 3))"] = lambda lib, m=make, k=keep: k(m(lib, size=(2, 3)))
        cases[f"{name}(size=, dtype=float64)"] = lambda lib, m=make, k=keep: k(
            m(lib, size=(2, 3), dtype=lib.float64)
        )
        cases[f"{name}(size=, requires_grad=True)"] = lambda lib, m=make, k=keep: k(
            m(lib, size=(2,), requires_grad=True)
        )
        cases[f"{name}(size=, device='cpu')"] = lambda lib, m=make, k=keep: k(
            m(lib, size=(2,), device="cpu")
        )
        cases[f"{name}(size=, device=device('cpu'))"] = lambda lib, m=make, k=keep: k(
            m(lib, size=(2,), device=lib.device("cpu"))
        )
        cases[f"{name}(size=, device='cuda') raises"] = lambda lib, m=make: cuda_refused(
            lambda: m(lib, size=(2,), device="cuda")
        )
        cases[f"{name}(2, 3)"] = lambda lib, n=name, k=keep: k(getattr(lib, n)(2, 3))
        cases[f"{name}((2, 3))"] = lambda lib, n=name, k=keep: k(getattr(lib, n)((2, 3)))
        cases[f"{name}([2, 3])"] = lambda lib, n=name, k=keep: k(getattr(lib, n)([2, 3]))
        cases[f"{name}(Size)"] = lambda lib, n=name, k=keep: k(
            getattr(lib, n)(lib.zeros(2, 3).shape)
        )
        cases[f"{name}(out of a tensor's size())"] = lambda lib, n=name, k=keep: k(
            getattr(lib, n)(x(lib).size(0), 2)
        )
    for name in ("rand", "randn", "randperm_like"):
        if name == "randperm_like":
            continue
        cases[f"{name}(generator=)"] = lambda lib, n=name: _same_with_generator(
            lib, lambda g: getattr(lib, n)(2, 3, generator=g)
        )
    cases["randint(generator=)"] = lambda lib: _same_with_generator(
        lib, lambda g: lib.randint(0, 10, (5,), generator=g)
    )
    cases["randperm(generator=)"] = lambda lib: _same_with_generator(
        lib, lambda g: lib.randperm(6, generator=g)
    )
    cases["randint(low, high, size=)"] = lambda lib: meta(lib.randint(0, 10, size=(2, 3)))
    cases["randint(high, size)"] = lambda lib: meta(lib.randint(10, (4,)))
    cases["randint(..., dtype=)"] = lambda lib: meta(lib.randint(0, 3, (4,), dtype=lib.int32))
    cases["randperm(n, dtype=)"] = lambda lib: meta(lib.randperm(5, dtype=lib.int32))
    cases["randperm values"] = lambda lib: sorted(lib.randperm(5).tolist())
    cases["normal(mean, std, size=)"] = lambda lib: meta(lib.normal(0.0, 1.0, size=(2, 2)))
    cases["normal(tensor means)"] = lambda lib: meta(lib.normal(x(lib), 1.0))
    cases["bernoulli"] = lambda lib: meta(lib.bernoulli(lib.full((3,), 0.5)))
    cases["tensor(dtype=, device=, requires_grad=)"] = lambda lib: lib.tensor(
        [1.0, 2.0], dtype=lib.float64, device="cpu", requires_grad=True
    )
    cases["arange(device=)"] = lambda lib: lib.arange(3, device=lib.device("cpu"))
    cases["eye(device=, requires_grad=)"] = lambda lib: lib.eye(2, device="cpu", requires_grad=True)
    cases["full(device=, requires_grad=)"] = lambda lib: lib.full(
        (2,), 1.0, device="cpu", requires_grad=True
    )
    cases["linspace(device=, requires_grad=)"] = lambda lib: lib.linspace(
        0, 1, 3, device="cpu", requires_grad=True
    )
    cases["zeros(int dtype, requires_grad) raises"] = lambda lib: _raises(
        lambda: lib.zeros(2, dtype=lib.int64, requires_grad=True)
    )
    cases["rand(int dtype) raises"] = lambda lib: _raises(lambda: lib.rand(2, dtype=lib.int64))
    cases["randn(bool dtype) raises"] = lambda lib: _raises(lambda: lib.randn(2, dtype=lib.bool))
    cases["rand_like(int) raises"] = lambda lib: _raises(lambda: lib.rand_like(lib.arange(3)))
    return cases


def _raises(fn):
    fn()
    return "no error"


def _same_with_generator(lib, draw):
    first = draw(lib.Generator().manual_seed(11))
    second = draw(lib.Generator().manual_seed(11))
    return meta(first), bool((first == second).all())


CASES = {**TOP_LEVEL, **_creation_cases()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_top_level_matches_torch(name):
    check(name, CASES[name])
