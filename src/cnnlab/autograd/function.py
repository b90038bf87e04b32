"""The graph: each differentiable op is a ``Function`` node; ``backward`` walks them in reverse.

A ``Function`` subclass defines ``forward`` on NumPy arrays and ``backward``, which maps the
gradient of its output to one gradient per input (``None`` where an input needs none). This is
the whole autograd: record nodes on the way forward, sort them topologically, apply the chain rule
on the way back.
"""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.grad_mode import _GradMode

_NOTHING_NEEDED = [(False,) * n for n in range(16)]


class Function:
    """One recorded op: ``inputs`` are its arguments, ``needs_input_grad`` which want gradients."""

    inputs: tuple = ()
    needs_input_grad: tuple[bool, ...] = ()

    def forward(self, *args, **options) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...] | np.ndarray | None:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **options):
        """Run ``forward`` on the inputs' arrays and, when recording, link the output to ``self``.

        Positional ``inputs`` are Tensors (or None); everything else goes in ``options``.
        """
        fn = cls()
        record = _GradMode.enabled and any(t is not None and t.requires_grad for t in inputs)
        if record:
            fn.needs_input_grad = tuple(t is not None and t.requires_grad for t in inputs)
        else:
            fn.needs_input_grad = _NOTHING_NEEDED[len(inputs)]
        out = fn.forward(*[None if t is None else t._data for t in inputs], **options)
        result = Tensor._wrap(out, record)
        if record:
            fn.inputs = inputs
            result.grad_fn = fn
        return result

    @property
    def name(self) -> str:
        return f"{type(self).__name__}Backward"

    def __repr__(self) -> str:
        return f"<{self.name}>"


def _topological_order(root: Function) -> list[Function]:
    """Nodes reachable from ``root``, each after every node that consumes its output."""
    order: list[Function] = []
    visited = {id(root)}
    stack = [(root, iter(root.inputs))]
    while stack:
        node, parents = stack[-1]
        for t in parents:
            fn = None if t is None else t.grad_fn
            if fn is not None and id(fn) not in visited:
                visited.add(id(fn))
                stack.append((fn, iter(fn.inputs)))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


def run_backward(root, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Backpropagate ``grad`` from tensor ``root`` to every leaf that requires a gradient."""
    if root.grad_fn is None or root._retains_grad:
        root._accumulate_grad(grad)
    if root.grad_fn is None:
        return
    grads = {id(root.grad_fn): grad}
    for fn in _topological_order(root.grad_fn):
        grad_out = grads.pop(id(fn), None)
        if grad_out is None:
            continue
        if not fn.inputs:
            raise RuntimeError(
                "Trying to backward through the graph a second time; pass retain_graph=True "
                "to the first backward() call"
            )
        input_grads = fn.backward(grad_out)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for t, g, needed in zip(fn.inputs, input_grads, fn.needs_input_grad, strict=False):
            if not needed or g is None:
                continue
            if t.grad_fn is None:
                t._accumulate_grad(g)
                continue
            if t._retains_grad:
                t._accumulate_grad(g)
            key = id(t.grad_fn)
            grads[key] = g if key not in grads else grads[key] + g
        if not retain_graph:
            fn.__dict__.clear()
            fn.inputs = ()


from cnnlab.autograd.tensor import Tensor  # noqa: E402  (the two modules refer to each other)


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, **unsupported) -> None:
    """``torch.autograd.backward``: the gradients of several outputs at once, summed in every
    leaf's ``.grad`` (as ``sum(t.backward(g))`` would, with the shared graph kept until the last).

    ``tensors`` is a tensor or a sequence; ``grad_tensors`` the matching gradients (``None``
    for a scalar output).
    """
    for name, value in unsupported.items():
        if value not in (None, False):
            raise NotImplementedError(f"cnnlab.autograd.backward: {name}= is not supported")
    outputs = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grads = [grad_tensors] * len(outputs) if grad_tensors is None else [grad_tensors]
    else:
        grads = list(grad_tensors)
    if len(grads) != len(outputs):
        raise ValueError(
            f"backward: got {len(grads)} grad_tensors for {len(outputs)} tensors; give one each"
        )
    for index, (output, grad) in enumerate(zip(outputs, grads, strict=True)):
        last = index == len(outputs) - 1
        output.backward(grad, retain_graph=bool(retain_graph) or not last)
