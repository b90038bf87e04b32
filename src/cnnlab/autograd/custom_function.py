"""``torch.autograd.Function`` as users write it: ``forward(ctx, *args)`` and
``backward(ctx, *grad_outputs)`` as static methods on Tensors, ``ctx.save_for_backward`` and
``ctx.saved_tensors``, ``MyFunction.apply(x)``. The node it records calls the user's backward
with the output's gradient as a Tensor and hands the gradients of the Tensor arguments on.
"""

from __future__ import annotations

import numpy as np

from cnnlab.autograd.function import Function
from cnnlab.autograd.grad_mode import _GradMode, no_grad
from cnnlab.autograd.versions import Clock


class FunctionCtx:
    """The ``ctx`` of a custom Function: what forward keeps for backward."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple = ()

    def save_for_backward(self, *tensors) -> None:
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        raise NotImplementedError("autograd.Function: ctx.mark_non_differentiable")

    def mark_dirty(self, *tensors) -> None:
        raise NotImplementedError("autograd.Function: ctx.mark_dirty (in-place custom functions)")

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted: the output's gradient is always a tensor here."""


class ContextNode(Function):
    """The recorded node of one call of a user's Function subclass ``user``."""

    def backward(self, grad: np.ndarray):
        from cnnlab.autograd.tensor import Tensor

        with no_grad():
            grads = self.user.backward(self.ctx, Tensor._wrap(grad))
        grads = grads if isinstance(grads, tuple) else (grads,)
        if len(grads) != len(self.ctx.needs_input_grad):
            raise RuntimeError(
                f"function {self.user.__name__}Backward returned an incorrect number of "
                f"gradients (expected {len(self.ctx.needs_input_grad)}, got {len(grads)})"
            )
        return tuple(None if grads[i] is None else grads[i]._data for i in self.positions)

    @property
    def name(self) -> str:
        return f"{self.user.__name__}Backward"


def apply_with_context(user, *args, **kwargs):
    """``user.apply(*args)`` for a subclass whose ``forward(ctx, ...)`` is a static method."""
    from cnnlab.autograd.tensor import Tensor

    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
    ctx = FunctionCtx(needs)
    with no_grad():
        out = user.forward(ctx, *args, **kwargs)
    record = _GradMode.enabled and any(needs)
    if not record:
        return out
    if not isinstance(out, Tensor):
        raise NotImplementedError(
            f"autograd.Function {user.__name__}: forward returned {type(out).__name__}; "
            "custom Functions with several outputs are not supported"
        )
    node = ContextNode()
    node.user, node.ctx, node.positions = user, ctx, positions
    node.inputs = tuple(args[i] for i in positions)
    node.needs_input_grad = tuple(needs[i] for i in positions)
    node.edges = [t.grad_fn for t in node.inputs]
    node.stamp = Clock.now
    result = Tensor._wrap(out._data, True)
    result.grad_fn = node
    return result
