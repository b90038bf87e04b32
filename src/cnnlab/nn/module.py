"""``Module``: the base of every layer and network, with PyTorch's registration rules, names,
traversal order, hooks, modes, casting and printing."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator

import numpy as np

from cnnlab.autograd.devices import check_device
from cnnlab.autograd.tensor import Tensor
from cnnlab.nn.devices import parse_to
from cnnlab.nn.hooks import ForwardHooksMixin
from cnnlab.nn.module_state import IncompatibleKeys, StateDictMixin
from cnnlab.nn.parameter import Parameter, as_array
from cnnlab.ops.floating import quietly

__all__ = ["IncompatibleKeys", "Module", "Parameter", "as_array"]


class Module(ForwardHooksMixin, StateDictMixin):
    """Base class of every layer and network: subclasses assign submodules and parameters in
    ``__init__`` and compute in ``forward``; calling the module runs its hooks and ``forward``."""

    training: bool

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments: {args} {kwargs}"
            )
        for name in ("_parameters", "_buffers", "_modules", "_forward_hooks", "_forward_pre_hooks"):
            object.__setattr__(self, name, OrderedDict())
        for name in ("_non_persistent_buffers", "_hooks_with_kwargs", "_hooks_always_called"):
            object.__setattr__(self, name, set())
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    # ----- calling, with hooks
    @quietly
    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    # ----- registration (assignment order is registration order, as in PyTorch)
    def __setattr__(self, name: str, value) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter | Module) and params is None:
            raise AttributeError(
                f"cannot assign {type(value).__name__} '{name}' before Module.__init__() call"
            )
        if isinstance(value, Parameter):
            self._forget(name, keep=params)
            params[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(cnnlab.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            self._forget(name, keep=self._modules)
            self._modules[name] = value
        elif params is not None and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(cnnlab.nn.Module or None expected)"
                )
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(cnnlab.Tensor or None expected)"
                )
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str, keep: dict) -> None:
        """Drop ``name`` from every table but ``keep``, where a reassignment keeps its place."""
        self.__dict__.pop(name, None)
        for table in (self._parameters, self._buffers, self._modules):
            if table is not keep:
                table.pop(name, None)
        if keep is not self._buffers:
            self._non_persistent_buffers.discard(name)

    def __getattr__(self, name: str):
        for table in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted({*super().__dir__(), *self._parameters, *self._buffers, *self._modules})

    def _check_new_name(self, kind: str, name, table: dict) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if name not in table and hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` (or None) under ``name``, as ``self.name = param`` does."""
        self._check_new_name("parameter", name, self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(cnnlab.nn.Parameter or None required)"
            )
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not learned (running statistics); ``persistent=False``
        keeps it out of the ``state_dict``."""
        self._check_new_name("buffer", name, self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(cnnlab Tensor or None required)"
            )
        self._forget(name, keep=self._buffers)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name``, as ``self.name = module`` does."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_new_name("module", name, self._modules)
        self._forget(name, keep=self._modules)
        self._modules[name] = module

    register_module = add_module

    # ----- traversal
    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator:
        """``(name, module)`` for this module and every descendant, depth first, each once."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                child = f"{prefix}.{name}" if prefix else name
                yield from module.named_modules(memo, child, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(self, table: str, prefix: str, recurse: bool, remove_duplicate=True):
        seen = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate=True):
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def get_submodule(self, target: str) -> Module:
        """The module at a dotted path such as ``'features.0'``."""
        module = self
        for part in target.split(".") if target else ():
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = module._modules[part]
        return module

    def _get_member(self, target: str, table: str, kind: str):
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in getattr(module, table):
            raise AttributeError(
                f"`{name}` is not an nn.{kind}"
                if hasattr(module, name)
                else (f"{type(module).__name__} has no attribute `{name}`")
            )
        return getattr(module, table)[name]

    def get_parameter(self, target: str) -> Parameter:
        return self._get_member(target, "_parameters", "Parameter")

    def get_buffer(self, target: str) -> Tensor:
        return self._get_member(target, "_buffers", "Buffer")

    # ----- modes and bulk changes
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch statistics) for this module and its children."""
        if not isinstance(mode, bool):
            raise ValueError(f"training mode is expected to be boolean, got {mode!r}")
        object.__setattr__(self, "training", mode)
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every child (recursively), then on this module (``net.apply(init)``)."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _cast(self, dtype: np.dtype) -> Module:
        for t in (*self.parameters(), *self.buffers()):
            if t._data.dtype.kind == "f":  # a lazy placeholder takes the dtype it will have
                t._data = t._data.astype(dtype)
                if t.grad is not None:
                    t.grad._data = t.grad._data.astype(dtype)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Cast floating point parameters and buffers to a dtype; the CPU is the only device,
        so ``to('cpu')`` changes nothing and any other device is an error."""
        dtype = parse_to(*args, **kwargs)
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(
                f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
            )
        return self._cast(dtype)

    def float(self) -> Module:
        return self._cast(np.dtype(np.float32))

    def double(self) -> Module:
        return self._cast(np.dtype(np.float64))

    def half(self) -> Module:
        raise NotImplementedError("Module.half: cnnlab computes in float32 and float64 only")

    def bfloat16(self) -> Module:
        raise NotImplementedError("Module.bfloat16: cnnlab computes in float32 and float64 only")

    def type(self, dst_type) -> Module:
        return self._cast(np.dtype(dst_type))

    def cpu(self) -> Module:
        return self

    def cuda(self, device=None) -> Module:
        check_device(
            "cuda" if device is None else f"cuda:{getattr(device, 'index', device)}", "Module.cuda"
        )
        return self

    def share_memory(self) -> Module:
        return self

    # ----- printing
    def extra_repr(self) -> str:
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = []
        for name, module in self._modules.items():
            child = repr(module).replace("\n", "\n  ")
            children.append(f"({name}): {child}")
        head = self._get_name() + "("
        if len(lines) == 1 and not children:
            return head + lines[0] + ")"
        if not lines and not children:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines + children) + "\n)"
