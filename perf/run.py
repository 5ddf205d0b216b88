"""The benchmark suite's default run: every benchmark in perf/, lamina vs NumPy vs PyTorch.

Usage: python perf/run.py [--quick] [--only NAME ...]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import overhead  # noqa: E402

BENCHMARKS = {"overhead": overhead}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller sizes")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    args = parser.parse_args()
    for name in args.only or BENCHMARKS:
        print(f"== {name} ==")
        BENCHMARKS[name].main(["--quick"] if args.quick else [])
        print()


if __name__ == "__main__":
    main()
