"""What every benchmark in perf/ shares: interleaved timing, the machine's floors, thread limits.

Libraries are timed round by round in one process on the same inputs, so drift in this shared
machine's speed hits all of them alike; medians over rounds are reported.
"""

import argparse
import math
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.linalg.blas

import lamina as lm

# The other libraries, where installed (None where not); the benchmarks take them from here.
try:
    import torch
except ImportError:
    torch = None

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)  # float64 inputs stay float64
except ImportError:
    jax = jnp = None

try:
    import threadpoolctl
except ImportError:
    threadpoolctl = None

LIBS = ("lamina", "numpy", "torch", "jax")

# Seconds of timing per case (all libraries together), and the round counts around it: enough
# rounds for a stable median on this shared 2-core machine, and a default run of a few minutes
# when the machine is idle.
BUDGET = {False: 2.0, True: 0.2}
ROUNDS = {False: (3, 31), True: (3, 5)}
SAMPLE_S = 0.01  # a sample repeats the call until it lasts ~10 ms, so the clock's jitter is small


def to_numpy(result):
    if isinstance(result, (tuple, list)):
        return tuple(to_numpy(r) for r in result)
    return result.numpy() if hasattr(result, "numpy") else np.asarray(result)


def time_once(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def time_interleaved(calls, correct, quick=False, label=""):
    """library -> median seconds per call, for each library whose call is not None; a library
    whose result `correct(result)` rejects is reported as NaN rather than timed."""
    numbers, results, per_round = {}, {}, 0.0
    for lib, fn in calls.items():
        if fn is None:
            continue
        # Warm-up: a first call allocates, JIT-compiles or spins up thread pools; the second is
        # checked, and its time sets how many calls make one sample.
        fn()
        start = time.perf_counter()
        result = fn()
        t = time.perf_counter() - start
        if not correct(result):
            print(f"  {lib} {label}: wrong result, not timed")
            results[lib] = math.nan
            continue
        numbers[lib] = max(1, math.ceil(SAMPLE_S / t))
        per_round += numbers[lib] * t
    lo, hi = ROUNDS[quick]
    rounds = min(hi, max(lo, int(BUDGET[quick] / max(per_round, 1e-9))))
    samples = {lib: [] for lib in numbers}
    for _ in range(rounds):
        for lib, number in numbers.items():
            # One untimed call first: the library timed before this one leaves its mark on the
            # first calls after it (PyTorch's OpenMP workers spin on the cores for a while after
            # each parallel region: a 4x4 inverse batch right after a torch call took 1.9 ms
            # against 1.4 ms alone; the caches hold its data, not this library's).
            calls[lib]()
            samples[lib].append(time_once(calls[lib], number))
    results.update({lib: statistics.median(v) for lib, v in samples.items()})
    return results


class Floors:
    """The machine's floors: copy bandwidth at each working-set size a table needs (bytes/s)
    and GEMM peak per dtype (flop/s)."""

    def __init__(self, bandwidth, peak):
        self.bandwidth, self.peak = bandwidth, peak

    def best(self, other):
        """The better of two measurements of each floor: a floor measured while a neighbour
        loaded this shared machine would flatter every library."""
        return Floors({k: max(v, other.bandwidth[k]) for k, v in self.bandwidth.items()},
                      {k: max(v, other.peak[k]) for k, v in self.peak.items()})

    def of(self, nbytes, flops, dtype):
        """(seconds, 'mem' or 'flop'): the larger of moving `nbytes` and computing `flops`."""
        mem = nbytes / self.bandwidth[nbytes]
        flop = flops / self.peak[dtype]
        return (mem, "mem") if mem >= flop else (flop, "flop")

    def describe(self):
        rates = sorted(self.bandwidth.items())
        return (f"copy bandwidth {rates[0][1] / 1e9:.0f}-{rates[-1][1] / 1e9:.0f} GB/s "
                f"(working sets {rates[0][0] / 1e6:.0f}-{rates[-1][0] / 1e6:.0f} MB), GEMM peak "
                f"{self.peak['float64'] / 1e9:.0f} GFLOP/s (float64), "
                f"{self.peak['float32'] / 1e9:.0f} GFLOP/s (float32); "
                f"floor = max(bytes / bandwidth at that size, flops / peak)")


def _copy_rate(nbytes, threads):
    """Bytes read plus written per second by a copy whose source and destination together
    span `nbytes`, split over `threads` threads (np.copyto releases the GIL), best of 7.

    Measured at each case's own working set because the caches decide: a 38 MB batch stays in
    a large L3 from one call to the next while a 256 MB copy streams from memory; and over
    lamina's thread count because one core alone does not saturate memory."""
    half = max(1, nbytes // 16)
    src, dst = np.ones(half), np.empty(half)
    bounds = np.linspace(0, half, threads + 1).astype(int)
    parts = [(dst[lo:hi], src[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    with ThreadPoolExecutor(threads) as pool:
        def copy():
            list(pool.map(lambda p: np.copyto(*p), parts))

        copy()
        return 2 * src.nbytes / min(time_once(copy, 1) for _ in range(7))


def measure_floors(working_sets, quick=False):
    """Floors of this machine: copy bandwidth at each of `working_sets` (bytes), over lamina's
    thread count, and GEMM peak (scipy's ?gemm on a large square matrix with all of OpenBLAS's
    threads), each the best of a few runs, since any slower run was disturbed."""
    threads = lm.get_num_threads()
    bandwidth = {nbytes: _copy_rate(nbytes, threads) for nbytes in set(working_sets)}
    n = 1024 if quick else 2048
    peak = {}
    for dtype, gemm in (("float64", scipy.linalg.blas.dgemm), ("float32", scipy.linalg.blas.sgemm)):
        a = np.asfortranarray(np.random.default_rng(0).standard_normal((n, n)), dtype=dtype)
        gemm(1.0, a, a)
        best = min(time_once(lambda gemm=gemm, a=a: gemm(1.0, a, a), 1) for _ in range(3))
        peak[dtype] = 2 * n**3 / best
    return Floors(bandwidth, peak)


def set_threads(n):
    """Limit every library to n threads where it can be limited.

    Returns the names of the libraries limited, and threadpoolctl's limiter (None without it),
    which must stay referenced while the limit should hold.
    """
    applied, limiter = [], None
    lm.set_num_threads(n)
    applied.append("lamina")
    if torch is not None:
        torch.set_num_threads(n)
        applied.append("torch")
    if threadpoolctl is not None:
        # Process-wide, kept for the whole run: NumPy's and SciPy's OpenBLAS alike.
        limiter = threadpoolctl.threadpool_limits(n)
        applied.append("numpy (threadpoolctl)")
    return applied, limiter


def format_table(rows):
    """A markdown table of medians, each as a multiple of its case's floor, and lamina's ratio to
    NumPy and PyTorch. Each row: label, dtype, batch, n, floor ((seconds, 'mem' or 'flop')) and
    times (library -> seconds, NaN for a wrong result)."""
    libs = [lib for lib in LIBS if any(lib in r["times"] for r in rows)]
    ref = [lib for lib in ("numpy", "torch") if lib in libs]
    head = ("| op | dtype | batch x n x n | floor (ms) | "
            + " | ".join(f"{lib} ms (x floor)" for lib in libs)
            + "".join(f" | lamina/{lib}" for lib in ref) + " |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        floor, bound = r["floor"]
        cells = [r["label"], r["dtype"], f"{r['batch']} x {r['n']} x {r['n']}",
                 f"{floor * 1e3:.3g} ({bound})"]
        for lib in libs:
            t = r["times"].get(lib)
            cells.append("-" if t is None else "wrong" if math.isnan(t)
                         else f"{t * 1e3:.3g} ({t / floor:.1f}x)")
        for lib in ref:
            ours, theirs = r["times"].get("lamina"), r["times"].get(lib)
            cells.append("-" if ours is None or theirs is None or math.isnan(ours)
                         else f"{ours / theirs:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_variants(rows):
    """A markdown table of each case's variants (rows: label, variant -> seconds), each as a
    multiple of the case's first variant."""
    lines = ["| case | variant | ms | x first variant |", "|---|---|---|---|"]
    for label, times in rows:
        first = next(iter(times.values()))
        for variant, t in times.items():
            lines.append(f"| {label} | {variant} | {t * 1e3:.3f} | {t / first:.2f} |")
    return "\n".join(lines)


def simple_main(doc, title, run, format_table, argv=None):
    """The command line of a benchmark that takes only --quick and --threads: parse, limit the
    threads (keeping the limiter referenced for the whole run), run, print `title` and the table."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller cases")
    parser.add_argument("--threads", type=int, default=None, help="threads per library")
    args = parser.parse_args(argv)
    limiter = set_threads(args.threads)[1] if args.threads else None
    print(title)
    print(format_table(run(quick=args.quick)))
    del limiter
