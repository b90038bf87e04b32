"""ONNX pooling on the engine: MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool."""

from __future__ import annotations

from cnnlab.nn import functional as F
from cnnlab.onnx.import_node import Node, Run, importer, pad, window, window_pads
from cnnlab.ops.shapes import output_size


def _kernel(node: Node) -> list[int]:
    kernel = node.attr("kernel_shape")
    if kernel is None:
        raise node.fail("kernel_shape is missing")
    return list(kernel)


@importer("MaxPool")
def max_pool(node: Node) -> Run:
    """Eq. (8.13); padding the engine's pooling cannot take (asymmetric, or more than half the
    kernel) is applied first as -inf."""
    kernel, (strides, dilations) = _kernel(node), window(node)
    ceil_mode = bool(node.attr("ceil_mode", 0))
    if len(node.outputs) > 1 and node.outputs[1]:
        raise node.fail("its indices output is not supported")

    def run(inputs):
        x = inputs[0]
        begin, end = window_pads(node, x.shape[2:], kernel, strides, dilations)
        padding = begin
        if begin != end or any(2 * p > k for p, k in zip(begin, kernel, strict=True)):
            x, padding = pad(x, [0, 0, *begin, 0, 0, *end], float("-inf")), (0, 0)
        return F.max_pool2d(x, kernel, strides, padding, dilations, ceil_mode=ceil_mode)

    return run


@importer("AveragePool")
def average_pool(node: Node) -> Run:
    """Eq. (8.16). With ``count_include_pad`` the zeros are padded first and counted; without,
    padding that grows only at the end is PyTorch's ceil_mode windows, which divide by what
    they cover."""
    kernel, (strides, dilations) = _kernel(node), window(node)
    if dilations != [1, 1]:
        raise node.fail(f"dilations {dilations} (average pooling has none in cnnlab)")
    ceil_mode = bool(node.attr("ceil_mode", 0))
    include = bool(node.attr("count_include_pad", 0))

    def run(inputs):
        x = inputs[0]
        begin, end = window_pads(node, x.shape[2:], kernel, strides, dilations)
        if include and any(begin + end):
            x = pad(x, [0, 0, *begin, 0, 0, *end], 0.0)
            begin = end = (0, 0)
        if begin == end and all(2 * p <= k for p, k in zip(begin, kernel, strict=True)):
            return F.avg_pool2d(x, kernel, strides, begin, ceil_mode, count_include_pad=include)
        expected = [
            output_size(n, k, s, (b, e), ceil_mode=ceil_mode)
            for n, k, s, b, e in zip(x.shape[2:], kernel, strides, begin, end, strict=True)
        ]
        y = F.avg_pool2d(x, kernel, strides, begin, ceil_mode=True, count_include_pad=False)
        if list(y.shape[2:]) != expected:
            raise node.fail(f"pads {[*begin, *end]} with count_include_pad=0")
        return y

    return run


@importer("GlobalAveragePool")
def global_average_pool(node: Node) -> Run:
    return lambda inputs: inputs[0].mean(dim=tuple(range(2, inputs[0].ndim)), keepdim=True)


@importer("GlobalMaxPool")
def global_max_pool(node: Node) -> Run:
    def run(inputs):
        x = inputs[0]
        values = x.flatten(2).max(dim=2, keepdim=True)[0]
        return values.reshape(*x.shape[:2], *([1] * (x.ndim - 2)))

    return run
