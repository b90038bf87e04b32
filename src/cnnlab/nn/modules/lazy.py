"""``LazyModuleMixin``: layers whose input size is read from their first input, as
``torch.nn.modules.lazy``.

Until the first call the parameters are ``UninitializedParameter`` placeholders; the first call
(a forward pre-hook) gives them their shapes and the layer's usual initialization, then the
module becomes its ordinary class (``LazyConv2d`` -> ``Conv2d``). Loading a ``state_dict`` into
a lazy module gives the placeholders the loaded shapes.
"""

from __future__ import annotations

import itertools

from cnnlab.nn.parameter import as_array, is_lazy


class LazyModuleMixin:
    """Mixed in before the layer's class: ``class LazyLinear(LazyModuleMixin, Linear)``."""

    cls_to_become: type | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(
            self._infer_parameters, with_kwargs=True
        )

    def has_uninitialized_params(self) -> bool:
        """True while any parameter or buffer is a placeholder."""
        values = itertools.chain(self._parameters.values(), self._buffers.values())
        return any(is_lazy(value) for value in values)

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {type(self).__name__}"
        )

    def _infer_parameters(self, module, args: tuple, kwargs: dict) -> None:
        self.initialize_parameters(*args, **kwargs)
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        self._initialize_hook.remove()
        del self._initialize_hook
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become

    def _load_from_state_dict(self, state_dict, prefix, *args) -> None:
        for table in (self._parameters, self._buffers):
            for name, value in table.items():
                key = prefix + name
                if key in state_dict and is_lazy(value) and not is_lazy(state_dict[key]):
                    value.materialize(as_array(state_dict[key]).shape)
        super()._load_from_state_dict(state_dict, prefix, *args)
