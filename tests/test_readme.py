"""The README's Python snippets run and print what their comments say; CI runs its commands."""

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
SNIPPETS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


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


def test_ci_installs_and_tests_exactly_as_the_readme_says():
    commands = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    install = next(c.strip() for c in commands if "pip install" in c)
    test = next(c.strip() for c in commands if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert install in ci and test in ci
