"""The Tensor methods of the API list, each run on cnnlab and on torch and compared: values,
shapes, dtypes, named-tuple fields, and the type of an error."""

from __future__ import annotations

import numpy as np
import pytest

import cnnlab
from api_table import check, cuda_refused

RNG = np.random.default_rng(11)
A = RNG.standard_normal((3, 4)).astype(np.float32)
B = RNG.standard_normal((3, 4)).astype(np.float32)
I = np.array([[0, 1, 1, 2], [2, 0, 0, 1], [1, 1, 2, 0]])


def x(lib, array=A, **kwargs):
    return lib.tensor(array, **kwargs)


CASES = {
    "argmax(dim)": lambda lib: x(lib).argmax(1),
    "argmax(dim=, keepdim=True)": lambda lib: x(lib).argmax(dim=1, keepdim=True),
    "argmax(axis=)": lambda lib: x(lib).argmax(axis=1),
    "argmax()": lambda lib: x(lib).argmax(),
    "argmin(dim, keepdim)": lambda lib: x(lib).argmin(0, True),
    "argmin(axis=)": lambda lib: x(lib).argmin(axis=0),
    "max(dim=1)[1]": lambda lib: x(lib).max(dim=1)[1],
    "max(1)": lambda lib: x(lib).max(1),
    "max(1).values / .indices": lambda lib: (x(lib).max(1).values, x(lib).max(1).indices),
    "max(axis=1)": lambda lib: x(lib).max(axis=1),
    "max(1, keepdim=True)": lambda lib: x(lib).max(1, keepdim=True),
    "values, indices = max(1)": lambda lib: list(x(lib).max(1)),
    "max()": lambda lib: x(lib).max(),
    "min(0)": lambda lib: x(lib).min(0),
    "sum(axis=, keepdims)": lambda lib: x(lib).sum(axis=0, keepdim=True),
    "mean(axis=)": lambda lib: x(lib).mean(axis=1),
    "mean(dim=-1, keepdim=True)": lambda lib: x(lib).mean(dim=-1, keepdim=True),
    "eq": lambda lib: x(lib).eq(x(lib, B)),
    "eq scalar": lambda lib: x(lib).argmax(1).eq(1),
    "ne": lambda lib: x(lib).ne(x(lib, B)),
    "lt": lambda lib: x(lib).lt(0),
    "gt": lambda lib: x(lib).gt(x(lib, B)),
    "le ge": lambda lib: (x(lib).le(0), x(lib).ge(0)),
    "== != < >": lambda lib: (x(lib) == x(lib, B), x(lib) != 0, x(lib) < 0, x(lib) > x(lib, B)),
    "pred.eq(target.view_as(pred)).sum().item()": lambda lib: _mnist_correct(lib),
    "(preds == yb).float().mean()": lambda lib: (
        (x(lib).argmax(1) == lib.tensor([1, 2, 3])).float().mean()
    ),
    "(pred == y).sum().item() / len": lambda lib: (
        (x(lib).argmax(1) == lib.tensor([1, 2, 3])).sum().item() / 3
    ),
    "view_as": lambda lib: x(lib).reshape(12).view_as(x(lib)),
    "view(-1, ...)": lambda lib: x(lib).view(-1, 2, 2),
    "view(size)": lambda lib: x(lib).view(x(lib).size(0), -1),
    "view(tuple)": lambda lib: x(lib).view((4, 3)),
    "reshape(-1)": lambda lib: x(lib).reshape(-1),
    "size()": lambda lib: tuple(x(lib).size()),
    "size(0)": lambda lib: x(lib).size(0),
    "size(dim=-1)": lambda lib: x(lib).size(dim=-1),
    "shape[0]": lambda lib: x(lib).shape[0],
    "shape == (3, 4)": lambda lib: x(lib).shape == (3, 4),
    "len(tensor)": lambda lib: len(x(lib)),
    "dim() ndim": lambda lib: (x(lib).dim(), x(lib).ndim),
    "nelement()": lambda lib: x(lib).nelement(),
    "type(dtype)": lambda lib: x(lib).type(lib.int64),
    "type(y.dtype)": lambda lib: x(lib).argmax(1).type(x(lib).dtype),
    "type('torch.FloatTensor')": lambda lib: _type_string(lib),
    "type() string": lambda lib: x(lib).type().split(".")[-1],
    "to(dtype)": lambda lib: x(lib).to(lib.float64),
    "to(device)": lambda lib: x(lib).to(lib.device("cpu")),
    "to('cpu')": lambda lib: x(lib).to("cpu"),
    "to(device, dtype)": lambda lib: x(lib).to("cpu", lib.float64),
    "to(dtype=, device=)": lambda lib: x(lib).to(device="cpu", dtype=lib.float64),
    "to(other)": lambda lib: x(lib).to(lib.zeros(1, dtype=lib.float64)),
    "to(device, non_blocking=True)": lambda lib: x(lib).to("cpu", non_blocking=True),
    "to('cuda') raises": lambda lib: cuda_refused(lambda: x(lib).to("cuda")),
    "to(device('cuda:0')) raises": lambda lib: cuda_refused(
        lambda: x(lib).to(lib.device("cuda:0"))
    ),
    "cuda() raises": lambda lib: cuda_refused(lambda: x(lib).cuda()),
    "cpu()": lambda lib: x(lib).cpu(),
    "is_cuda": lambda lib: x(lib).is_cuda,
    "device.type": lambda lib: x(lib).device.type,
    "float()": lambda lib: x(lib).argmax(1).float(),
    "long()": lambda lib: x(lib).long(),
    "int()": lambda lib: x(lib).int(),
    "double()": lambda lib: x(lib).double(),
    "bool()": lambda lib: x(lib).bool(),
    "tolist()": lambda lib: x(lib, I).tolist(),
    "tolist() float": lambda lib: x(lib, np.array([0.5, 1.5])).tolist(),
    "tolist() 0-d": lambda lib: x(lib, np.array(3)).tolist(),
    "item()": lambda lib: x(lib).sum().item(),
    "item() int": lambda lib: x(lib).argmax(1).sum().item(),
    "item() bool": lambda lib: (x(lib).sum() > 0).item(),
    "item() one element": lambda lib: x(lib)[0:1, 0:1].item(),
    "item() many raises": lambda lib: x(lib).item(),
    "float(t)": lambda lib: float(x(lib).sum()),
    "int(t)": lambda lib: int(x(lib).argmax()),
    "numpy()": lambda lib: _numpy_of(x(lib)),
    "numpy() with grad raises": lambda lib: x(lib, requires_grad=True).numpy(),
    "detach().cpu().numpy()": lambda lib: _numpy_of(x(lib, requires_grad=True).detach().cpu()),
    "data": lambda lib: x(lib, requires_grad=True).data,
    "repeat": lambda lib: x(lib).repeat(2, 1),
    "repeat 3d": lambda lib: x(lib).repeat(1, 2, 1),
    "repeat tuple": lambda lib: x(lib).repeat((1, 2)),
    "expand": lambda lib: x(lib)[:, :1].expand(3, 5),
    "expand -1": lambda lib: x(lib)[:, :1].expand(-1, 5),
    "expand_as": lambda lib: x(lib)[:1].expand_as(x(lib)),
    "masked_fill": lambda lib: x(lib).masked_fill(x(lib) < 0, 0.0),
    "masked_fill tensor value": lambda lib: x(lib).masked_fill(x(lib) < 0, lib.tensor(-1.0)),
    "masked_fill float('-inf')": lambda lib: x(lib).masked_fill(x(lib) < 0, float("-inf")),
    "gather": lambda lib: x(lib).gather(1, x(lib, I[:, :2])),
    "gather dim=": lambda lib: x(lib).gather(dim=0, index=x(lib, I)),
    "index_select": lambda lib: x(lib).index_select(1, lib.tensor([0, 3])),
    "index_select dim= index=": lambda lib: x(lib).index_select(dim=0, index=lib.tensor([2, 2])),
    "std": lambda lib: x(lib).std(),
    "std(dim)": lambda lib: x(lib).std(1),
    "std(unbiased=False)": lambda lib: x(lib).std(unbiased=False),
    "std(correction=0)": lambda lib: x(lib).std(dim=0, correction=0),
    "var(dim, keepdim)": lambda lib: x(lib).var(1, keepdim=True),
    "var(axis=)": lambda lib: x(lib).var(axis=0),
    "new_zeros": lambda lib: x(lib).new_zeros((2, 2)),
    "new_zeros(2, 3)": lambda lib: x(lib).new_zeros(2, 3),
    "new_ones": lambda lib: x(lib).new_ones(3),
    "new_full": lambda lib: x(lib).new_full((2,), 4.0),
    "new_tensor": lambda lib: x(lib).new_tensor([1, 2]),
    "new_empty shape": lambda lib: tuple(x(lib).new_empty(2, 3).shape),
    "clone": lambda lib: x(lib).clone(),
    "contiguous": lambda lib: x(lib).t().contiguous(),
    "is_contiguous": lambda lib: x(lib).is_contiguous(),
    "t().is_contiguous()": lambda lib: x(lib).t().is_contiguous(),
    "squeeze(dim)": lambda lib: x(lib).reshape(3, 1, 4).squeeze(1),
    "unsqueeze(dim)": lambda lib: x(lib).unsqueeze(-1),
    "flatten(1)": lambda lib: x(lib).reshape(3, 2, 2).flatten(1),
    "permute(*dims)": lambda lib: x(lib).reshape(3, 2, 2).permute(2, 0, 1),
    "transpose(0, 1)": lambda lib: x(lib).transpose(0, 1),
    "T": lambda lib: x(lib).T,
    "abs exp log sqrt": lambda lib: (
        x(lib).abs(),
        x(lib).exp(),
        x(lib).abs().log(),
        x(lib).abs().sqrt(),
    ),
    "clamp(min=)": lambda lib: x(lib).clamp(min=0),
    "clamp_min": lambda lib: x(lib).clamp_min(0.1),
    "pow / **": lambda lib: (x(lib).pow(2), x(lib) ** 3, 2 ** x(lib)),
    "sum(dtype)": lambda lib: x(lib, I).sum(),
    "sum of ints dtype": lambda lib: x(lib, I.astype(np.int32)).sum(),
    "mul scalar int keeps float32": lambda lib: x(lib) * 2,
    "int tensor / int": lambda lib: x(lib, I) / 2,
    "int tensor // int": lambda lib: x(lib, I) // 2,
    "int tensor * float": lambda lib: x(lib, I) * 0.5,
    "float32 + float64 tensor": lambda lib: x(lib) + x(lib, B.astype(np.float64)),
    "float32 + float64 0-d": lambda lib: x(lib) + lib.tensor(1.0, dtype=lib.float64),
    "bool + bool raises/ors": lambda lib: (x(lib) > 0) + (x(lib) > 1),
    "~bool": lambda lib: ~(x(lib) > 0),
    "& |": lambda lib: ((x(lib) > 0) & (x(lib) < 1), (x(lib) > 0) | (x(lib) < -1)),
    "indexing with bool mask": lambda lib: x(lib)[x(lib) > 0],
    "indexing with long tensor": lambda lib: x(lib)[lib.tensor([0, 2])],
    "indexing rows and cols": lambda lib: x(lib)[lib.arange(3), lib.tensor([0, 1, 3])],
    "indexing with None and ...": lambda lib: x(lib)[None, ..., 1],
    "setitem mask": lambda lib: _setitem_mask(lib),
    "zero_ fill_": lambda lib: (x(lib).clone().zero_(), x(lib).clone().fill_(2.0)),
    "uniform_ shape": lambda lib: tuple(lib.empty(3).uniform_(-1, 1).shape),
    "normal_ shape": lambda lib: tuple(lib.empty(3).normal_(0, 1).shape),
    "requires_grad_()": lambda lib: x(lib).requires_grad_().requires_grad,
    "is_leaf grad_fn None": lambda lib: (x(lib).is_leaf, x(lib).grad_fn is None),
    "unique": lambda lib: x(lib, I).unique(),
    "unique return_counts": lambda lib: x(lib, I).unique(return_counts=True),
    "bincount": lambda lib: x(lib, I).flatten().bincount(),
    "topk(k, dim)": lambda lib: x(lib).topk(2, 1),
    "topk .indices": lambda lib: x(lib).topk(2, dim=1).indices,
    "sort(descending=True)": lambda lib: x(lib).sort(descending=True),
    "sort(dim=0)": lambda lib: x(lib).sort(dim=0)[1],
    "chunk split": lambda lib: (x(lib).chunk(2, 1), x(lib).split(1)),
    "softmax(dim=)": lambda lib: x(lib).softmax(dim=-1),
    "log_softmax(1)": lambda lib: x(lib).log_softmax(1),
    "all any": lambda lib: ((x(lib) > -9).all(), (x(lib) > 9).any()),
    "all(dim)": lambda lib: (x(lib) > 0).all(1),
    "numel": lambda lib: x(lib).numel(),
    "element_size": lambda lib: x(lib).element_size(),
    "dtype.is_floating_point": lambda lib: x(lib).dtype.is_floating_point,
    "is_floating_point()": lambda lib: x(lib).is_floating_point(),
    "norm()": lambda lib: x(lib).norm(),
    "norm(p=2, dim=1)": lambda lib: x(lib).norm(p=2, dim=1),
    "norm(dim=1, keepdim=True)": lambda lib: x(lib).norm(dim=1, keepdim=True),
    "cumsum": lambda lib: x(lib).cumsum(1),
    "flip": lambda lib: x(lib).flip(0),
    "flip(dims=)": lambda lib: x(lib).flip(dims=[1]),
    "roll": lambda lib: x(lib).roll(1, 1),
    "narrow": lambda lib: x(lib).narrow(1, 1, 2),
    "unbind": lambda lib: x(lib).unbind(0),
    "add_(other, alpha=)": lambda lib: x(lib).clone().add_(x(lib, B), alpha=0.5),
    "add(other, alpha=)": lambda lib: x(lib).add(x(lib, B), alpha=2),
    "sub(other, alpha=)": lambda lib: x(lib).sub(x(lib, B), alpha=2),
    "addcmul_(value=)": lambda lib: x(lib).clone().addcmul_(x(lib), x(lib, B), value=0.1),
    "lerp_": lambda lib: x(lib).clone().lerp_(x(lib, B), 0.3),
    "copy_": lambda lib: x(lib).clone().copy_(x(lib, B)),
    "mul_ div_ sub_": lambda lib: x(lib).clone().mul_(2).div_(4).sub_(1),
    "clamp_ relu_": lambda lib: (x(lib).clone().clamp_(-0.5, 0.5), x(lib).clone().relu_()),
    "sigmoid_ tanh_ exp_": lambda lib: (
        x(lib).clone().sigmoid_(),
        x(lib).clone().tanh_(),
        x(lib).clone().exp_(),
    ),
    "abs_ sqrt_ neg_": lambda lib: (
        x(lib).clone().abs_(),
        x(lib).clone().abs_().sqrt_(),
        x(lib).clone().neg_(),
    ),
    "masked_fill_": lambda lib: x(lib).clone().masked_fill_(x(lib) > 0, 1.0),
    "dtype repr": lambda lib: repr(x(lib).dtype).split(".")[-1],
    "str(dtype)": lambda lib: str(lib.float32).split(".")[-1],
}


def _mnist_correct(lib):
    output = x(lib).log_softmax(1)
    target = lib.tensor([1, 2, 3])
    pred = output.argmax(dim=1, keepdim=True)
    return pred.eq(target.view_as(pred)).sum().item()


def _type_string(lib):
    out = x(lib).argmax(1).type("torch.FloatTensor")
    return str(out.dtype).split(".")[-1]


def _numpy_of(t):
    array = t.numpy()
    return type(array).__name__, array.dtype.name, array.shape, array.tolist()


def _setitem_mask(lib):
    t = x(lib).clone()
    t[t < 0] = 0
    t[0] = lib.tensor([1.0, 2.0, 3.0, 4.0])
    t[:, 1] += 1
    return t


LEFT_OUT = {
    "float16": lambda t: t.half(),
    "unsqueeze_": lambda t: t.unsqueeze_(0),
    "squeeze_": lambda t: t.squeeze_(),
    "t_": lambda t: t.t_(),
    "apply_": lambda t: t.apply_(abs),
}


@pytest.mark.parametrize("name", sorted(LEFT_OUT))
def test_a_method_left_out_raises_not_implemented_naming_it(name):
    with pytest.raises(NotImplementedError, match=name):
        LEFT_OUT[name](cnnlab.tensor(A))


@pytest.mark.parametrize("name", sorted(CASES))
def test_tensor_method_matches_torch(name):
    check(name, CASES[name])


def test_type_takes_the_legacy_tensor_types_as_torch():
    import torch

    check("type(LongTensor)", lambda lib: lib.tensor(A).type(lib.LongTensor))
    check("type(FloatTensor)", lambda lib: lib.tensor([1, 2]).type(lib.FloatTensor))
    assert torch.tensor([1.5]).type(torch.LongTensor).dtype == torch.int64
