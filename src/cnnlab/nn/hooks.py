"""``RemovableHandle``: what registering a hook returns; ``remove()`` takes the hook off."""

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
