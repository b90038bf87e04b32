"""The two engines a model can be built on: cnnlab's NumPy engine and PyTorch.

Both expose the same names (``lib.nn.Conv2d``, ``lib.optim.SGD``, ``lib.no_grad``, ...), so a
model builder or a training loop written once against PyTorch's API runs on either.
"""

from __future__ import annotations

from types import ModuleType

ENGINES = ("numpy", "torch")


def engine_module(engine: str | ModuleType = "numpy") -> ModuleType:
    """Return the library behind ``engine``: ``cnnlab`` for ``"numpy"``, ``torch`` for ``"torch"``.

    A module (``cnnlab`` or ``torch`` itself) is returned unchanged.
    """
    if isinstance(engine, ModuleType):
        return engine
    if engine == "numpy":
        import cnnlab

        return cnnlab
    if engine == "torch":
        try:
            import torch
        except ImportError as error:
            raise ImportError(
                "the torch engine needs PyTorch, which is not installed: "
                "pip install 'cnnlab[torch]' (or use the numpy engine)"
            ) from error
        return torch
    raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")


def engine_name(lib: ModuleType) -> str:
    """Return ``"numpy"`` or ``"torch"`` for a module returned by :func:`engine_module`."""
    return "numpy" if lib.__name__ == "cnnlab" else "torch"
