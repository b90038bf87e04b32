"""Running ``python -m cnnlab`` in a subprocess, with a private cache and tiny dataset files
in the official formats."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from cnnlab.data import load
from dataset_files import CIFAR_PREFIX, cifar_contents, write_cifar_dir, write_idx


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory) -> dict[str, str]:
    """Environment for the subprocesses: a private mnist5k cache (filled once) and an empty
    default data directory."""
    cache = tmp_path_factory.mktemp("cnnlab-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CNNLAB_CACHE", str(cache))
        load("mnist5k", train=True)
    env = dict(
        os.environ, CNNLAB_CACHE=str(cache), CNNLAB_DATA=str(tmp_path_factory.mktemp("no-data"))
    )
    env.pop("COLUMNS", None)
    return env


@pytest.fixture
def cnnlab(cli_env, tmp_path):
    """``cnnlab(*args)`` runs ``python -m cnnlab args`` in ``tmp_path`` and returns the result."""

    def run(
        *args: str, expect: int | None = 0, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "-m", "cnnlab", *map(str, args)],
            cwd=tmp_path,
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if expect is not None:
            assert result.returncode == expect, result.stderr
        return result

    return run


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory, cli_env) -> Path:
    """Real digits (from mnist5k) written as the four official gzipped IDX files."""
    root = tmp_path_factory.mktemp("mnist-data")
    directory = root / "mnist"
    directory.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CNNLAB_CACHE", cli_env["CNNLAB_CACHE"])
        train, test = load("mnist5k", train=True), load("mnist5k", train=False)
    for prefix, split, count in (("train", train, 400), ("t10k", test, 100)):
        labels = split.labels[:count].astype(np.uint8)
        write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", split.images[:count, 0], gz=True)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", labels, gz=True)
    return root


@pytest.fixture(scope="session")
def cifar_dir(tmp_path_factory) -> Path:
    """Random CIFAR-10 python batches (40 images each) in cifar-10-batches-py/."""
    root = tmp_path_factory.mktemp("cifar-data")
    write_cifar_dir(root / CIFAR_PREFIX, cifar_contents(40).files)
    return root


@pytest.fixture
def cnnlab_main(cli_env, tmp_path, monkeypatch, capsys):
    """``cnnlab_main(*args)`` runs ``cnnlab.cli.main(args)`` in-process, in ``tmp_path`` with the
    subprocesses' environment, and returns ``returncode``, ``stdout`` and ``stderr``."""
    from cnnlab.cli import main

    monkeypatch.chdir(tmp_path)
    for name in ("CNNLAB_CACHE", "CNNLAB_DATA"):
        monkeypatch.setenv(name, cli_env[name])

    def run(*args: str, expect: int | None = 0) -> SimpleNamespace:
        try:
            code = main([str(a) for a in args])
        except SystemExit as stop:  # argparse: --help, --version and usage errors
            code = stop.code
        out, err = capsys.readouterr()
        if expect is not None:
            assert code == expect, err
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run
