"""Batching samples as PyTorch's ``default_collate`` does, and ``default_convert`` for loaders
that do not batch.

Samples may be tensors, NumPy arrays and scalars, Python numbers, strings, and tuples, lists,
named tuples and dicts of these, nested: a batch of dicts is a dict of batches, a batch of
tuples a list of batches (PyTorch's choice), a batch of named tuples a named tuple.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, MutableMapping, MutableSequence, Sequence

import numpy as np

from cnnlab.autograd.tensor import Tensor
from cnnlab.autograd.types import to_numpy

# NumPy kinds PyTorch refuses to make tensors of: bytes, strings, objects
_NOT_NUMERIC = re.compile(r"[SaUO]")
_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _tensor(array: np.ndarray) -> Tensor:
    """A tensor of ``array``, whose dtype must be one cnnlab tensors have (float16 and complex
    arrays raise ``NotImplementedError``)."""
    return Tensor._wrap(array.astype(to_numpy(array.dtype), copy=False))


def _stack(arrays: list[np.ndarray]) -> np.ndarray:
    first = arrays[0].shape
    for i, array in enumerate(arrays):
        if array.shape != first:
            raise RuntimeError(
                f"default_collate: samples must have equal shapes to be stacked, got {first} at "
                f"entry 0 and {array.shape} at entry {i}"
            )
    return np.stack(arrays)


def collate_tensor_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Stack tensors along a new first dimension: ``(N, *shape)``."""
    return Tensor._wrap(_stack([t._data for t in batch]))


def collate_numpy_array_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Stack NumPy arrays into one tensor of their dtype."""
    if _NOT_NUMERIC.search(batch[0].dtype.str) is not None:
        raise TypeError(_ERROR.format(batch[0].dtype))
    return _tensor(_stack([np.asarray(a) for a in batch]))


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None) -> Tensor:
    """NumPy scalars keep their dtype: ``(N,)``."""
    return _tensor(np.asarray(batch))


def collate_float_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Python floats become float64, as in PyTorch."""
    return Tensor._wrap(np.asarray(batch, dtype=np.float64))


def collate_int_fn(batch, *, collate_fn_map=None) -> Tensor:
    """Python ints become int64 (bools, bool), as ``torch.tensor`` makes them."""
    if all(isinstance(b, bool) for b in batch):
        return Tensor._wrap(np.asarray(batch, dtype=np.bool_))
    return Tensor._wrap(np.asarray(batch, dtype=np.int64))


def collate_str_fn(batch, *, collate_fn_map=None):
    """Strings and bytes stay a list."""
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def collate(batch: Sequence, *, collate_fn_map: dict | None = None):
    """Collate ``batch`` (a list of samples) by the first matching entry of ``collate_fn_map``
    (exact type first, then ``isinstance``), recursing into mappings and sequences."""
    elem = batch[0]
    if collate_fn_map is not None:
        if type(elem) in collate_fn_map:
            return collate_fn_map[type(elem)](batch, collate_fn_map=collate_fn_map)
        for kind, fn in collate_fn_map.items():
            if isinstance(elem, kind):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, Mapping):
        columns = {
            key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem
        }
        return _same_kind_of_mapping(elem, columns)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return type(elem)(
            *(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch, strict=True))
        )
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch, strict=True)]
        return columns if isinstance(elem, tuple) else _same_kind_of_sequence(elem, columns)
    raise TypeError(_ERROR.format(type(elem)))


def _same_kind_of_mapping(elem: Mapping, columns: dict):
    try:
        if isinstance(elem, MutableMapping):
            clone = copy.copy(elem)
            clone.update(columns)
            return clone
        return type(elem)(columns)
    except TypeError:  # a mapping type that cannot be built from a dict
        return columns


def _same_kind_of_sequence(elem: Sequence, columns: list):
    try:
        if isinstance(elem, MutableSequence):
            clone = copy.copy(elem)
            for i, column in enumerate(columns):
                clone[i] = column
            return clone
        return type(elem)(columns)
    except TypeError:
        return columns


def default_collate(batch: Sequence):
    """PyTorch's ``default_collate``: tensors and arrays stacked to ``(N, *shape)``, numbers to
    ``(N,)`` tensors (ints int64, floats float64), strings kept as lists, containers collated
    element by element."""
    return collate(batch, collate_fn_map=default_collate_fn_map)


def default_convert(data):
    """PyTorch's ``default_convert`` (for ``batch_size=None``): NumPy arrays and scalars become
    tensors, containers are converted element by element, anything else is left as it is."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray | np.generic) and not isinstance(data, np.str_ | np.bytes_):
        if isinstance(data, np.ndarray) and _NOT_NUMERIC.search(data.dtype.str) is not None:
            return data
        return _tensor(np.asarray(data))
    if isinstance(data, Mapping):
        return _same_kind_of_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, Sequence) and not isinstance(data, str | bytes):
        return _same_kind_of_sequence(data, [default_convert(d) for d in data])
    return data
