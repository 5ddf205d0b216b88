"""Batched factorizations and solves: lamina vs NumPy (and PyTorch, JAX when installed).

Every library runs the same inputs in one process, interleaved round by round. Each case also
shows its floor: the bytes it must read and write over the copy bandwidth measured at that size,
or its flops over the measured GEMM peak, whichever is larger (LAPACK routines run below GEMM
speed, so for large matrices the floor is optimistic; for tiny ones the memory floor is what
counts).
"""

import threads_env  # noqa: F401  (before numpy: see threads_env.py)

# isort: split
import argparse
import math

import numpy as np
from timing import (
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

DTYPES = ("float64", "float32")

# op -> (input kind, flops per n x n matrix with k right-hand sides, words written per matrix).
# Inputs: "spd" = X X^T / n + I, "general" = X / sqrt(n) + 2 I (well conditioned, and |det| stays
# inside float32's range at n = 64), "sym" = X + X^T.
OPS = {
    "cholesky": ("spd", lambda n, k: n**3 / 3, lambda n, k: n * n),
    "inv": ("general", lambda n, k: 2 * n**3, lambda n, k: n * n),
    "solve": ("general", lambda n, k: 2 * n**3 / 3 + 2 * n * n * k, lambda n, k: n * k),
    "det": ("general", lambda n, k: 2 * n**3 / 3, lambda n, k: 1),
    "slogdet": ("general", lambda n, k: 2 * n**3 / 3, lambda n, k: 2),
    "qr": ("general", lambda n, k: 4 * n**3 / 3, lambda n, k: 2 * n * n),
    "eigh": ("sym", lambda n, k: 9 * n**3, lambda n, k: n * n + n),
    "svd": ("general", lambda n, k: 22 * n**3, lambda n, k: 2 * n * n + n),
}

# (op, batch, n, right-hand sides): the cases. solve runs with 1 and n right-hand sides.
CASES = (
    [(op, b, n, 0) for op in ("cholesky", "inv", "det", "slogdet")
     for b, n in ((100000, 4), (20000, 16), (2000, 64))]
    + [("solve", b, n, k) for b, n in ((100000, 4), (20000, 16), (2000, 64)) for k in (1, n)]
    + [(op, b, n, 0) for op in ("qr", "eigh", "svd") for b, n in ((20000, 8), (2000, 32))]
    + [("cholesky", 1, 2048, 0), ("eigh", 1, 1024, 0), ("svd", 1, 1024, 0)]
)


def _quick(case):
    """--quick: a tenth of each batch, single large matrices halved."""
    op, batch, n, k = case
    if batch == 1:
        return op, 1, n // 2, k
    return op, batch // 10, n, k


def _inputs(kind, batch, n, k, dtype, rng):
    x = rng.standard_normal((batch, n, n))
    if kind == "spd":
        a = x @ x.swapaxes(-1, -2) / n + np.eye(n)
    elif kind == "sym":
        a = x + x.swapaxes(-1, -2)
    else:
        a = x / math.sqrt(n) + 2 * np.eye(n)
    a = a.astype(dtype)
    b = rng.standard_normal((batch, n, k)).astype(dtype) if k else None
    return a, b


def _calls(op, a, b):
    """library -> zero-argument call (None: that library lacks the op). NumPy's solve wants a
    (..., n, k) right-hand side, which is what every case passes."""
    args = (a,) if b is None else (a, b)
    calls = {"numpy": lambda: getattr(np.linalg, op)(*args)}
    lm_op = getattr(lm.linalg, op, None)
    largs = tuple(lm.from_numpy(x) for x in args)
    calls["lamina"] = None if lm_op is None else (lambda: lm_op(*largs))
    if torch is not None:
        targs = tuple(torch.from_numpy(x) for x in args)
        torch_op = getattr(torch.linalg, op)
        calls["torch"] = lambda: torch_op(*targs)
    if jax is not None:
        jargs = tuple(jnp.asarray(x) for x in args)
        jax_op = jax.jit(getattr(jnp.linalg, op))
        calls["jax"] = lambda: jax.block_until_ready(jax_op(*jargs))
    return calls


def _invariant(op, result, a):
    """What every library's result must agree on: factors that are unique, or reconstructions
    and spectra where they are not (signs of Q's columns, eigenvector phases)."""
    r = to_numpy(result)
    if op == "qr":
        q, rr = r
        return q @ rr
    if op == "eigh":
        return r[0]
    if op == "svd":
        return r[1]
    if op == "slogdet":
        return np.stack([r[0], r[1]])
    return r


def run_case(op, batch, n, k, dtype, quick=False):
    rng = np.random.default_rng(0)
    a, b = _inputs(OPS[op][0], batch, n, k, dtype, rng)
    calls = _calls(op, a, b)
    expected = _invariant(op, calls["numpy"](), a)
    tol = 2e-3 if dtype == "float32" else 1e-8

    def correct(result):
        got = _invariant(op, result, a)
        return np.allclose(got, expected, rtol=tol, atol=tol * np.abs(expected).max(initial=1))

    label = f"{op} {batch}x{n}x{n}" + (f" k={k}" if k else "") + f" {dtype}"
    return time_interleaved(calls, correct, quick, label=label)


def bytes_of(op, batch, n, k, dtype):
    """What one call must read and write."""
    written = OPS[op][2]
    return batch * (n * n + n * k + written(n, k)) * np.dtype(dtype).itemsize


def floor_of(op, batch, n, k, dtype, floors):
    """(seconds, 'mem' or 'flop'): the larger of the memory and the compute floor."""
    return floors.of(bytes_of(op, batch, n, k, dtype), batch * OPS[op][1](n, k), dtype)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller cases")
    parser.add_argument("--ops", nargs="+", choices=list(OPS), default=list(OPS))
    parser.add_argument("--dtypes", nargs="+", choices=DTYPES, default=["float64"])
    parser.add_argument("--threads", type=int, help="thread count for every library")
    args = parser.parse_args(argv)
    if args.threads is not None:
        applied, _limiter = set_threads(args.threads)
        print(f"threads: {args.threads} for {', '.join(applied)}")
    missing = [op for op in args.ops if not hasattr(lm.linalg, op)]
    if missing:
        print(f"lamina.linalg lacks {', '.join(missing)} yet: those cells are skipped")
    cases = [_quick(case) if args.quick else case for case in CASES]
    cases = [case for case in cases if case[0] in args.ops]
    working_sets = [bytes_of(*case, dtype) for case in cases for dtype in args.dtypes]
    floors = measure_floors(working_sets, args.quick)
    rows = []
    for op, batch, n, k in cases:
        for dtype in args.dtypes:
            rows.append({"op": op, "dtype": dtype, "batch": batch, "n": n, "k": k,
                         "times": run_case(op, batch, n, k, dtype, args.quick)})
    floors = floors.best(measure_floors(working_sets, args.quick))
    print(f"Floors: {floors.describe()}")
    print("Batched linear algebra, median ms per call (multiple of the floor)")
    print(format_table([dict(r, label=r["op"] + (f" (k={r['k']})" if r["k"] else ""),
                             floor=floor_of(r["op"], r["batch"], r["n"], r["k"], r["dtype"],
                                            floors)) for r in rows]))


if __name__ == "__main__":
    main()
