"""The exercises' arithmetic: the output shape (eq. 8.1) and parameter count (Table 8.1) of a
stack of layers described in words, e.g. ``conv f=6 s=2 p=1 n=10`` then ``pool f=2 s=2``.

Example (exercise 3a):
    >>> rows = propagate((3, 64, 64), parse_layers("conv f=6 s=2 p=1 n=10".split()))
    >>> rows[0].output_shape, rows[0].parameters
    ((10, 31, 31), 1090)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cnnlab.ops.shapes import (
    batch_norm_parameter_count,
    conv_parameter_count,
    linear_parameter_count,
    output_size,
)

KINDS = {
    "conv": "conv",
    "pool": "maxpool",
    "maxpool": "maxpool",
    "max": "maxpool",
    "avgpool": "avgpool",
    "avg": "avgpool",
    "fc": "fc",
    "linear": "fc",
    "bn": "bn",
    "batchnorm": "bn",
    "flatten": "flatten",
    "relu": "act",
    "tanh": "act",
    "sigmoid": "act",
}
KEYS = {
    "f": "f",
    "k": "f",
    "kernel": "f",
    "s": "s",
    "stride": "s",
    "p": "p",
    "pad": "p",
    "padding": "p",
    "n": "n",
    "c": "n",
    "out": "n",
    "channels": "n",
    "features": "n",
}
ALLOWED = {
    "conv": "fspn",
    "maxpool": "fsp",
    "avgpool": "fsp",
    "fc": "n",
    "bn": "",
    "flatten": "",
    "act": "",
}
REQUIRED = {"conv": "fn", "fc": "n"}
POOL_WINDOW = 2  # pool and avgpool without f=: the usual 2 x 2 window (stride 2)


@dataclass(frozen=True)
class Layer:
    """One parsed layer: the word that named it, its kind and its integer arguments."""

    word: str
    kind: str
    args: dict[str, int]

    def __str__(self) -> str:
        return " ".join([self.word, *(f"{k}={v}" for k, v in self.args.items())])


@dataclass(frozen=True)
class ShapeRow:
    """A layer with its input and output shapes ([C, H, W] or [features]), its parameter count
    and how both were computed."""

    layer: Layer
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    parameters: int
    formula: str


def parse_shape(text: str) -> tuple[int, ...]:
    """``"3x64x64"`` (or ``3,64,64`` or ``[3, 64, 64]``) -> ``(3, 64, 64)``.

    C x H x W, or a single feature count."""
    match = re.fullmatch(r"\s*\[?\s*(\d+(?:\s*[x,]\s*\d+){0,2})\s*\]?\s*", text.lower())
    parts = re.split(r"\s*[x,]\s*", match.group(1)) if match else []
    if not parts or not all(int(p) > 0 for p in parts):
        raise ValueError(f"a shape is C x H x W such as 3x32x32 (or a feature count), got {text!r}")
    return tuple(int(p) for p in parts)


def parse_layers(tokens: Sequence[str]) -> list[Layer]:
    """Parse ``conv f=6 s=2 p=1 n=10 pool f=2 ...``: a layer word, then its ``key=value``s.

    Tokens may also come several to an argument (``"conv f=6 s=2"`` quoted as one), separated
    by spaces or commas. A key given twice for one layer (also under two of its names, such as
    ``f=`` and ``k=``) is an error.
    """
    layers: list[Layer] = []
    for token in (t for text in tokens for t in re.split(r"[\s,]+", text) if t):
        word = token.lower()
        if "=" not in word:
            if word not in KINDS:
                raise ValueError(f"unknown layer {token!r}; expected one of {', '.join(KINDS)}")
            layers.append(Layer(word, KINDS[word], {}))
            continue
        if not layers:
            raise ValueError(f"{token!r} comes before any layer; write e.g. 'conv f=3 n=16'")
        add_argument(layers[-1], word)
    for layer in layers:
        missing = [k for k in REQUIRED.get(layer.kind, "") if k not in layer.args]
        if missing:
            raise ValueError(f"{layer}: missing {', '.join(f'{k}=' for k in missing)}")
        if layer.kind in ("maxpool", "avgpool"):
            layer.args.setdefault("f", POOL_WINDOW)
    return layers


def add_argument(layer: Layer, word: str) -> None:
    """Add ``key=value`` to ``layer``, checking the key, the value and that it is new."""
    key, _, value = word.partition("=")
    name = KEYS.get(key)
    if name is None or name not in ALLOWED[layer.kind]:
        allowed = ", ".join(k for k, v in KEYS.items() if v in ALLOWED[layer.kind]) or "none"
        raise ValueError(f"{layer.word}: unknown argument {key!r} (allowed: {allowed})")
    if not value.isdigit():
        raise ValueError(f"{layer.word}: {key} must be a non-negative integer, got {value!r}")
    if name in layer.args:
        raise ValueError(
            f"{layer}: {key}= given twice (already {name}={layer.args[name]}); give it once"
        )
    layer.args[name] = int(value)


def propagate(shape: tuple[int, ...], layers: Sequence[Layer]) -> list[ShapeRow]:
    """The shape after each layer, by eq. (8.1), and its parameters, by Table 8.1."""
    rows = []
    for layer in layers:
        output, parameters, formula = apply(layer, shape)
        rows.append(ShapeRow(layer, shape, output, parameters, formula))
        shape = output
    return rows


def apply(layer: Layer, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int, str]:
    """Output shape, parameters and the arithmetic of one layer on an input of ``shape``."""
    a = layer.args
    if layer.kind in ("fc", "flatten"):
        features = 1
        for n in shape:
            features *= n
        if layer.kind == "flatten":
            return (features,), 0, f"{' * '.join(map(str, shape))} = {features}"
        count = linear_parameter_count(features, a["n"])
        return (a["n"],), count, f"params ({features} + 1) * {a['n']} = {count:,}"
    if layer.kind in ("act", "bn"):
        count = batch_norm_parameter_count(shape[0]) if layer.kind == "bn" else 0
        return shape, count, f"params 2 * {shape[0]} = {count}" if layer.kind == "bn" else ""
    if len(shape) != 3:
        raise ValueError(f"{layer}: needs a C x H x W input, got {list(shape)}")
    c, h, w = shape
    f, s, p = a["f"], a.get("s", 1 if layer.kind == "conv" else a["f"]), a.get("p", 0)
    if f < 1 or s < 1:
        raise ValueError(f"{layer}: f and s must be >= 1")
    if layer.kind != "conv" and p > f // 2:
        raise ValueError(
            f"{layer}: padding p={p} is more than half the window f={f}; PyTorch's pooling "
            f"refuses it (p must be at most {f // 2})"
        )
    try:
        oh, ow = output_size(h, f, s, p), output_size(w, f, s, p)
    except ValueError as error:
        raise ValueError(f"{layer} on {list(shape)}: {error}") from error
    side = f"floor(({h} + 2*{p} - {f}) / {s} + 1) = {oh}"
    if layer.kind != "conv":
        return (c, oh, ow), 0, f"{side}; no parameters"
    count = conv_parameter_count(c, a["n"], f)
    return (a["n"], oh, ow), count, f"{side}; params ({c}*{f}*{f} + 1) * {a['n']} = {count:,}"


def format_rows(rows: Sequence[ShapeRow]) -> str:
    """A table of layer, input, output and parameters, each row followed by its arithmetic,
    and the total."""
    from cnnlab.models.summary import format_shape

    table = [("layer", "input", "output", "parameters")]
    for r in rows:
        shapes = (format_shape(r.input_shape), format_shape(r.output_shape))
        table.append((str(r.layer), *shapes, f"{r.parameters:,}"))
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = []
    for index, row in enumerate(table):
        cells = "  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=False))
        formula = rows[index - 1].formula if index else ""
        lines.append(f"{cells}  {row[3].rjust(widths[3])}" + (f"   {formula}" if formula else ""))
    lines.append(f"total parameters: {sum(r.parameters for r in rows):,}")
    return "\n".join(lines)
