"""Recording what every layer of a model received and produced during one forward pass.

Works on any model, not only ``nn.Sequential``: each leaf module (a module without
submodules) is wrapped once so that a call records its input and output arrays. A module
called twice (the chapter's ``Net`` applies ``self.pool`` after both convolutions) gives two
records, the second named ``pool:2``. The recording of a pass lives in the tracer, so a
:class:`Tracer` runs one pass at a time (the caller holds a lock).
"""

from __future__ import annotations

from collections.abc import Callable
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
    """Wraps every leaf module of ``model`` so that :meth:`run` returns its calls in order."""

    def __init__(self, model) -> None:
        self.model = model
        self.calls: list[LayerCall] | None = None
        self.counts: dict[str, int] = {}
        self.alive: list = []  # the pass's tensors, so that no id is reused while it runs
        for name, module in leaf_modules(model):
            self.wrap(name, module)

    def wrap(self, name: str, module) -> None:
        forward: Callable = module.forward

        def recorded_forward(input, *args, **kwargs):
            before = array_of(input)
            output = forward(input, *args, **kwargs)
            if self.calls is not None and before is not None:
                self.record(name, module, input, before, output)
            return output

        # An instance attribute shadows the class's forward, which Module.__call__ looks up.
        object.__setattr__(module, "forward", recorded_forward)

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
