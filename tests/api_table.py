"""Shared helpers for the API checklist: run one program on cnnlab and on torch and compare
what each returns (tensors by shape, dtype and values; tuples, named tuples, numbers, strings,
and the type of an exception raised)."""

from __future__ import annotations

import numpy as np
import torch

import cnnlab

TOLERANCE = {"float64": 1e-10, "float32": 1e-5}


def outcome(fn, lib):
    """``fn(lib)``, or the exception it raised (compared by type)."""
    try:
        return fn(lib)
    except Exception as error:
        return error


def cuda_refused(fn):
    """``fn()`` asks for a CUDA device: it must fail clearly on a machine without CUDA; torch's
    CPU build raises an AssertionError, a build with CUDA on a machine without a GPU a
    RuntimeError. True when the error names CUDA, else the error's absence or text."""
    try:
        fn()
    except (AssertionError, RuntimeError) as error:
        return "CUDA" in str(error) or "cuda" in str(error)
    return "no error"


def dtype_name(t) -> str:
    if isinstance(t, torch.Tensor):
        return str(t.dtype).removeprefix("torch.")
    return np.dtype(t.dtype).name


def assert_same(name: str, ours, theirs) -> None:
    """``ours`` (from cnnlab) is what ``theirs`` (from torch) is, recursively."""
    if isinstance(theirs, BaseException):
        assert isinstance(ours, BaseException), (
            f"{name}: torch raises {theirs!r}, cnnlab gave {ours!r}"
        )
        assert isinstance(ours, type(theirs)) or type(theirs).__name__ == type(ours).__name__, (
            f"{name}: torch raises {type(theirs).__name__}, cnnlab {type(ours).__name__}: {ours}"
        )
        return
    assert not isinstance(ours, BaseException), f"{name}: cnnlab raised {ours!r}"
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, cnnlab.Tensor), f"{name}: {type(ours).__name__} is not a Tensor"
        assert tuple(ours.shape) == tuple(theirs.shape), (
            f"{name}: shape {tuple(ours.shape)} != {tuple(theirs.shape)}"
        )
        assert dtype_name(ours) == dtype_name(theirs), (
            f"{name}: dtype {ours.dtype} != {theirs.dtype}"
        )
        assert ours.requires_grad == theirs.requires_grad, f"{name}: requires_grad differs"
        a, b = np.asarray(ours.detach().numpy()), theirs.detach().numpy()
        tolerance = TOLERANCE.get(dtype_name(theirs), 0)
        same_specials = (
            (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b)) if a.dtype.kind == "f" else False
        )
        if a.size:
            a, b = np.where(same_specials, 0, a), np.where(same_specials, 0, b)
            scale = max(float(np.abs(b.astype(np.float64)).max()), 1.0) if a.dtype != bool else 1
            error = float(np.abs(a.astype(np.float64) - b.astype(np.float64)).max()) / scale
            assert error <= tolerance, f"{name}: values differ by {error:.3g}\n{a}\n{b}"
        return
    if hasattr(theirs, "_fields"):  # a named tuple such as torch.return_types.max
        assert getattr(ours, "_fields", None) == theirs._fields, f"{name}: fields of {ours!r}"
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)), f"{name}: {type(ours).__name__} is not a sequence"
        assert len(ours) == len(theirs), f"{name}: length {len(ours)} != {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same(f"{name}[{i}]", a, b)
        return
    if isinstance(theirs, dict):
        assert list(ours) == list(theirs), f"{name}: keys {list(ours)} != {list(theirs)}"
        for key in theirs:
            assert_same(f"{name}[{key!r}]", ours[key], theirs[key])
        return
    if isinstance(theirs, float):
        assert isinstance(ours, float), f"{name}: {ours!r} is not a float"
        assert abs(ours - theirs) <= 1e-6 * max(1.0, abs(theirs)), f"{name}: {ours} != {theirs}"
        return
    assert type(ours) is type(theirs), f"{name}: {type(ours).__name__} != {type(theirs).__name__}"
    assert ours == theirs, f"{name}: {ours!r} != {theirs!r}"


def check(name: str, fn) -> None:
    """Run ``fn`` on both libraries and compare."""
    assert_same(name, outcome(fn, cnnlab), outcome(fn, torch))
