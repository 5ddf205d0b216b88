"""Memory (issue 10): a batched op uses its inputs, its outputs and a per-thread workspace, and no
hidden full copies (DESIGN.md, Kernels).

- tracemalloc sees NumPy's allocations (the kernels' outputs and scratch are NumPy arrays): the
  peak of a call, above what was allocated before it, stays within its outputs + 64 KiB for
  the ops whose kernels declare no workspace (they factor in place in their outputs, or hand
  BLAS the inputs through the transpose identity). The kernels with LAPACK workspaces (qr, eigh,
  eig, svd, lstsq, ldl) do not declare their sizes yet, so they are not in this test.
- one large case per op, in a child process: its peak resident size grows by at most 3x the
  input's size (outputs and workspace included).
Both record the `mem_over_budget` figure.
"""

import json
import os
import tracemalloc

import numpy as np
import pytest
from figures import record
from isolated import run_isolated

import lamina as lm

SLACK = 64 << 10
SHAPES = ((1000, 4, 4), (200, 16, 16), (8, 64, 64))
L = lm.linalg

# Ops whose kernels run in place in their outputs (no workspace to declare).
IN_PLACE = {
    "matmul": lambda A: A @ A,
    "bmm": lambda A: lm.bmm(A, A),
    "linalg.cholesky": L.cholesky,
    "linalg.cholesky_ex": L.cholesky_ex,
    "linalg.solve_triangular": lambda A: L.solve_triangular(A, A, upper=False),
    "linalg.lu_factor": L.lu_factor,
    "linalg.det": L.det,
    "linalg.slogdet": L.slogdet,
    "linalg.solve": lambda A: L.solve(A, A),
}


def _spd(shape, seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return lm.from_numpy(a @ a.swapaxes(-1, -2) + shape[-1] * np.eye(shape[-1]))


def _nbytes(result):
    outs = result if isinstance(result, tuple) else (result,)
    return sum(o.numel() * o.element_size() for o in outs)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("op", sorted(IN_PLACE))
def test_tracemalloc_peak(op, shape):
    fn, A = IN_PLACE[op], _spd(shape)
    fn(A)                       # first calls build caches (thread pool, LAPACK queries)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = fn(A)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    budget = _nbytes(out) + SLACK
    record("mem_over_budget", int(peak > budget), op=op)
    assert peak <= budget, f"{op} {shape}: peak {peak} B over {budget} B"


LARGE = {
    "matmul": "lambda A: A @ A",
    "linalg.cholesky": "L.cholesky",
    "linalg.solve_triangular": "lambda A: L.solve_triangular(A, A, upper=False)",
    "linalg.lu_factor": "L.lu_factor",
    "linalg.solve": "lambda A: L.solve(A, A)",
    "linalg.inv": "L.inv",
    "linalg.det": "L.det",
    "linalg.qr": "L.qr",
    "linalg.eigh": "L.eigh",
    "linalg.eigvalsh": "L.eigvalsh",
    "linalg.eig": "L.eig",
    "linalg.svd": "L.svd",
    "linalg.svdvals": "L.svdvals",
    "linalg.lstsq": "lambda A: L.lstsq(A, A[..., :4])",
    "linalg.ldl_factor": "L.ldl_factor",
    "linalg.pinv": "L.pinv",
    "linalg.matrix_exp": "L.matrix_exp",
}

CHILD = """
import json, resource
import numpy as np
import lamina as lm
L = lm.linalg
op = {op}
small = np.random.default_rng(1).standard_normal((4, 64, 64))
op(lm.from_numpy(small @ small.swapaxes(-1, -2) + 64 * np.eye(64)))     # warm up
a = np.random.default_rng(0).standard_normal((1000, 64, 64))          # 32.8 MB
a = a @ a.swapaxes(-1, -2) + 64 * np.eye(64)
A = lm.from_numpy(a)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
out = op(A)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"growth": after - before, "input": a.nbytes}}))
"""


@pytest.mark.skipif(bool(os.environ.get("LAMINA_SANITIZER")), reason="sanitizer build")
@pytest.mark.parametrize("op", sorted(LARGE))
def test_rss_growth_large(op):
    out = run_isolated(CHILD.format(op=LARGE[op]), timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    r = json.loads(out.stdout.splitlines()[-1])
    over = r["growth"] > 3 * r["input"]
    record("mem_over_budget", int(over), op=op)
    assert not over, f"{op}: resident size grew {r['growth'] / r['input']:.2f}x the input"
