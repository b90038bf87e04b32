"""What the ONNX importers share: the node being loaded, the op table, window geometry and
constant padding on engine tensors."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import helper

import cnnlab
from cnnlab.autograd.tensor import Tensor
from cnnlab.onnx.errors import OnnxImportError

Run = Callable[[list], Any]
IMPORTERS: dict[str, Callable[[Node], Run]] = {}


def importer(*op_types: str) -> Callable:
    """Register the decorated factory as the importer of the ONNX ops ``op_types``."""

    def register(factory: Callable[[Node], Run]) -> Callable[[Node], Run]:
        for op_type in op_types:
            IMPORTERS[op_type] = factory
        return factory

    return register


@dataclass
class Node:
    """One node of the graph being loaded, with its attributes as Python values."""

    proto: onnx.NodeProto
    file: str
    opset: int
    attrs: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.attrs = {}
        for attribute in self.proto.attribute:
            value = helper.get_attribute_value(attribute)
            self.attrs[attribute.name] = value.decode() if isinstance(value, bytes) else value

    @property
    def name(self) -> str:
        return self.proto.name or f"{self.op_type} -> {', '.join(self.outputs)}"

    @property
    def op_type(self) -> str:
        return self.proto.op_type

    @property
    def inputs(self) -> list[str]:
        return list(self.proto.input)

    @property
    def outputs(self) -> list[str]:
        return list(self.proto.output)

    def attr(self, key: str, default=None):
        return self.attrs.get(key, default)

    def fail(self, reason: str) -> OnnxImportError:
        """The error for this node: it names the file, the node and the op."""
        return OnnxImportError(f"{self.file}: node {self.name!r} ({self.op_type}): {reason}")


def static(t: Tensor) -> list[int]:
    """A small integer tensor (a shape, axes, pads) as Python ints."""
    return [int(v) for v in np.asarray(t._data).reshape(-1)]


def window(node: Node) -> tuple[list[int], list[int]]:
    """Strides and dilations of a 2-D convolution or pooling node."""
    kernel = node.attr("kernel_shape")
    if kernel is not None and len(kernel) != 2:
        raise node.fail(f"a {len(kernel)}-D window (only 2-D, kernel_shape {list(kernel)})")
    return list(node.attr("strides", [1, 1])), list(node.attr("dilations", [1, 1]))


def window_pads(node: Node, spatial, kernel, strides, dilations) -> tuple:
    """``((top, left), (bottom, right))`` from ``pads`` or ``auto_pad``."""
    auto = node.attr("auto_pad", "NOTSET")
    if auto in ("NOTSET", "VALID"):
        pads = list(node.attr("pads", [0, 0, 0, 0])) if auto == "NOTSET" else [0, 0, 0, 0]
        return (pads[0], pads[1]), (pads[2], pads[3])
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise node.fail(f"auto_pad {auto!r}")
    begins, ends = [], []
    for n, k, s, d in zip(spatial, kernel, strides, dilations, strict=True):
        total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
        small = total // 2
        begins.append(small if auto == "SAME_UPPER" else total - small)
        ends.append(total - begins[-1])
    return tuple(begins), tuple(ends)


def pad(x: Tensor, pads: list[int], fill: float) -> Tensor:
    """``x`` padded with ``fill`` (ONNX's ``pads``: every axis' begin, then every axis' end;
    negative values crop), by concatenation, so that gradients flow."""
    ndim = x.ndim
    for axis in range(ndim):
        begin, end = pads[axis], pads[ndim + axis]
        if begin < 0 or end < 0:
            index = [slice(None)] * ndim
            index[axis] = slice(max(-begin, 0), x.shape[axis] - max(-end, 0))
            x = x[tuple(index)]
        parts = [_block(x, axis, begin, fill), x, _block(x, axis, end, fill)]
        parts = [p for p in parts if p is not None]
        if len(parts) > 1:
            x = cnnlab.cat(parts, dim=axis)
    return x


def _block(x: Tensor, axis: int, size: int, fill: float) -> Tensor | None:
    if size <= 0:
        return None
    shape = list(x.shape)
    shape[axis] = size
    return Tensor._wrap(np.full(shape, fill, dtype=x.dtype))
