"""The NumPy engine against PyTorch, side by side, in one process and on the same threads.

Every case is timed for both engines in turn (interleaved, so a busy moment of the machine hits
both), after a warm-up, in ``repeats`` rounds of one block per engine. Each figure is the median
over the rounds; the ratio is the median of the rounds' own ratios (each from two neighbouring
blocks), printed with the lowest and highest round's. Rows: a full training step (forward,
backward, Adam) of the chapter's models (and of every ResNet in the registry), inference at
batch 1 (latency) and batch 1,000 (throughput), and each op's forward + backward at the
chapter's shapes. Peak memory of a training step is measured per engine in a fresh child
process (its peak resident set during ten steps above the resident set after building the
model).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

import cnnlab
from cnnlab.models import MODELS, build


@dataclass
class Row:
    """One benchmark line: what was measured, both engines' figures and their ratio."""

    group: str
    name: str
    unit: str
    cnnlab: float
    torch: float
    ratio: float  # > 1 means cnnlab is better (faster or higher throughput)
    ratio_low: float  # the lowest and highest ratio of a single round
    ratio_high: float
    cnnlab_peak_mb: float | None = None
    torch_peak_mb: float | None = None


def _block_seconds(run: Callable[[], None], calls: int) -> float:
    """Seconds per call over a block of ``calls`` calls."""
    start = time.perf_counter()
    for _ in range(calls):
        run()
    return (time.perf_counter() - start) / calls


def _warm_up(run: Callable[[], None], seconds: float) -> float:
    """Call ``run`` for about ``seconds`` (loading code, growing the heap, filling caches);
    return the seconds per call of the last calls."""
    start = time.perf_counter()
    while True:
        per_call = _block_seconds(run, 1)
        if time.perf_counter() - start >= seconds:
            return per_call


def _interleaved(ours: Callable, theirs: Callable, repeats: int, block: float = 0.2):
    """Seconds per call of each callable in each round: alternating blocks of about ``block``
    seconds after a warm-up, so the two engines' idle threads never overlap a short call."""
    calls = [max(1, round(block / _warm_up(f, 2 * block))) for f in (ours, theirs)]
    ours_times, theirs_times = [], []
    for _ in range(repeats):
        ours_times.append(_block_seconds(ours, calls[0]))
        theirs_times.append(_block_seconds(theirs, calls[1]))
    return ours_times, theirs_times


def _row(group: str, name: str, unit: str, rounds, scale: float) -> Row:
    """A row from the rounds' seconds per call: ``scale / seconds`` for a throughput
    (images/s), ``scale * seconds`` for a time (ms)."""
    ours, theirs = rounds
    ratios = [b / a for a, b in zip(ours, theirs, strict=True)]
    a, b = statistics.median(ours), statistics.median(theirs)
    figures = (scale / a, scale / b) if unit == "images/s" else (scale * a, scale * b)
    return Row(group, name, unit, *figures, statistics.median(ratios), min(ratios), max(ratios))


def _library(engine: str):
    if engine == "cnnlab":
        return cnnlab
    try:
        import torch
    except ImportError:
        raise ImportError(
            "the benchmark compares with PyTorch, which is not installed: "
            "pip install 'cnnlab[torch]'"
        ) from None
    return torch


def _batch(lib, shape: tuple[int, ...], classes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = lib.from_numpy(rng.standard_normal(shape).astype(np.float32))
    y = lib.from_numpy(rng.integers(0, classes, shape[0]).astype(np.int64))
    return x, y


def _training_step(lib, model_name: str, batch: int):
    """A closure doing one Adam step of ``model_name`` on a fixed random batch."""
    model = build(model_name, "numpy" if lib is cnnlab else "torch")
    spec_shape = _input_shape(model_name)
    x, y = _batch(lib, (batch, *spec_shape), 10 if model_name != "chapter_net" else 2)
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = lib.nn.CrossEntropyLoss()

    def step() -> None:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    return step


def _input_shape(model_name: str) -> tuple[int, int, int]:
    from cnnlab.models import model_spec

    return model_spec(model_name).input_shape


def _inference(lib, batch: int):
    model = build("lenet5", "numpy" if lib is cnnlab else "torch")
    model.eval()
    x, _ = _batch(lib, (batch, 1, 28, 28), 10)

    def infer() -> None:
        with lib.no_grad():
            model(x)

    return infer


def _op_cases(lib) -> dict[str, Callable[[], None]]:
    """Forward + backward of single ops at the chapter's shapes, on ``lib``."""
    F = lib.nn.functional
    rng = np.random.default_rng(0)

    def leaf(*shape):
        return lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)

    def case(fn, *inputs):
        def forward_backward() -> None:
            out = fn(*inputs)
            out.backward(lib.ones_like(out))

        return forward_backward

    x1, w1, b1 = leaf(64, 1, 28, 28), leaf(6, 1, 5, 5), leaf(6)
    x2, w2, b2 = leaf(64, 6, 14, 14), leaf(16, 6, 5, 5), leaf(16)
    x9, w9, b9 = leaf(64, 10, 37, 37), leaf(20, 10, 5, 5), leaf(20)
    p1, p2 = leaf(64, 6, 28, 28), leaf(64, 16, 10, 10)
    bn_x, bn_w, bn_b = leaf(64, 6, 14, 14), leaf(6), leaf(6)
    fc_x, fc_w, fc_b = leaf(64, 400), leaf(120, 400), leaf(120)
    logits = leaf(64, 10)
    labels = lib.from_numpy(rng.integers(0, 10, 64).astype(np.int64))
    mean, var = lib.zeros(6), lib.ones(6)
    return {
        "conv1 (64x1x28x28, 6 filters 5x5, p=2)": case(
            lambda a, b, c: F.conv2d(a, b, c, padding=2), x1, w1, b1
        ),
        "conv2 (64x6x14x14, 16 filters 5x5)": case(F.conv2d, x2, w2, b2),
        "Fig. 8.9 conv (64x10x37x37, 20 filters 5x5, s=2)": case(
            lambda a, b, c: F.conv2d(a, b, c, stride=2), x9, w9, b9
        ),
        "max_pool2d 2x2 (64x6x28x28)": case(lambda a: F.max_pool2d(a, 2), p1),
        "max_pool2d 2x2 (64x16x10x10)": case(lambda a: F.max_pool2d(a, 2), p2),
        "avg_pool2d 2x2 (64x6x28x28)": case(lambda a: F.avg_pool2d(a, 2), p1),
        "batch_norm train (64x6x14x14)": case(
            lambda a, b, c: F.batch_norm(a, mean, var, b, c, True), bn_x, bn_w, bn_b
        ),
        "relu (64x6x28x28)": case(F.relu, p1),
        "linear 400->120 (batch 64)": case(F.linear, fc_x, fc_w, fc_b),
        "cross_entropy (64x10)": case(lambda a: F.cross_entropy(a, labels), logits),
    }


def _peak_memory_mb(engine: str, model_name: str, batch: int) -> float:
    """Peak resident memory (MB) of ten training steps above the resident memory before them,
    in a child process that imports only that engine (Linux: the peak is reset first). The
    compiled kernels are loaded before, so the figure is the memory the training itself takes."""
    code = (
        "import gc, cnnlab.bench as b\n"
        "import cnnlab.ops.kernels\n"
        "cnnlab.ops.kernels.compile_all()\n"
        f"step = b._training_step(b._library('{engine}'), '{model_name}', {batch})\n"
        "gc.collect()\n"
        "status = lambda key: int(next(l.split()[1] for l in open('/proc/self/status')"
        " if l.startswith(key)))\n"
        "open('/proc/self/clear_refs', 'w').write('5')\n"
        "before = status('VmRSS:')\n"
        "for _ in range(10): step()\n"
        "print((status('VmHWM:') - before) / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def run(repeats: int = 9, quick: bool = False, memory: bool = True) -> list[Row]:
    """Measure every row; ``quick`` does fewer repeats and cases (for tests and a first look)."""
    ours, theirs = cnnlab, _library("torch")
    for lib in (ours, theirs):  # the first seconds of a process run slow (code, heap, caches)
        _warm_up(_training_step(lib, "lenet5", 64), 2.0)
    rows: list[Row] = []
    trainings = [
        ("lenet5", 64),
        ("lenet5", 256),
        ("lenet5_bn", 64),
        ("lenet5_bn", 256),
        ("chapter_net", 64),
        ("chapter_net", 256),
    ]
    if quick:
        trainings = trainings[:1]
    trainings += [(name, 64) for name in MODELS if name.startswith("resnet")]
    for model_name, batch in trainings:
        rounds = _interleaved(
            _training_step(ours, model_name, batch),
            _training_step(theirs, model_name, batch),
            repeats,
        )
        row = _row("train step", f"{model_name}, batch {batch}", "images/s", rounds, batch)
        if memory:
            row.cnnlab_peak_mb = _peak_memory_mb("cnnlab", model_name, batch)
            row.torch_peak_mb = _peak_memory_mb("torch", model_name, batch)
        rows.append(row)
    rounds = _interleaved(_inference(ours, 1), _inference(theirs, 1), repeats)
    rows.append(_row("inference", "lenet5, batch 1 latency", "ms", rounds, 1e3))
    rounds = _interleaved(_inference(ours, 1000), _inference(theirs, 1000), repeats)
    rows.append(_row("inference", "lenet5, batch 1000", "images/s", rounds, 1000))
    op_ours, op_theirs = _op_cases(ours), _op_cases(theirs)
    for name in list(op_ours)[: 2 if quick else None]:
        rounds = _interleaved(op_ours[name], op_theirs[name], repeats)
        rows.append(_row("op fwd+bwd", name, "ms", rounds, 1e3))
    return rows


def format_rows(rows: list[Row]) -> str:
    """The table as printed by ``cnnlab bench``."""
    lines = [
        f"{'group':<11} {'case':<50} {'cnnlab':>10} {'torch':>10} {'unit':<9} {'ratio':>5} "
        f"{'(rounds)':<11} peak MB",
        "-" * 118,
    ]
    for r in rows:
        peak = "" if r.cnnlab_peak_mb is None else f"{r.cnnlab_peak_mb:.0f} / {r.torch_peak_mb:.0f}"
        spread = f"({r.ratio_low:.2f}-{r.ratio_high:.2f})"
        lines.append(
            f"{r.group:<11} {r.name:<50} {r.cnnlab:>10.2f} {r.torch:>10.2f} {r.unit:<9} "
            f"{r.ratio:>5.2f} {spread:<11} {peak}"
        )
    lines.append(
        "ratio = cnnlab / torch in speed (> 1: cnnlab faster): the median over the rounds, with "
        "the lowest and highest round in brackets. peak MB: cnnlab / torch."
    )
    return "\n".join(lines)


def threads_note() -> str:
    import torch
    from threadpoolctl import threadpool_info

    blas = max(
        (pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"), default=0
    )
    return (
        f"cores: {os.cpu_count()}; threads: torch {torch.get_num_threads()}, cnnlab kernels "
        f"{cnnlab.get_num_threads()}, numpy BLAS {blas}; numpy {np.__version__}, "
        f"torch {torch.__version__}"
    )


def set_threads(threads: int) -> None:
    """Give both engines the same number of threads: PyTorch's, numba's and NumPy's BLAS."""
    import torch

    torch.set_num_threads(threads)
    cnnlab.set_num_threads(threads)


def main(
    threads: int | None = None,
    repeats: int = 9,
    quick: bool = False,
    json_path: str | None = None,
    memory: bool = True,
) -> int:
    if threads is not None:
        set_threads(threads)
    rows = run(repeats, quick, memory)
    print(threads_note())
    print(format_rows(rows))
    if json_path:
        with open(json_path, "w") as f:
            json.dump({"machine": threads_note(), "rows": [asdict(r) for r in rows]}, f, indent=1)
    return 0
