"""Run under torchrun by test_train_distributed: train each case named on the command line in
one process group, writing each run to OUT/<engine>-<model>.

    torchrun --standalone --nproc-per-node 2 distributed_worker.py OUT ENGINE:MODEL ...
"""

from __future__ import annotations

import sys
from pathlib import Path

from cnnlab.train import TrainConfig, train
from cnnlab.train.distributed import join_process_group, leave_process_group

# Uneven shares: batches of 51, 51 and 28 images split 26/25 and 14/14 over two ranks.
PARITY = dict(limit=130, batch_size=51, epochs=1, seed=3, plots=False, quiet=True)


def main(out: str, cases: list[str]) -> None:
    join_process_group()
    try:
        for case in cases:
            engine, model = case.split(":")
            config = TrainConfig(
                model=model, engine=engine, out=str(Path(out) / f"{engine}-{model}"), **PARITY
            )
            train(config)
    finally:
        leave_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
