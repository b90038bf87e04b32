"""Where a feature-map cell looks: each layer's window geometry and the receptive field.

A conv or pooling layer reads, for output row ``i``, the input rows ``i*s - p`` to
``i*s - p + d*(f - 1)`` (eq. 8.2 with the zero padding ``p`` taken off, as in eq. 8.1's
geometry); a layer that keeps the spatial size (activations, batch norm, dropout) reads the same
cell. Following those ranges back to the image, through every layer whose output the cell's
layer read, gives the cell's receptive field.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnlab.ops.shapes import conv_padding, pair
from cnnlab.serve.trace import LayerCall

CONV_KINDS = ("Conv2d",)
POOL_KINDS = ("MaxPool2d", "AvgPool2d")


@dataclass(frozen=True)
class Window:
    """The window a layer's output cell reads, per axis ``(rows, columns)``.

    Attributes:
        kernel: ``f``; stride: ``s``; dilation: ``d``;
        padding: ``((top, bottom), (left, right))`` zeros (or -inf for max pooling) around the
            input.
    """

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[tuple[int, int], tuple[int, int]]
    dilation: tuple[int, int]

    def read(self, axis: int, indices: set[int], size: int) -> set[int]:
        """The input rows (``axis`` 0) or columns (1) that the output ``indices`` read, those
        on the input of ``size`` only (eq. 8.2: ``i*s + u*d`` in padded coordinates)."""
        s, p, d = self.stride[axis], self.padding[axis][0], self.dilation[axis]
        read = {i * s - p + u * d for i in indices for u in range(self.kernel[axis])}
        return {r for r in read if 0 <= r < size}

    def span(self, axis: int, index: int) -> tuple[int, int]:
        """The first and last input row (or column) output ``index`` reads, padding included."""
        s, p, d, f = (
            self.stride[axis],
            self.padding[axis][0],
            self.dilation[axis],
            self.kernel[axis],
        )
        return index * s - p, index * s - p + d * (f - 1)


def layer_window(call: LayerCall) -> Window | None:
    """The window of a conv or pooling layer; None for any other layer."""
    module = call.module
    if call.kind in CONV_KINDS:
        kernel, stride, dilation = module.kernel_size, module.stride, module.dilation
        padding = conv_padding(module.padding, kernel, dilation, stride)
        return Window(tuple(kernel), tuple(stride), padding, tuple(dilation))
    if call.kind in POOL_KINDS:
        kernel = pair(module.kernel_size, "kernel_size")
        stride = pair(module.stride or module.kernel_size, "stride")
        ph, pw = pair(module.padding, "padding", minimum=0)
        dilation = pair(getattr(module, "dilation", 1), "dilation")
        return Window(kernel, stride, ((ph, ph), (pw, pw)), dilation)
    return None


def spatial_shape(array) -> tuple[int, int] | None:
    """``(H, W)`` of an ``(N, C, H, W)`` array, else None."""
    return tuple(array.shape[2:]) if array.ndim == 4 else None


def direct_source(calls: list[LayerCall], index: int, image_id: int) -> int | None:
    """The call whose very output tensor layer ``index`` read (-1: the image), or None when
    its input was made outside modules."""
    call = calls[index]
    if call.input_id == image_id:
        return -1
    for earlier in range(index - 1, -1, -1):
        if calls[earlier].output_id == call.input_id:
            return earlier
    return None


def sources(calls: list[LayerCall], index: int, image_id: int, image_shape) -> list[int]:
    """The calls (-1: the image) whose outputs flowed into layer ``index``'s input.

    An input made outside modules (``F.relu(self.conv1(x))``, ``x + shortcut``, ``torch.cat``)
    is taken to come from every earlier output of the same spatial size that no module read:
    such ops work element by element, or along channels, so they keep the geometry, and the
    field is the union over those sources. An input an earlier layer also read (the two
    branches of a residual block) has that layer's sources.
    """
    direct = direct_source(calls, index, image_id)
    if direct is not None:
        return [direct]
    for earlier in range(index):
        if calls[earlier].input_id == calls[index].input_id:  # a tensor two layers read
            return sources(calls, earlier, image_id, image_shape)
    shape = spatial_shape(calls[index].input)
    consumed = {call.input_id for call in calls[:index]}
    found = [
        earlier
        for earlier in range(index)
        if calls[earlier].output_id not in consumed
        and spatial_shape(calls[earlier].output) == shape
    ]
    if image_id not in consumed and tuple(image_shape[-2:]) == shape:
        found.append(-1)
    return found


Lines = tuple[frozenset[int], frozenset[int]]  # the rows and the columns a cell depends on


def union(lines: Lines | None, other: Lines) -> Lines:
    return other if lines is None else (lines[0] | other[0], lines[1] | other[1])


def receptive_field(
    calls: list[LayerCall], index: int, row: int, col: int, image_id: int, image_shape
) -> dict[str, int] | None:
    """The input pixels that output cell ``(row, col)`` of layer ``index`` depends on, as the
    box ``{"top", "bottom", "left", "right"}`` (inclusive) around them, or None when a layer on
    the way has no known geometry (a flatten or a linear layer reads everything).

    Walks the layers backwards once, carrying for each the rows and columns of its output that
    matter (with dilation they need not be contiguous).
    """
    needed: dict[int, Lines] = {index: (frozenset([row]), frozenset([col]))}
    field: Lines | None = None
    for current in range(index, -1, -1):
        if current not in needed:
            continue
        rows, cols = needed.pop(current)
        call = calls[current]
        window = layer_window(call)
        if window is None and spatial_shape(call.input) != spatial_shape(call.output):
            return None
        if window is not None:
            height, width = call.input.shape[2:]
            rows = frozenset(window.read(0, rows, height))
            cols = frozenset(window.read(1, cols, width))
        found = sources(calls, current, image_id, image_shape)
        if not found:
            return None
        for source in found:
            if source == -1:
                field = union(field, (rows, cols))
            else:
                needed[source] = union(needed.get(source), (rows, cols))
    if field is None or not field[0] or not field[1]:
        return None
    (rows, cols) = field
    return {"top": min(rows), "bottom": max(rows), "left": min(cols), "right": max(cols)}
