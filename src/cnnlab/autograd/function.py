"""The graph: each differentiable op is a ``Function`` node; ``backward`` walks them in reverse.

A ``Function`` subclass defines ``forward`` on NumPy arrays and ``backward``, which maps the
gradient of its output to one gradient per input (``None`` where an input needs none). This is
the whole autograd: record nodes on the way forward, sort them topologically, apply the chain rule
on the way back.
"""

from __future__ import annotations

import numpy as np

from cnnlab.autograd import anomaly
from cnnlab.autograd.anomaly import _Anomaly
from cnnlab.autograd.grad_mode import _GradMode
from cnnlab.autograd.versions import Clock, check_saved
from cnnlab.ops.floating import quietly

_NOTHING_NEEDED = [(False,) * n for n in range(16)]


class Function:
    """One recorded op: ``inputs`` are its arguments, ``needs_input_grad`` which want gradients.

    ``edges`` are the ops that made the inputs when this one was recorded (an in-place op
    gives a tensor a new history afterwards; the gradient still goes to the old one), ``stamp``
    the time it was recorded (see ``versions``), ``hooks`` the functions that see (and may
    replace) the gradient of its output.
    """

    inputs: tuple = ()
    edges: tuple = ()
    needs_input_grad: tuple[bool, ...] = ()
    stamp = 0
    hooks: list | None = None
    overwritten: str | None = None

    def forward(self, *args, **options) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...] | np.ndarray | None:
        raise NotImplementedError

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        # torch.autograd.Function as users subclass it: forward(ctx, ...) a static method
        cls._with_context = isinstance(cls.__dict__.get("forward"), staticmethod) or getattr(
            cls, "_with_context", False
        )

    _with_context = False

    @classmethod
    @quietly
    def apply(cls, *inputs, **options):
        """Run ``forward`` on the inputs' arrays and, when recording, link the output to ``self``.

        Positional ``inputs`` are Tensors (or None); everything else goes in ``options``. A
        subclass written as PyTorch's (``forward(ctx, ...)`` static) runs on Tensors instead
        (``custom_function``).
        """
        if cls._with_context:
            from cnnlab.autograd.custom_function import apply_with_context

            return apply_with_context(cls, *inputs, **options)
        fn = cls()
        record = _GradMode.enabled and any(t is not None and t.requires_grad for t in inputs)
        if record:
            fn.needs_input_grad = tuple(t is not None and t.requires_grad for t in inputs)
        else:
            fn.needs_input_grad = _NOTHING_NEEDED[len(inputs)]
        out = fn.forward(*[None if t is None else t._data for t in inputs], **options)
        if _Anomaly.enabled:
            anomaly.check_forward(fn, out)
        result = Tensor._wrap(out, record)
        if record:
            fn.inputs = inputs
            fn.edges = [None if t is None else t.grad_fn for t in inputs]
            fn.stamp = Clock.now
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
    stack = [(root, iter(root.edges))]
    while stack:
        node, parents = stack[-1]
        for fn in parents:
            if fn is not None and id(fn) not in visited:
                visited.add(id(fn))
                stack.append((fn, iter(fn.edges)))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()
    return order


@quietly
def run_backward(root, grad: np.ndarray, retain_graph: bool = False) -> None:
    """Backpropagate ``grad`` from tensor ``root`` to every leaf that requires a gradient."""
    leaves = LeafGradients()
    if root.grad_fn is None or root._retains_grad:
        leaves.add(root, grad) if root.grad_fn is None else root._accumulate_grad(grad)
    if root.grad_fn is not None:
        _propagate(root.grad_fn, grad, retain_graph, leaves)
    leaves.finish()


def _propagate(start: Function, grad: np.ndarray, retain_graph: bool, leaves) -> None:
    grads = {id(start): grad}
    for fn in _topological_order(start):
        grad_out = grads.pop(id(fn), None)
        if grad_out is None:
            continue
        if not fn.inputs:
            raise RuntimeError(
                "Trying to backward through the graph a second time; pass retain_graph=True "
                "to the first backward() call"
            )
        if fn.stamp < Clock.now:
            check_saved(fn)
        if fn.hooks is not None:
            grad_out = run_hooks(fn.hooks, grad_out)
        input_grads = fn.backward(grad_out)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if _Anomaly.enabled:
            anomaly.check_backward(fn, input_grads, fn.needs_input_grad)
        for t, edge, g, needed in zip(
            fn.inputs, fn.edges, input_grads, fn.needs_input_grad, strict=False
        ):
            if not needed or g is None:
                continue
            if edge is None:
                leaves.add(t, g)
                continue
            if t._retains_grad and t.grad_fn is edge:
                t._accumulate_grad(g)
            key = id(edge)
            grads[key] = g if key not in grads else grads[key] + g
        if not retain_graph:
            fn.__dict__.clear()
            fn.inputs = ()


class LeafGradients:
    """Adds gradients into leaves' ``.grad``; a leaf with hooks gets the total of one backward
    pass, run through its hooks, at the end (as PyTorch calls a hook once per pass)."""

    active = False  # whether any leaf ever had a hook: until then, no look-up at all

    def __init__(self) -> None:
        self.pending: dict[int, list] = {}

    def add(self, t, g: np.ndarray) -> None:
        if LeafGradients.active and _leaf_hooks(t):
            entry = self.pending.get(id(t))
            if entry is None:
                self.pending[id(t)] = [t, g]
            else:
                entry[1] = entry[1] + g
            return
        t._accumulate_grad(g)

    def finish(self) -> None:
        for t, g in self.pending.values():
            t._accumulate_grad(run_hooks(_leaf_hooks(t), g))


def _leaf_hooks(t):
    meta = getattr(t, "_meta", None)
    return None if meta is None else meta.hooks


def run_hooks(hooks, grad: np.ndarray) -> np.ndarray:
    """Call each hook with the gradient (a Tensor); one that returns a tensor replaces it."""
    for hook in list(hooks):
        replaced = hook(Tensor._wrap(grad))
        if replaced is not None:
            array = replaced._data if isinstance(replaced, Tensor) else np.asarray(replaced)
            if array.shape != grad.shape:
                raise RuntimeError(
                    f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape "
                    f"{array.shape}, expected {grad.shape}"
                )
            grad = array.astype(grad.dtype, copy=False)
    return grad


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
