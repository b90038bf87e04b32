"""The README's Python snippets run and print what their comments say; every name it shows
imports as written and is what it says; every command it shows parses; CI runs its commands."""

import ast
import contextlib
import importlib
import io
import re
import shlex
import types
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SNIPPETS = re.findall(r"```python\n(.*?)```", README, flags=re.S)
CODE = re.findall(r"```py(?:thon)?\n(.*?)```", README, flags=re.S)  # also the ones not run
TABLE = [line for line in README.splitlines() if line.startswith("| ") and "`" in line]
COMMANDS = [
    line.split("#", 1)[0].strip()
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    for line in block.splitlines()
    if line.startswith("cnnlab ")
]


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[f"snippet{i}" for i in range(len(SNIPPETS))])
def test_snippet_runs_and_prints_what_it_promises(snippet):
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(snippet, "README.md", "exec"), {})
    promised = [
        c.strip()
        for line in snippet.splitlines()
        if line.lstrip().startswith("print(") and "#" in line
        for c in [line.split("#", 1)[1]]
    ]
    assert printed.getvalue().splitlines() == promised


def resolve(dotted: str):
    """The object a dotted name names: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            value = getattr(value, part)
        return value
    raise ImportError(f"README names {dotted}, which does not import")


def table_names() -> tuple[list[str], list[tuple[str, str]]]:
    """The table's names: dotted ones (``ops.`` is ``cnnlab.ops.``), and the bare ones that
    follow a module in the same cell, as ``(module, name)`` for ``from module import name``."""
    dotted_names, bare_names = [], []
    for line in TABLE:
        for cell in line.strip("|").split("|"):
            module = None
            for token in re.findall(r"`([A-Za-z_][\w.]*)`", cell):
                if "." not in token and module is not None:
                    bare_names.append((module, token))
                    continue
                dotted = f"cnnlab.{token}" if token.startswith("ops.") else token
                if "." not in dotted:
                    continue
                dotted_names.append(dotted)
                is_module = isinstance(resolve(dotted), types.ModuleType)
                module = dotted if is_module else dotted.rsplit(".", 1)[0]
    return dotted_names, bare_names


DOTTED_NAMES, BARE_NAMES = table_names()


@pytest.mark.parametrize("dotted", DOTTED_NAMES)
def test_every_dotted_name_in_the_table_resolves(dotted):
    assert resolve(dotted) is not None


@pytest.mark.parametrize(("module", "name"), BARE_NAMES, ids=[f"{m}.{n}" for m, n in BARE_NAMES])
def test_every_name_listed_after_a_module_imports_from_it_as_what_it_names(module, name):
    namespace: dict = {}
    exec(f"from {module} import {name}", namespace)
    value = namespace[name]
    # ``from cnnlab.autograd import gradcheck`` must give the function, not its module
    assert not (isinstance(value, types.ModuleType) and hasattr(value, name)), (
        f"from {module} import {name} gives the module {value.__name__}, not its {name}"
    )


def imported_names(tree: ast.AST) -> dict[str, str]:
    """``{local name: dotted source}`` for every import in a snippet."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def attribute_chains(tree: ast.AST, roots: dict[str, str]) -> set[str]:
    """Every ``root.attr.attr`` the snippet reads from an imported cnnlab name, as a dotted
    name from its source (``nn.Conv2d`` -> ``cnnlab.nn.Conv2d``)."""
    chains = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        parts, inner = [], node
        while isinstance(inner, ast.Attribute):
            parts.append(inner.attr)
            inner = inner.value
        if isinstance(inner, ast.Name) and roots.get(inner.id, "").startswith("cnnlab"):
            chains.add(".".join([roots[inner.id], *reversed(parts)]))
    return chains


@pytest.mark.parametrize("code", CODE, ids=[f"code{i}" for i in range(len(CODE))])
def test_every_name_a_snippet_reads_from_cnnlab_exists(code):
    tree = ast.parse(code)
    roots = imported_names(tree)
    assert roots, "a README snippet without imports"
    for source in roots.values():
        if source.startswith("cnnlab"):
            resolve(source)
    for chain in attribute_chains(tree, roots):
        try:
            resolve(chain)
        except AttributeError:
            # a method of a value (loss.backward, conv.weight.grad): checked when the snippet runs
            assert not isinstance(resolve(chain.rsplit(".", 1)[0]), types.ModuleType), chain


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_in_the_readme_parses(command):
    from cnnlab.cli import build_parser

    words = [re.sub(r"<[^>]+>", "placeholder", word) for word in shlex.split(command)[1:]]
    args = build_parser().parse_args(words)
    assert callable(args.func)


def test_the_autograd_names_are_the_functions_pytorch_has():
    import cnnlab
    from cnnlab.autograd import Function, Tensor, backward, gradcheck

    assert isinstance(gradcheck, types.FunctionType) and issubclass(Function, object)
    x = cnnlab.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    assert gradcheck(lambda t: (t * t).sum(), [x])
    x.grad = None
    y, z = (x * x).sum(), (x * 3).sum()
    backward([y, z])
    np.testing.assert_array_equal(x.grad.numpy(), 2 * x.detach().numpy() + 3)
    assert isinstance(x, Tensor)
    with pytest.raises(NotImplementedError, match="create_graph= is not supported"):
        backward(y, create_graph=True)
    with pytest.raises(ValueError, match="got 1 grad_tensors for 2 tensors"):
        backward([y, z], [None])


def test_ci_installs_and_tests_exactly_as_the_readme_says():
    commands = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    install = next(c.strip() for c in commands if "pip install" in c)
    test = next(c.strip() for c in commands if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert install in ci and test in ci
