"""Running ``python -m cnnlab`` in a subprocess, with a private cache and tiny dataset files
in the official formats."""

from __future__ import annotations

import gzip
import importlib.util
import os
import struct
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from cnnlab.data import load

DATA_TEST_CONFTEST = Path(__file__).parents[1] / "data" / "conftest.py"


def data_writers():
    """The CIFAR-10 writers of tests/data/conftest.py (Python 2 pickles, as the real files)."""
    spec = importlib.util.spec_from_file_location("cnnlab_tests_data_writers", DATA_TEST_CONFTEST)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def write_idx_gz(path: Path, array: np.ndarray) -> None:
    """An unsigned-byte IDX file, gzipped: magic 0x0000080N, big-endian sizes, the bytes."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


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
    write_idx_gz(directory / "train-images-idx3-ubyte.gz", train.images[:400, 0])
    write_idx_gz(directory / "train-labels-idx1-ubyte.gz", train.labels[:400])
    write_idx_gz(directory / "t10k-images-idx3-ubyte.gz", test.images[:100, 0])
    write_idx_gz(directory / "t10k-labels-idx1-ubyte.gz", test.labels[:100])
    return root


@pytest.fixture(scope="session")
def cifar_dir(tmp_path_factory) -> Path:
    """Random CIFAR-10 python batches (40 images each) in cifar-10-batches-py/."""
    writers = data_writers()
    root = tmp_path_factory.mktemp("cifar-data")
    writers.write_cifar_dir(root / writers.CIFAR_PREFIX, writers.cifar_contents(40).files)
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
