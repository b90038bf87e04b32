"""Kernels compile on first use, one dtype at a time; in the background the NumPy references
serve meanwhile; a read-only install caches them in the user's cache folder."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import cnnlab
from cnnlab.ops.kernels.compiling import Kernel, ints

SOURCE = Path(cnnlab.__file__).parent


def _double(x, out, start, stop):
    for i in range(start, stop):
        out[i] = 2 * x[i]


def test_a_kernel_compiles_one_version_per_dtype_when_first_asked_for():
    k = Kernel(_double, ("in1", "out1", *ints(2)))
    assert k.dispatcher.signatures == []  # nothing compiles on import
    x = np.arange(5, dtype=np.float32)  # writable, while the signature reads read-only arrays
    out = np.empty_like(x)
    k[x.dtype](x, out, 0, 5)
    np.testing.assert_array_equal(out, 2 * x)
    assert len(k.dispatcher.signatures) == 1  # the writable array converted, no second version
    k[np.dtype(np.float64)]
    assert len(k.dispatcher.signatures) == 2
    with pytest.raises(TypeError, match="float32 or float64 arrays, got int64"):
        k[np.dtype(np.int64)]


BACKGROUND_RUN = """
import numpy as np
from cnnlab import ops
from cnnlab.ops import conv, pool
from cnnlab.ops.kernels import columns, compiling, compiling_in_background

rng = np.random.default_rng(0)
x, w = rng.standard_normal((2, 3, 9, 9)), rng.standard_normal((4, 3, 3, 3))
expected = conv.conv2d_loop(x, w, padding=1)
with compiling_in_background():
    first = ops.conv2d(x, w, padding=1)  # the kernel is compiling: the reference serves
    child = compiling._background["child"]
    assert child is not None and np.dtype(np.float64) not in columns._im2col.ready
    assert child.wait(timeout=300) == 0
    again = ops.conv2d(x, w, padding=1)  # now loaded from the cache
    assert np.dtype(np.float64) in columns._im2col.ready
    pooled = pool.max_pool2d(x, 2)  # not compiled yet: the reference
np.testing.assert_allclose(first, expected, rtol=1e-12)
np.testing.assert_allclose(again, expected, rtol=1e-12)
np.testing.assert_array_equal(pooled[0], pool.max_pool2d_reference(x, 2)[0])
print("ok")
"""


def test_background_compilation_uses_the_references_until_the_cache_has_the_kernel(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "CNNLAB_BACKGROUND_COMPILE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", BACKGROUND_RUN], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert list(tmp_path.rglob("columns._im2col-*.nbc"))


def test_background_compilation_can_be_turned_off(monkeypatch):
    from cnnlab.ops.kernels import compiling

    monkeypatch.setenv("CNNLAB_BACKGROUND_COMPILE", "0")
    with compiling.compiling_in_background():
        assert compiling._background["depth"] == 0


def test_a_read_only_install_caches_kernels_in_the_user_cache_folder(tmp_path):
    site, cache = tmp_path / "site", tmp_path / "cache"
    shutil.copytree(SOURCE, site / "cnnlab", ignore=shutil.ignore_patterns("__pycache__"))
    cache.mkdir()
    for path in [site, *site.rglob("*")]:
        path.chmod(path.stat().st_mode & 0o555)
    # root writes anywhere; without the capability to override permissions it cannot
    drop = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    prefix = drop if os.geteuid() == 0 else []
    env = {"PATH": os.environ["PATH"], "HOME": str(cache), "XDG_CACHE_HOME": str(cache)}
    code = textwrap.dedent("""
        import numpy as np
        from cnnlab.ops import pool
        print(pool.max_pool2d(np.ones((1, 1, 4, 4), np.float32), 2)[0].sum())
    """)
    done = subprocess.run(
        [*prefix, sys.executable, "-c", code],
        env={**env, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
    )
    for path in [site, *site.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "4.0"
    assert not list(site.rglob("*.nbi"))
    assert list((cache / "numba").rglob("pooling._max_pool_2x2-*.nbi"))
