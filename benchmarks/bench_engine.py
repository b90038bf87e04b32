"""The NumPy engine against PyTorch (the same code as ``cnnlab bench``).

python benchmarks/bench_engine.py [--threads N] [--repeats R] [--json results.json]
"""

import argparse

from cnnlab import bench

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="threads for both engines")
    parser.add_argument("--repeats", type=int, default=9, help="timed blocks per case and engine")
    parser.add_argument("--quick", action="store_true", help="a few cases only")
    parser.add_argument("--no-memory", action="store_true", help="skip peak memory")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args()
    raise SystemExit(
        bench.main(args.threads, args.repeats, args.quick, args.json, not args.no_memory)
    )
