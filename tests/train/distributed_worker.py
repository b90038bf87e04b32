"""Run under torchrun by test_train_distributed: train each case named on the command line in
one process group, writing each run to OUT/<engine>-<model>.

    torchrun --standalone --nproc-per-node 2 distributed_worker.py OUT OPTIONS ENGINE:MODEL ...

OPTIONS is a JSON object of TrainConfig fields.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cnnlab.train import TrainConfig, train
from cnnlab.train.distributed import join_process_group, leave_process_group


def main(out: str, options: dict, cases: list[str]) -> None:
    join_process_group()
    try:
        for case in cases:
            engine, model = case.split(":")
            config = TrainConfig(
                model=model, engine=engine, out=str(Path(out) / f"{engine}-{model}"), **options
            )
            train(config)
    finally:
        leave_process_group()


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:])
