"""The benchmark suite's default run: every benchmark in perf/, lamina vs NumPy vs PyTorch.

Usage: python perf/run.py [--quick] [--only NAME ...]

It times the installed lamina: the checkout's own directory is taken off the import path first,
so a source tree next to a regular (non-editable) install cannot shadow it (the tree holds no
compiled extensions). An editable install still resolves to the tree through its import hook.
"""

import argparse
import os
import sys

PERF = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(PERF)
# `python -m perf.run`, PYTHONPATH=. or an interactive session put the checkout (or '', the
# working directory) on the path; the benchmarks' own directory goes in instead.
sys.path[:] = [PERF] + [p for p in sys.path
                        if os.path.abspath(p or os.curdir) not in (CHECKOUT, PERF)]

import autograd  # noqa: E402
import bmm  # noqa: E402
import func  # noqa: E402
import layers  # noqa: E402
import linalg  # noqa: E402
import overhead  # noqa: E402

import lamina  # noqa: E402

BENCHMARKS = {"overhead": overhead, "bmm": bmm, "linalg": linalg, "autograd": autograd,
              "func": func, "layers": layers}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller sizes")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    args = parser.parse_args()
    print(f"lamina imported from {os.path.dirname(os.path.abspath(lamina.__file__))}\n")
    for name in args.only or BENCHMARKS:
        print(f"== {name} ==")
        BENCHMARKS[name].main(["--quick"] if args.quick else [])
        print()


if __name__ == "__main__":
    main()
