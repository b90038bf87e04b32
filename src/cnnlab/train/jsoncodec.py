"""JSON for the small Python structures in optimizer and scheduler states, and strict JSON
(no ``NaN``) for the reports a user reads.

Plain JSON loses tuples (``betas``), ``Counter`` (``MultiStepLR.milestones``) and dicts with
int keys; these are written as one-key tagged objects and restored exactly, so a resumed run
sees the same values. Nothing is ever evaluated or imported while decoding: an unknown tag is
just a dict.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np

TUPLE, COUNTER, ITEMS = "__tuple__", "__counter__", "__items__"
TAGS = (TUPLE, COUNTER, ITEMS)


def to_jsonable(value: Any) -> Any:
    """``value`` with tuples, counters, non-string keys and NumPy scalars made JSON-ready."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    if isinstance(value, tuple):
        return {TUPLE: [to_jsonable(v) for v in value]}
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Counter):
        return {COUNTER: [[to_jsonable(k), n] for k, n in value.items()]}
    if isinstance(value, dict):
        if all(isinstance(k, str) and k not in TAGS for k in value):
            return {k: to_jsonable(v) for k, v in value.items()}
        return {ITEMS: [[to_jsonable(k), to_jsonable(v)] for k, v in value.items()]}
    raise TypeError(f"cannot store a {type(value).__name__} in a checkpoint: {value!r}")


def from_jsonable(value: Any) -> Any:
    """Undo :func:`to_jsonable`."""
    if isinstance(value, list):
        return [from_jsonable(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, content),) = value.items()
        if tag == TUPLE:
            return tuple(from_jsonable(v) for v in content)
        if tag == COUNTER:
            return Counter({from_jsonable(k): n for k, n in content})
        if tag == ITEMS:
            return {from_jsonable(k): from_jsonable(v) for k, v in content}
    return {k: from_jsonable(v) for k, v in value.items()}


def dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value))


def loads(text: str) -> Any:
    return from_jsonable(json.loads(text))


NOT_FINITE = "not_finite"


def strict(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` fit for strict JSON: every float that is NaN or infinite becomes ``null`` and
    its place is listed under ``"not_finite"`` (``"loss"``, ``"per_class.cat.accuracy"``), so
    a reader knows a ``null`` there means a diverged number, not a missing one."""
    places: list[str] = []

    def clean(item: Any, place: str) -> Any:
        if isinstance(item, float | np.floating) and not np.isfinite(item):
            places.append(place)
            return None
        if isinstance(item, dict):
            return {k: clean(v, f"{place}.{k}" if place else str(k)) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [clean(v, f"{place}[{i}]") for i, v in enumerate(item)]
        return item

    cleaned = clean(value, "")
    if places:
        cleaned[NOT_FINITE] = places
    return cleaned


def strict_dumps(value: dict[str, Any], **options: Any) -> str:
    """``json.dumps`` of :func:`strict` ``(value)``; never writes ``NaN`` or ``Infinity``."""
    return json.dumps(strict(value), allow_nan=False, **options)
