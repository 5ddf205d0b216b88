"""Batched matrix products: lamina vs NumPy (and PyTorch, JAX when installed), against the floor.

Every library multiplies the same inputs in one process. The floor of a product is what this
machine cannot beat: its bytes (A, B and C once each) over the copy bandwidth measured at that
working-set size, or its flops (2 n^3 per matrix) over the measured GEMM peak, whichever is
larger. Both are measured at the start and the end of the run, so a table shows how far each
library is from the hardware, not only from the others.
"""

import threads_env  # noqa: F401  (before numpy: see threads_env.py)

# isort: split
import argparse
import os

import numpy as np
from timing import (
    LIBS,
    format_table,
    jax,
    jnp,
    measure_floors,
    set_threads,
    time_interleaved,
    to_numpy,
    torch,
)

import lamina as lm

# name -> (batch, n): from many tiny matrices (memory-bound, per-matrix overhead shows) to one
# large one (compute-bound, BLAS's own threading decides).
CASES = {
    "4x4": (100000, 4),
    "16x16": (20000, 16),
    "64x64": (2000, 64),
    "512x512": (32, 512),
    "2048x2048": (1, 2048),
}
# --quick: a tenth of each batch, and 1024 for the single large matrix (an eighth of the flops).
QUICK_CASES = {"4x4": (10000, 4), "16x16": (2000, 16), "64x64": (200, 64),
               "512x512": (4, 512), "2048x2048": (1, 1024)}
DTYPES = ("float64", "float32")
OPS = ("bmm", "matmul")

def _callables(op, a, b):
    """library -> zero-argument call of `op` on the library's copy of a, b (None: not available).

    NumPy has no bmm; np.matmul on 3-d inputs is the same product. JAX dispatches
    asynchronously, so its call waits for the result.
    """
    calls = {"numpy": lambda: np.matmul(a, b)}
    la, lb = lm.from_numpy(a), lm.from_numpy(b)
    lm_op = getattr(lm, op, None)
    calls["lamina"] = None if lm_op is None else (lambda: lm_op(la, lb))
    if torch is not None:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        torch_op = getattr(torch, op)
        calls["torch"] = lambda: torch_op(ta, tb)
    if jax is not None:
        ja, jb = jnp.asarray(a), jnp.asarray(b)
        jax_op = jax.jit(jax.lax.batch_matmul if op == "bmm" else jnp.matmul)
        calls["jax"] = lambda: jax_op(ja, jb).block_until_ready()
    return calls


def bytes_of(batch, n, dtype):
    """What one product moves: A, B and C once each."""
    return 3 * batch * n * n * np.dtype(dtype).itemsize


def floor_of(batch, n, dtype, floors):
    """(seconds, 'mem' or 'flop'): the larger of the memory and the compute floor."""
    return floors.of(bytes_of(batch, n, dtype), 2 * batch * n**3, dtype)


def run_case(op, batch, n, dtype, quick=False):
    """Median seconds per call of each library on one case (NaN: a wrong result)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((batch, n, n)).astype(dtype)
    b = rng.standard_normal((batch, n, n)).astype(dtype)
    expected = np.matmul(a, b)
    tol = 1e-4 if dtype == "float32" else 1e-10

    def correct(result):
        return np.allclose(to_numpy(result), expected, rtol=tol, atol=tol * n)

    return time_interleaved(_callables(op, a, b), correct, quick,
                            label=f"{op} {n}x{n} {dtype}")


def run(quick=False, sizes=None, dtypes=DTYPES, ops=OPS):
    cases = QUICK_CASES if quick else CASES
    rows = []
    for op in ops:
        for dtype in dtypes:
            for name in sizes or cases:
                batch, n = cases[name]
                rows.append({"op": op, "dtype": dtype, "batch": batch, "n": n,
                             "times": run_case(op, batch, n, dtype, quick)})
    return rows


def plot(rows, path, floors):
    """Time against batch size and against matrix size, log-log, one line per library and
    dtype, the floor dashed; one row of panels per op."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: no plot ({path})")
        return
    ops = list(dict.fromkeys(r["op"] for r in rows))
    fig, axes = plt.subplots(len(ops), 2, figsize=(11, 4 * len(ops)), squeeze=False)
    colors = dict(zip(LIBS + ("floor",), ("C0", "C1", "C2", "C3", "k"), strict=True))
    styles = {"float64": "-", "float32": ":"}
    for ax_row, op in zip(axes, ops, strict=True):
        for dtype in dict.fromkeys(r["dtype"] for r in rows):
            sel = [r for r in rows if r["op"] == op and r["dtype"] == dtype]
            series = {lib: [r["times"].get(lib) for r in sel] for lib in LIBS}
            series["floor"] = [floor_of(r["batch"], r["n"], dtype, floors)[0] for r in sel]
            for ax, key in zip(ax_row, ("batch", "n"), strict=True):
                x = [r[key] for r in sel]
                for lib, ys in series.items():
                    pts = [(xi, y * 1e3) for xi, y in zip(x, ys, strict=True) if y is not None]
                    if pts:
                        ax.plot(*zip(*pts, strict=True), marker="o", color=colors[lib],
                                linestyle="--" if lib == "floor" else styles[dtype],
                                label=f"{lib} {dtype}")
        for ax, xlabel in zip(ax_row, ("batch size", "matrix size n"), strict=True):
            ax.set(xscale="log", yscale="log", xlabel=xlabel, ylabel="median time (ms)",
                   title=f"{op}: time vs {xlabel}")
            ax.grid(True, which="both", alpha=0.3)
        ax_row[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"plot written to {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller cases")
    parser.add_argument("--sizes", nargs="+", choices=list(CASES), help="only these cases")
    parser.add_argument("--dtypes", nargs="+", choices=DTYPES, default=list(DTYPES))
    parser.add_argument("--ops", nargs="+", choices=OPS, default=list(OPS))
    parser.add_argument("--threads", type=int, help="thread count for every library")
    parser.add_argument("--plot", default=os.path.join(os.path.dirname(__file__), "bmm.png"),
                        metavar="PATH", help="where to write the plot (default perf/bmm.png)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        applied, _limiter = set_threads(args.threads)
        print(f"threads: {args.threads} for {', '.join(applied) or 'no library'}"
              + ("" if "lamina" in applied else " (lamina has no set_num_threads yet)"))
    if not hasattr(lm, "bmm"):
        print("lamina has no bmm yet: its bmm cells are skipped")
    # Floors before and after the cases, the better of each kept.
    cases = QUICK_CASES if args.quick else CASES
    working_sets = [bytes_of(*cases[name], dtype) for name in args.sizes or cases
                    for dtype in args.dtypes]
    floors = measure_floors(working_sets, args.quick)
    rows = run(args.quick, args.sizes, args.dtypes, args.ops)
    floors = floors.best(measure_floors(working_sets, args.quick))
    print(f"Floors: {floors.describe()}")
    print("Batched matrix products, median ms per call (multiple of the floor)")
    print(format_table([dict(r, label=r["op"], floor=floor_of(r["batch"], r["n"], r["dtype"],
                                                              floors)) for r in rows]))
    plot(rows, args.plot, floors)


if __name__ == "__main__":
    main()
