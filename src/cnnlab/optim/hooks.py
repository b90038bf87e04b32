"""``RemovableHandle``: what registering a hook returns; ``handle.remove()`` takes it out."""

from __future__ import annotations

import itertools
from collections import OrderedDict


class RemovableHandle:
    """Removes one hook from the ordered dict it was registered in."""

    _ids = itertools.count()

    def __init__(self, hooks: OrderedDict) -> None:
        self.hooks = hooks
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
