"""Forward hooks of a module (``register_forward_hook``, ``register_forward_pre_hook``) and
``RemovableHandle``, what registering one returns: ``remove()`` takes the hook off."""

from __future__ import annotations

import itertools


class RemovableHandle:
    """A handle on one registered hook, usable as a context manager (as ``torch.utils.hooks``).

    ``tables`` are the dicts (hook by id) and sets (ids with an option) the hook is listed in.
    """

    _ids = itertools.count()

    def __init__(self, *tables: dict | set) -> None:
        self.id = next(self._ids)
        self._tables = tables

    def remove(self) -> None:
        """Take the hook off; removing twice is harmless."""
        for table in self._tables:
            if isinstance(table, dict):
                table.pop(self.id, None)
            else:
                table.discard(self.id)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()


class ForwardHooksMixin:
    """Calling a module with hooks: pre-hooks may replace the arguments, hooks the output."""

    def _call_with_hooks(self, args: tuple, kwargs: dict):
        for key, hook in list(self._forward_pre_hooks.items()):
            if key in self._hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, "
                            f"new_kwargs), but got {result}."
                        )
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        try:
            output = self.forward(*args, **kwargs)
        except Exception:
            for key, hook in list(self._forward_hooks.items()):
                if key in self._hooks_always_called:
                    self._run_forward_hook(key, hook, args, kwargs, None)
            raise
        for key, hook in list(self._forward_hooks.items()):
            result = self._run_forward_hook(key, hook, args, kwargs, output)
            if result is not None:
                output = result
        return output

    def _run_forward_hook(self, key, hook, args, kwargs, output):
        if key in self._hooks_with_kwargs:
            return hook(self, args, kwargs, output)
        return hook(self, args, output)

    def _register_hook(
        self, table: dict, hook, prepend: bool, with_kwargs: bool
    ) -> RemovableHandle:
        handle = RemovableHandle(table, self._hooks_with_kwargs, self._hooks_always_called)
        table[handle.id] = hook
        if prepend:
            table.move_to_end(handle.id, last=False)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        return handle

    def register_forward_pre_hook(
        self, hook, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """``hook(module, args)`` before each ``forward``; a non-None result replaces the
        arguments. Returns a handle whose ``remove()`` takes the hook off."""
        return self._register_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(
        self,
        hook,
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """``hook(module, args, output)`` after each ``forward`` (to read feature maps, say); a
        non-None result replaces the output. Returns a handle whose ``remove()`` takes it off."""
        handle = self._register_hook(self._forward_hooks, hook, prepend, with_kwargs)
        if always_call:
            self._hooks_always_called.add(handle.id)
        return handle

    def register_full_backward_hook(self, hook, prepend: bool = False):
        raise NotImplementedError("Module.register_full_backward_hook")

    def register_backward_hook(self, hook):
        raise NotImplementedError("Module.register_backward_hook")
