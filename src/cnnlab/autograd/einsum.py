"""``einsum``: sums of products over named indices, e.g. ``einsum('bij,bjk->bik', a, b)``.

The gradient of operand i is itself an einsum: the output gradient times every other operand,
summed to operand i's indices (indices only operand i has, and sums away, are broadcast back).
"""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.function import Function
from cnnlab.autograd.tensor import Tensor
from cnnlab.autograd.types import promote


def parse(equation: str, count: int) -> tuple[list[str], str]:
    """The subscripts of each operand and of the output (implicit output: the indices that
    appear once, sorted, as NumPy and PyTorch)."""
    equation = equation.replace(" ", "")
    if "." in equation:
        raise NotImplementedError("einsum with '...' (ellipsis)")
    inputs, arrow, output = equation.partition("->")
    subscripts = inputs.split(",")
    if len(subscripts) != count:
        raise ValueError(
            f"einsum(): the equation names {len(subscripts)} operands but {count} were given"
        )
    if not arrow:
        letters = "".join(subscripts)
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    for s in subscripts:
        if len(set(s)) != len(s):
            raise NotImplementedError(f"einsum with a repeated index in one operand ({s!r})")
    return subscripts, output


class EinSum(Function):
    def forward(self, *arrays, subscripts, output):
        dtype = arrays[0].dtype
        for a in arrays[1:]:
            dtype = promote(np.empty(1, dtype), a)
        arrays = [a.astype(dtype, copy=False) for a in arrays]
        self.arrays, self.subscripts, self.output = arrays, subscripts, output
        return np.asarray(np.einsum(",".join(subscripts) + "->" + output, *arrays))

    def backward(self, grad):
        grads = []
        for i, (array, mine) in enumerate(zip(self.arrays, self.subscripts, strict=True)):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [
                (a, s)
                for j, (a, s) in enumerate(zip(self.arrays, self.subscripts, strict=True))
                if j != i
            ]
            present = set(self.output).union(*(s for _, s in others))
            kept = "".join(c for c in mine if c in present)
            terms = ",".join([self.output, *(s for _, s in others)]) + "->" + kept
            partial = np.einsum(terms, grad, *(a for a, _ in others))
            shape = [array.shape[k] if c in present else 1 for k, c in enumerate(mine)]
            grads.append(np.broadcast_to(partial.reshape(shape), array.shape))
        return tuple(grads)


def einsum(equation: str, *operands) -> Tensor:
    """Sums of products over the indices named in ``equation`` (``'ij,jk->ik'`` is a matrix
    product); operands as arguments or one list."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    subscripts, output = parse(equation, len(operands))
    for t, s in zip(operands, subscripts, strict=True):
        if t.ndim != len(s):
            raise RuntimeError(
                f"einsum(): the operand with subscripts {s!r} has {t.ndim} dimensions"
            )
    return EinSum.apply(*operands, subscripts=subscripts, output=output)
