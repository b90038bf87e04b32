"""Recording what every layer of a model received and produced during one forward pass.

Works on any model, not only ``nn.Sequential``: each leaf module (a module without
submodules) gets a forward pre-hook, which copies its input array before the call (an in-place
layer overwrites it), and a forward hook, which records the input and output arrays. A module
called twice (the chapter's ``Net`` applies ``self.pool`` after both convolutions) gives two
records, the second named ``pool:2``. The recording of a pass lives in the tracer, so a
:class:`Tracer` runs one pass at a time (the caller holds a lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class LayerCall:
    """One call of a leaf module during a forward pass.

    Attributes:
        name: the module's qualified name (``conv1``, ``features.0``), with ``:k`` for the
            k-th call of the same module (k >= 2).
        module: the module itself.
        input: a copy of its first argument's array, ``(N, C, H, W)`` for a feature map.
        output: a copy of its output array.
        input_id / output_id: ``id`` of the input and output tensors, which link a layer to the
            one whose output it read.
    """

    name: str
    module: Any
    input: np.ndarray
    output: np.ndarray
    input_id: int
    output_id: int

    @property
    def kind(self) -> str:
        """The module's class name: ``Conv2d``, ``ReLU``, ``MaxPool2d``, ..."""
        return type(self.module).__name__


def leaf_modules(model) -> list[tuple[str, Any]]:
    """The ``(qualified name, module)`` pairs of the model's modules that have no submodules."""
    return [
        (name or type(module).__name__, module)
        for name, module in model.named_modules()
        if not any(True for _ in module.children())
    ]


def array_of(value) -> np.ndarray | None:
    """A copy of a tensor's array (the first one of a tuple, as ``MaxPool2d(return_indices)``
    returns), or None for anything else."""
    if isinstance(value, tuple | list):
        value = value[0] if value else None
    data = getattr(value, "_data", None)
    return None if data is None else np.array(data)


class Tracer:
    """Hooks every leaf module of ``model`` so that :meth:`run` returns its calls in order."""

    def __init__(self, model) -> None:
        self.model = model
        self.calls: list[LayerCall] | None = None
        self.counts: dict[str, int] = {}
        self.alive: list = []  # the pass's tensors, so that no id is reused while it runs
        self.inputs: dict[int, list[np.ndarray | None]] = {}  # input copies of running calls
        self.handles = [
            handle for name, module in leaf_modules(model) for handle in self.hook(name, module)
        ]

    def hook(self, name: str, module) -> list:
        """Register the pre-hook and hook that record the calls of ``module`` as ``name``."""
        pending = self.inputs.setdefault(id(module), [])

        def copy_input(module, inputs):
            pending.append(array_of(inputs[0]) if inputs and self.calls is not None else None)

        def record_call(module, inputs, output):
            before = pending.pop() if pending else None
            if self.calls is not None and before is not None:
                self.record(name, module, inputs[0], before, output)

        return [
            module.register_forward_pre_hook(copy_input),
            module.register_forward_hook(record_call),
        ]

    def remove(self) -> None:
        """Take the hooks off the model."""
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def record(self, name: str, module, input, before: np.ndarray, output) -> None:
        after = array_of(output)
        if after is None:
            return
        count = self.counts.get(name, 0) + 1
        self.counts[name] = count
        label = name if count == 1 else f"{name}:{count}"
        first = output[0] if isinstance(output, tuple | list) else output
        self.alive += [input, first]
        self.calls.append(LayerCall(label, module, before, after, id(input), id(first)))

    def run(self, x) -> tuple[Any, list[LayerCall]]:
        """``model(x)`` and the calls of its leaf modules, in the order they ran."""
        self.calls, self.counts, self.alive = [], {}, [x]
        try:
            output = self.model(x)
            return output, self.calls
        finally:
            self.calls, self.alive = None, []
            for pending in self.inputs.values():
                pending.clear()  # left by a call that raised
