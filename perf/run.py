"""The benchmark suite's default run: every benchmark in perf/, lamina vs NumPy vs PyTorch.

Usage: python perf/run.py [--quick] [--only NAME ...]

Opt-in benchmarks (`OPT_IN`, too long or needing extras for the default run) run only when named
with --only, e.g. `--only distributed` (lamina.distributed on a LocalCluster; needs dask).

It times the installed lamina: the checkout's own directory is taken off the import path first,
so a source tree next to a regular (non-editable) install cannot shadow it (the tree holds no
compiled extensions). An editable install still resolves to the tree through its import hook.
"""

import argparse
import importlib
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
# name -> module, imported only when named (the default run must not need dask).
OPT_IN = {"distributed": "distributed_linalg"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller sizes")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS) + sorted(OPT_IN),
                        help="run only these")
    args = parser.parse_args()
    print(f"lamina imported from {os.path.dirname(os.path.abspath(lamina.__file__))}\n")
    for name in args.only or BENCHMARKS:
        print(f"== {name} ==")
        module = BENCHMARKS.get(name) or importlib.import_module(OPT_IN[name])
        module.main(["--quick"] if args.quick else [])
        print()


if __name__ == "__main__":
    main()
