"""How much slower is ``cnnlab train --engine torch`` than a plain hand-written PyTorch loop?

Both train the same model from the same initial weights on the same pre-loaded data for the same
epochs, with the same optimizer, schedule and thread count, and both evaluate on the test split
after every epoch and on both splits at the end (as the chapter's ``validate``). The cnnlab run
is ``cnnlab.train.train`` called in-process, with its progress bar drawn (to a null terminal),
its checkpoints, metrics and report written; the hand-written loop slices pre-made tensors.
Runs are interleaved (a, b, b, a, ...); the medians and the minima are compared.
The goal: ratio <= 1.05.

    python benchmarks/train_overhead.py [--model lenet5] [--epochs 3] [--repeats 7] [--threads 2]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from cnnlab.data import Normalize, to_float
from cnnlab.models import build
from cnnlab.train import TrainConfig, train
from cnnlab.train.batches import normalization
from cnnlab.train.trainer import load_data


class NullTerminal(io.StringIO):
    """A stderr that claims to be a terminal, so tqdm draws its bar, and keeps nothing."""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return len(text)


def cnnlab_run(config: TrainConfig, data, out: Path):
    """Seconds for ``cnnlab.train.train`` (which seeds torch and builds the model itself), and
    the trained model."""
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(NullTerminal()):
        result = train(TrainConfig.from_dict({**config.to_dict(), "out": str(out)}), data=data)
    return time.perf_counter() - start, result.model


def hand_written_run(config: TrainConfig, data):
    """Seconds for the chapter's loop in plain PyTorch over pre-made tensors, from the same
    initial weights (same seed, same builder) as the cnnlab run."""
    train_split, test_split = data
    mean, std = normalization(config.data, train_split.images.shape[1])

    def tensors(split):
        x = Normalize(mean, std)(to_float(split.images))
        return torch.from_numpy(x), torch.from_numpy(split.labels)

    (x_train, y_train), (x_test, y_test) = tensors(train_split), tensors(test_split)
    start = time.perf_counter()
    torch.manual_seed(config.seed)
    model = build(config.model, "torch", in_channels=x_train.shape[1], image_size=x_train.shape[2])
    optimizer = torch.optim.SGD(
        model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
    )
    n, batch = len(y_train), config.batch_size
    steps = n // batch + (n % batch > 1)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, config.lr, total_steps=config.epochs * steps
    )
    loss_fn = torch.nn.CrossEntropyLoss()

    def validate(x, y):
        model.eval()
        correct = 0
        with torch.no_grad():
            for i in range(0, len(y), 500):
                correct += int((model(x[i : i + 500]).argmax(1) == y[i : i + 500]).sum())
        model.train()
        return correct / len(y)

    for epoch in range(1, config.epochs + 1):
        order = torch.from_numpy(np.random.default_rng([config.seed, epoch]).permutation(n))
        loss_train = 0.0
        for i in range(0, steps * batch, batch):
            index = order[i : i + batch]
            outputs = model(x_train[index])
            loss = loss_fn(outputs, y_train[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            loss_train += loss.item()
        validate(x_test, y_test)
    validate(x_train, y_train)
    validate(x_test, y_test)
    return time.perf_counter() - start, model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="lenet5")
    parser.add_argument("--data", default="mnist5k")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = TrainConfig(
        model=args.model,
        data=args.data,
        engine="torch",
        epochs=args.epochs,
        batch_size=args.batch_size,
        schedule="onecycle",
        plots=False,
    )
    data = load_data(config)
    times, models = {"cnnlab": [], "hand": []}, {}
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(args.repeats):
            order = ("cnnlab", "hand") if repeat % 2 == 0 else ("hand", "cnnlab")
            for name in order:
                if name == "cnnlab":
                    seconds, models[name] = cnnlab_run(config, data, Path(scratch) / f"{repeat}")
                else:
                    seconds, models[name] = hand_written_run(config, data)
                times[name].append(seconds)
    print(
        f"{args.model} on {args.data}, {len(data[0])} train / {len(data[1])} test images, "
        f"{args.epochs} epochs of batch {args.batch_size}, {args.threads} threads, "
        f"{args.repeats} interleaved repeats"
    )
    for name, label in (("cnnlab", "cnnlab train --engine torch"), ("hand", "hand-written loop")):
        print(
            f"  {label:28s} median {statistics.median(times[name]):7.3f} s  "
            f"min {min(times[name]):7.3f} s   runs {' '.join(f'{t:.3f}' for t in times[name])}"
        )
    median_ratio = statistics.median(times["cnnlab"]) / statistics.median(times["hand"])
    min_ratio = min(times["cnnlab"]) / min(times["hand"])
    print(
        f"  ratio cnnlab / hand-written: median {median_ratio:.3f}, min {min_ratio:.3f}  "
        "(goal <= 1.05; on a busy machine trust the min)"
    )
    mine, theirs_state = models["cnnlab"].state_dict(), models["hand"].state_dict()
    difference = max(float((mine[k] - theirs_state[k]).abs().max()) for k in mine)
    print(f"  same work: final weights differ by at most {difference:.3g}")


if __name__ == "__main__":
    main()
