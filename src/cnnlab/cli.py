"""The ``cnnlab`` command: argument parsing only; the work is done by cnnlab.train and
cnnlab.models.

Each command is one ``add_<command>_parser(subparsers)`` function that registers its parser and
sets ``func`` to the function running it; :data:`COMMANDS` lists them, so a new command is one
more function (in this module or another) appended to that tuple.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence

from cnnlab.data import DATASETS
from cnnlab.models import ENGINES, MODELS
from cnnlab.train.config import DEFAULT_EPOCHS, METRIC_FORMATS, OPTIMIZERS, SCHEDULES, TrainConfig

DEFAULTS = TrainConfig()


class ArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        message = re.sub(r"^argument (-[^:/ ]+)(?:/-\S+)?: ", r"\1 ", message)
        self.exit(2, f"{self.prog}: error: {message}\n")


def typed(check: Callable[[str], object], expected: str) -> Callable[[str], object]:
    """An argparse ``type`` that converts with ``check`` and says ``expected`` when it fails."""

    def convert(text: str) -> object:
        try:
            value = check(text)
        except ValueError:
            value = None
        if value is None:
            raise argparse.ArgumentTypeError(f"must be {expected}, got {text}")
        return value

    return convert


def _positive_int(text: str) -> int | None:
    return int(text) if int(text) >= 1 else None


def _non_negative_int(text: str) -> int | None:
    return int(text) if int(text) >= 0 else None


def _positive_float(text: str) -> float | None:
    return float(text) if float(text) > 0 else None


def _non_negative_float(text: str) -> float | None:
    return float(text) if float(text) >= 0 else None


def _momentum(text: str) -> float | None:
    return float(text) if 0 <= float(text) < 1 else None


def _class_list(text: str) -> tuple[int, ...] | None:
    values = tuple(int(part) for part in text.split(","))
    return values if values and all(v >= 0 for v in values) else None


def _shape(text: str) -> tuple[int, ...] | None:
    from cnnlab.models.calculator import parse_shape

    return parse_shape(text)


POSITIVE_INT = typed(_positive_int, "a positive integer")
NON_NEGATIVE_INT = typed(_non_negative_int, "a non-negative integer")
POSITIVE_FLOAT = typed(_positive_float, "a positive number")
NON_NEGATIVE_FLOAT = typed(_non_negative_float, "a non-negative number")
MOMENTUM = typed(_momentum, "a number in [0, 1)")
CLASS_LIST = typed(_class_list, "class labels separated by commas, such as 0,2")
SHAPE = typed(_shape, "a shape C x H x W such as 3x32x32")

TRAIN_EPILOG = """\
A run directory holds checkpoint.npz (written atomically after every epoch), metrics.csv
(or metrics.jsonl), report.json and the plots curves.png, confusion.png, samples.png.
Without --out it is runs/<model>-<data>-<date>-<time> under the current directory.
A run whose loss or gradients stop being finite stops at once with exit status 3, keeping
the checkpoint of its last good epoch.
--resume RUN continues the run RUN (or the run in --out, or the latest run under runs/) from
its last checkpoint, with the configuration it was started with, and ends with the same weights
as a run that was never interrupted.

examples:
  cnnlab train                                     LeNet-5 on the embedded MNIST digits
  cnnlab train --augment --epochs 30
  cnnlab train --model chapter_net --data cifar2 --data-dir ~/data --epochs 20
  cnnlab train --model lenet5_bn --data cifar10 --optimizer adam --lr 0.001 --engine torch
  cnnlab train --resume runs/lenet5-mnist5k-20240101-120000
"""


def add_train_parser(subparsers) -> None:
    """``cnnlab train``: every flag defaults to "not given" so a resumed run can tell which
    values the user set."""
    p = subparsers.add_parser(
        "train",
        help="train a model (default: LeNet-5 on the embedded MNIST digits)",
        description="Train one of the chapter's CNNs and report its train and test accuracy, "
        "per-class accuracy and confusion matrix.",
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        argument_default=argparse.SUPPRESS,
    )
    d = DEFAULTS
    p.add_argument("--model", choices=MODELS, help=f"the network (default: {d.model})")
    p.add_argument(
        "--data",
        choices=DATASETS,
        help=f"the dataset (default: {d.data}, 5,000 real MNIST digits that need no files)",
    )
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where the dataset files are (default: $CNNLAB_DATA, else ~/.cache/cnnlab/data)",
    )
    p.add_argument("--download", action="store_true", help="download missing dataset files")
    p.add_argument(
        "--classes",
        type=CLASS_LIST,
        metavar="I,J,...",
        help="keep these labels only, relabelled 0..k-1 (cifar2: default 0,2)",
    )
    p.add_argument(
        "--engine", choices=ENGINES, help=f"numpy (cnnlab) or torch (default: {d.engine})"
    )
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=f"(default: {d.optimizer})")
    p.add_argument(
        "--lr",
        type=POSITIVE_FLOAT,
        help="learning rate, the peak under onecycle (default: 0.05 for sgd, 0.002 for adam)",
    )
    p.add_argument("--momentum", type=MOMENTUM, help=f"SGD momentum (default: {d.momentum})")
    p.add_argument("--weight-decay", type=NON_NEGATIVE_FLOAT, help=f"(default: {d.weight_decay})")
    p.add_argument(
        "--schedule",
        choices=SCHEDULES,
        help="learning-rate schedule: step = x0.1 "
        "at 50%% and 75%% of the epochs, cosine = annealed per epoch, onecycle = warm "
        f"up then anneal per batch (default: {d.schedule})",
    )
    p.add_argument(
        "--epochs",
        type=POSITIVE_INT,
        help=f"(default: {DEFAULT_EPOCHS[False]}, or {DEFAULT_EPOCHS[True]} with --augment)",
    )
    p.add_argument("--batch-size", type=POSITIVE_INT, help=f"(default: {d.batch_size})")
    p.add_argument(
        "--augment",
        action=argparse.BooleanOptionalAction,
        help="random shifts (MNIST) or crop + flip (CIFAR) "
        f"(default: {'on' if d.augment else 'off'})",
    )
    p.add_argument("--seed", type=NON_NEGATIVE_INT, help=f"(default: {d.seed})")
    p.add_argument(
        "--threads",
        type=POSITIVE_INT,
        metavar="N",
        help="compute threads (default: the engine's own, one per core)",
    )
    p.add_argument(
        "--limit",
        type=POSITIVE_INT,
        metavar="N",
        help="use at most N images of each split (quick runs)",
    )
    p.add_argument("--out", metavar="DIR", help="the run directory (default: see below)")
    p.add_argument(
        "--resume",
        nargs="?",
        const=True,
        metavar="RUN",
        help="continue a run from its checkpoint: RUN (a run directory or its checkpoint.npz), "
        "else the run in --out, else the latest under runs/",
    )
    p.add_argument(
        "--metrics",
        choices=METRIC_FORMATS,
        help=f"per-epoch metrics file format (default: {d.metrics})",
    )
    p.add_argument("--no-plots", dest="plots", action="store_false", help="do not write PNG plots")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.add_argument(
        "--detect-anomaly",
        action="store_true",
        help="anomaly mode: a diverging run names the first op whose value or gradient is not "
        "finite and the line that made it (slower)",
    )
    p.add_argument(
        "--nproc",
        type=POSITIVE_INT,
        metavar="N",
        help="train data-parallel on N processes of this machine: starts torchrun --standalone "
        "--nproc-per-node N (--batch-size stays the global batch; needs PyTorch)",
    )
    p.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    from cnnlab.train import distributed

    if "nproc" in args:
        return launch_torchrun(args.nproc, getattr(args, "argv", None) or sys.argv[1:])
    # Only the flags the user gave are in ``args``: a resumed run takes the rest from its
    # checkpoint, a new run from TrainConfig's defaults.
    given = {k: v for k, v in vars(args).items() if k in TrainConfig.__dataclass_fields__}
    if not distributed.launched_by_torchrun():
        return train_and_report(train_config(given))
    distributed.join_process_group()
    try:
        decided = distributed.agreed_on_rank0(lambda: train_config(restart_aware(given)).to_dict())
        return train_and_report(TrainConfig.from_dict(decided))
    finally:
        distributed.leave_process_group()


def train_config(given: dict) -> TrainConfig:
    """The run's config from the flags the user ``given``, a resumed run's from its checkpoint."""
    from cnnlab.train import resolve_config

    given = dict(given)
    if isinstance(given.get("resume"), str):
        given["out"] = str(resumed_run_directory(given["resume"], given.get("out")))
        given["resume"] = True
    if given.get("resume"):
        given.setdefault("quiet", False)  # what to print is this command's, not the run's
        given.setdefault("detect_anomaly", False)
        return resolve_config(TrainConfig(resume=True, out=given.get("out")), given)
    return resolve_config(TrainConfig(**given))


def restart_aware(given: dict) -> dict:
    """Under torchrun: a worker restarted by ``--max-restarts`` resumes the run in ``--out`` from
    its checkpoint; restarts need ``--out`` to find it."""
    from pathlib import Path

    from cnnlab.train import distributed
    from cnnlab.train.checkpoint import CHECKPOINT_NAME

    if distributed.may_restart() and not given.get("out") and not given.get("resume"):
        raise ValueError(
            "torchrun --max-restarts needs --out DIR, so that restarted workers find the run's "
            "checkpoint"
        )
    out = given.get("out")
    if distributed.restarted() and out and (Path(out) / CHECKPOINT_NAME).exists():
        return {**given, "resume": True}
    return given


def train_and_report(config: TrainConfig) -> int:
    """Train ``config``; on Ctrl-C say how to continue and return 130; a diverged run's line
    and 3."""
    from cnnlab.ops.kernels import compiling_in_background
    from cnnlab.train import train
    from cnnlab.train.divergence import EXIT_DIVERGED, TrainingDiverged

    try:
        with compiling_in_background():  # a first run trains while its kernels compile
            train(config)
    except TrainingDiverged as diverged:
        print(f"cnnlab: {diverged}", file=sys.stderr)
        if diverged.trace:
            print(diverged.trace, file=sys.stderr)
        return EXIT_DIVERGED
    except KeyboardInterrupt:
        print(
            f"\ncnnlab: interrupted; continue with: cnnlab train --resume --out {config.out}",
            file=sys.stderr,
        )
        return 130
    return 0


def launch_torchrun(nproc: int, argv: Sequence[str]) -> int:
    """``cnnlab train --nproc N ...``: run ``torchrun --standalone --nproc-per-node N -m cnnlab
    train ...`` (``python -m torch.distributed.run``) and return its exit status."""
    import subprocess

    from cnnlab.train import distributed

    if distributed.launched_by_torchrun():
        raise ValueError("--nproc starts torchrun itself: do not give it under torchrun")
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={nproc}",
        "-m",
        "cnnlab",
        *without_nproc(argv),
    ]
    return subprocess.run(command).returncode


def without_nproc(argv: Sequence[str]) -> list[str]:
    """``argv`` without its ``--nproc N`` (or ``--nproc=N``)."""
    kept, skip = [], False
    for token in argv:
        if skip:
            skip = False
        elif token == "--nproc":
            skip = True
        elif not token.startswith("--nproc="):
            kept.append(token)
    return kept


CHECKPOINT_HELP = "a run directory written by cnnlab train, its checkpoint.npz, or an .onnx file"


def resumed_run_directory(run: str, out: str | None):
    """The run directory of ``--resume RUN`` (a directory or its checkpoint file)."""
    from pathlib import Path

    from cnnlab.train import find_checkpoint

    directory = find_checkpoint(run).parent
    if out is not None and Path(out).resolve() != directory.resolve():
        raise ValueError(f"--resume {run} and --out {out} name two different runs; give one")
    return directory


def add_evaluate_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help="accuracy, per-class accuracy and confusion matrix of a checkpoint",
        description="Evaluate a checkpoint on a test split (only the test files are read). "
        "The data are looked for where the run found them, unless --data-dir says otherwise.",
    )
    p.add_argument("checkpoint", help=CHECKPOINT_HELP)
    p.add_argument(
        "--data", choices=DATASETS, help="the dataset (default: the one it was trained on)"
    )
    p.add_argument(
        "--data-dir", metavar="DIR", help="where the dataset files are (default: the run's)"
    )
    p.add_argument("--download", action="store_true", help="download missing dataset files")
    p.add_argument(
        "--classes",
        type=CLASS_LIST,
        metavar="I,J,...",
        help="class selection (default: the training run's)",
    )
    p.add_argument("--limit", type=POSITIVE_INT, metavar="N", help="at most N test images")
    p.add_argument("--engine", choices=ENGINES, default="numpy", help="(default: numpy)")
    add_runtime_argument(p)
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object (strict JSON: a number that is not finite is null, and "
        'its name is listed under "not_finite")',
    )
    p.set_defaults(func=run_evaluate)


def add_runtime_argument(p) -> None:
    p.add_argument(
        "--runtime",
        choices=("onnxruntime", "numpy"),
        help="what runs an .onnx file: onnxruntime, or the cnnlab engine after "
        "cnnlab.onnx.load (default: onnxruntime when installed)",
    )


def load_for_command(args: argparse.Namespace):
    """The checkpoint's model (or the ``.onnx`` file's), after saying on stderr which file it
    is."""
    from cnnlab.train import load_model

    if str(args.checkpoint).lower().endswith(".onnx"):
        from cnnlab.onnx.runtime import load_onnx_model

        loaded = load_onnx_model(args.checkpoint, args.runtime)
        if getattr(args, "data", "") is None and not loaded.checkpoint.config["data"]:
            raise ValueError(f"{args.checkpoint} does not say what it was trained on: give --data")
    elif args.runtime is not None:
        raise ValueError(f"--runtime is for .onnx files; {args.checkpoint} is a checkpoint")
    else:
        loaded = load_model(args.checkpoint, args.engine)
    print(f"checkpoint {loaded.describe()}", file=sys.stderr)
    return loaded


def run_evaluate(args: argparse.Namespace) -> int:
    from cnnlab.train import evaluate_checkpoint, format_report
    from cnnlab.train.jsoncodec import strict_dumps

    report = evaluate_checkpoint(
        load_for_command(args),
        data=args.data,
        data_dir=args.data_dir,
        download=args.download,
        classes=args.classes,
        limit=args.limit,
        engine=args.engine,
    )
    if args.json:
        print(strict_dumps(report))
    else:
        print(f"{report['model']} on {report['data']}: loss {report['loss']:.4f}")
        print(format_report(report))
    return 0


def add_predict_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "predict",
        help="classify image files with a checkpoint",
        description="Classify image files (PNG, JPEG, ...). Digit models see each digit placed "
        "as MNIST's were: light on dark (a dark digit on a light page is inverted, which is "
        "said), its bounding box scaled to 20x20 and centred by centre of mass in 28x28. Other "
        "models see the image in their channels and size. A file that cannot be read gets its "
        "error and the others their answers; the exit status is then 1.",
    )
    p.add_argument("checkpoint", help=CHECKPOINT_HELP)
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    p.add_argument(
        "--invert",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="invert the pixels (or, with --no-invert, not); default: grey models invert "
        "an image whose border is light, colour models never",
    )
    p.add_argument(
        "--top", type=POSITIVE_INT, default=3, help="classes listed per image (default: 3)"
    )
    p.add_argument("--engine", choices=ENGINES, default="numpy", help="(default: numpy)")
    add_runtime_argument(p)
    p.add_argument("--json", action="store_true", help="print a JSON list, one object per image")
    p.set_defaults(func=run_predict)


def run_predict(args: argparse.Namespace) -> int:
    from cnnlab.train import predict_images
    from cnnlab.train.jsoncodec import strict

    results = predict_images(load_for_command(args), args.images, invert=args.invert)
    failed = [result for result in results if "error" in result]
    if args.json:
        print(json.dumps([strict(result) for result in results], allow_nan=False))
    for result in results:
        if "error" in result:
            print(f"cnnlab: error: {result['error']}", file=sys.stderr)
        elif not args.json:
            print(format_prediction(result, args.top))
    return 1 if failed else 0


def format_prediction(result: dict, top: int) -> str:
    """``digit.png: 7 (98.1%)  [7 98.1%, 1 1.2%, 9 0.3%]  inverted (dark on light)``."""
    ranked = sorted(result["probabilities"].items(), key=lambda item: -item[1])[:top]
    others = ", ".join(f"{name} {100 * p:.1f}%" for name, p in ranked)
    inverted = "  inverted (dark on light)" if result["inverted"] else ""
    return (
        f"{result['file']}: {result['class']} ({100 * result['probability']:.1f}%)  "
        f"[{others}]{inverted}"
    )


def add_summary_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "summary",
        help="per-layer output shapes and parameter counts of a model",
        description="Print each layer's output shape and parameters, and the total.",
    )
    p.add_argument("model", choices=MODELS, help="the network")
    p.add_argument(
        "--input",
        type=SHAPE,
        metavar="CxHxW",
        help="input shape (default: the model's, e.g. 3x32x32 for chapter_net)",
    )
    p.add_argument("--num-classes", type=POSITIVE_INT, help="outputs (default: the model's)")
    p.add_argument(
        "--depth",
        type=POSITIVE_INT,
        default=1,
        help="list the modules this many levels down, e.g. 3 for each layer of a ResNet block "
        "(default: 1, the model's children)",
    )
    p.add_argument("--engine", choices=ENGINES, default="numpy", help="(default: numpy)")
    p.set_defaults(func=run_summary)


def run_summary(args: argparse.Namespace) -> int:
    from cnnlab.models import build, format_summary, summary

    shape = args.input or MODELS[args.model].input_shape
    if len(shape) != 3:
        raise ValueError(
            f"--input must be C x H x W such as 3x32x32, got {'x'.join(map(str, shape))}"
        )
    if shape[1] != shape[2]:
        raise ValueError(f"--input: the models take square images, got {shape[1]}x{shape[2]}")
    model = build(
        args.model,
        args.engine,
        in_channels=shape[0],
        num_classes=args.num_classes,
        image_size=shape[1],
    )
    title = f"{args.model}: {MODELS[args.model].description}"
    print(format_summary(summary(model, shape, depth=args.depth), title))
    return 0


def add_shape_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "shape",
        help="output shapes (eq. 8.1) and parameters (Table 8.1) of layers you describe",
        description="Follow an input through layers: conv f= s= p= n=, pool (max) or avgpool "
        "f= s= p=, fc n=, bn, flatten, relu/tanh/sigmoid. f defaults to 2 for pooling; s to 1 "
        "for conv and to f for pooling; p to 0 (at most f/2 for pooling, as in PyTorch). k= is "
        "the same as f=. A layer may be one quoted argument: 'conv f=6 s=2 p=1 n=10'.",
        epilog="example (exercise 3a): cnnlab shape 3x64x64 conv f=6 s=2 p=1 n=10",
    )
    p.add_argument("input", type=SHAPE, metavar="CxHxW", help="input shape, e.g. 3x64x64")
    p.add_argument("layers", nargs="+", metavar="LAYER", help="layer words and key=value arguments")
    p.set_defaults(func=run_shape)


def run_shape(args: argparse.Namespace) -> int:
    from cnnlab.models.calculator import format_rows, parse_layers, propagate

    print(format_rows(propagate(args.input, parse_layers(args.layers))))
    return 0


def add_bench_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "bench",
        help="the NumPy engine against PyTorch, side by side",
        description="Time training steps, inference and single ops on both engines, in one "
        "process, in alternating blocks, on the same threads; print each figure and the ratio "
        "(> 1: cnnlab faster), and the peak memory of a training step on each. Needs PyTorch.",
    )
    p.add_argument(
        "--threads",
        type=POSITIVE_INT,
        default=None,
        help="threads for both engines (default: as many as cores)",
    )
    p.add_argument(
        "--repeats",
        type=POSITIVE_INT,
        default=9,
        help="timed blocks per case and engine (default: 9)",
    )
    p.add_argument("--quick", action="store_true", help="one training case and two ops")
    p.add_argument("--no-memory", action="store_true", help="skip the peak memory column")
    p.add_argument("--json", metavar="FILE", default=None, help="also write the results here")
    p.set_defaults(func=run_bench)


def run_bench(args: argparse.Namespace) -> int:
    from cnnlab import bench

    return bench.main(args.threads, args.repeats, args.quick, args.json, not args.no_memory)


def add_export_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "export",
        help="write a checkpoint's model as an ONNX file",
        description="Write the model of a checkpoint as a self-contained ONNX file: its input "
        "is raw images, float32 in [0, 1], N x C x H x W for any N, with the training "
        "normalization inside the graph; its output the class scores. Needs the onnx package "
        '(pip install "cnnlab[onnx]").',
    )
    p.add_argument("checkpoint", help="a run directory written by cnnlab train, or its .npz")
    p.add_argument("out", nargs="?", help="the .onnx file (default: the checkpoint's, .onnx)")
    p.add_argument("--opset", type=POSITIVE_INT, help="ONNX opset version (default: 18)")
    p.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    from cnnlab.onnx.checkpoint import export_checkpoint, format_export

    print(format_export(export_checkpoint(args.checkpoint, args.out, args.opset)))
    return 0


def _port(text: str) -> int | None:
    return int(text) if 0 <= int(text) <= 65535 else None


PORT = typed(_port, "a port number in 0..65535")


def add_serve_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "serve",
        help="a web page: draw a digit, see the prediction, the feature maps and eq. (8.2)",
        description="Serve a local web page for a checkpoint: draw a digit (or upload an "
        "image) and see the prediction, every layer's feature maps and filters, eq. (8.2) for "
        "any clicked cell, and the training runs. Needs the 'serve' extra.",
    )
    p.add_argument(
        "checkpoint",
        nargs="?",
        help="a checkpoint.npz or a run directory (default: the latest run under --runs, "
        "else the pretrained LeNet-5 that ships with cnnlab)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=PORT, default=8000, help="(default: 8000; 0: any free port)")
    p.add_argument("--runs", default="runs", metavar="DIR", help="runs directory (default: runs)")
    p.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from cnnlab.serve import serve

    serve(args.checkpoint, host=args.host, port=args.port, runs_dir=args.runs)
    return 0


COMMANDS: tuple[Callable, ...] = (
    add_train_parser,
    add_evaluate_parser,
    add_predict_parser,
    add_summary_parser,
    add_shape_parser,
    add_bench_parser,
    add_export_parser,
    add_serve_parser,
)


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="cnnlab",
        description="The convolutional neural networks of Chapter 8: train, evaluate, inspect.",
        epilog="run 'cnnlab COMMAND --help' for a command's options",
    )
    from cnnlab import __version__

    parser.add_argument("--version", action="version", version=f"cnnlab {__version__}")
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=ArgumentParser
    )
    for add_parser in COMMANDS:
        add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``cnnlab``; user errors print ``cnnlab: error: <reason>`` and return non-zero."""
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("\ncnnlab: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError, ImportError) as error:
        print(f"cnnlab: error: {error}", file=sys.stderr)
        return 1
