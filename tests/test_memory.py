"""Memory (issue 10): a batched op uses its inputs, its outputs and a per-thread workspace, and no
hidden full copies (DESIGN.md, Kernels).

- tracemalloc sees NumPy's allocations, and every kernel's outputs and scratch are NumPy arrays:
  the peak of a call, above what was allocated before it, stays within its outputs + the
  workspace its kernels declare (threads x bytes per thread, lamina/_core/_workspace.py) + 64 KiB,
  for every op that runs a kernel, on three shapes (square, and tall/wide for the ops that take
  rectangular matrices). Composites add the intermediates they keep by design, counted per op
  in whole input-sized batches (COPIES) and batches of singular values or eigenvalues (VECTORS);
  matrix_exp alone is left out (below).
- the declarations themselves stay near one matrix's size: no kernel can make the budget above
  pass by declaring a whole batch's worth of scratch.
- one large case per op, in a child process: its peak resident size grows by at most 3x the
  input's size (outputs and workspace included).
Both budgets record the `mem_over_budget` figure.
"""

import json
import os
import tracemalloc

import numpy as np
import pytest
from figures import record
from isolated import run_isolated

import lamina as lm
from lamina._core import _workspace

SLACK = 64 << 10
SHAPES = ((1000, 4, 4), (200, 16, 16), (8, 64, 64))
RECT = ((1000, 6, 4), (200, 16, 24), (8, 96, 64))          # tall, wide, tall
L = lm.linalg


def _one(A):
    return (A,)


def _with_rhs(A):
    return A, A[..., :2].contiguous()


def _with_self(A):
    return A, A


# op -> (its inputs from the sample A, the call, rectangular A too). Inputs are made before the
# measured call; the result is measured while it is alive.
OPS = {
    "matmul": (_with_self, lambda A, B: A @ B.mT, True),
    "bmm": (_with_self, lambda A, B: lm.bmm(A, B.mT), True),
    "linalg.cholesky": (_one, L.cholesky, False),
    "linalg.cholesky_ex": (_one, L.cholesky_ex, False),
    "cholesky_inverse": (lambda A: (L.cholesky(A),), lm.cholesky_inverse, False),
    "linalg.solve_triangular": (_with_self, lambda A, B: L.solve_triangular(A, B, upper=False),
                                False),
    "linalg.lu_factor": (_one, L.lu_factor, True),
    "linalg.lu_factor_ex": (_one, L.lu_factor_ex, True),
    "linalg.lu": (_one, L.lu, True),
    "linalg.lu_solve": (lambda A: (*L.lu_factor(A), A), L.lu_solve, False),
    "linalg.det": (_one, L.det, False),
    "linalg.slogdet": (_one, L.slogdet, False),
    "linalg.solve": (_with_self, L.solve, False),
    "linalg.solve_ex": (_with_self, L.solve_ex, False),
    "linalg.inv": (_one, L.inv, False),
    "linalg.inv_ex": (_one, L.inv_ex, False),
    "linalg.matrix_power": (_one, lambda A: L.matrix_power(A, -3), False),
    "linalg.qr": (_one, L.qr, True),
    "linalg.qr-r": (_one, lambda A: L.qr(A, mode="r"), True),
    "linalg.qr-complete": (_one, lambda A: L.qr(A, mode="complete"), True),
    "geqrf": (_one, lm.geqrf, True),
    "linalg.householder_product": (lambda A: lm.geqrf(A), L.householder_product, False),
    "ormqr": (lambda A: (*lm.geqrf(A), A), lm.ormqr, False),
    "linalg.eigh": (_one, L.eigh, False),
    "linalg.eigvalsh": (_one, L.eigvalsh, False),
    "linalg.eig": (_one, L.eig, False),
    "linalg.eigvals": (_one, L.eigvals, False),
    "linalg.svd": (_one, L.svd, True),
    "linalg.svd-reduced": (_one, lambda A: L.svd(A, full_matrices=False), True),
    "linalg.svdvals": (_one, L.svdvals, True),
    "linalg.lstsq": (_with_rhs, L.lstsq, True),
    "linalg.lstsq-gelsd": (_with_rhs, lambda A, B: L.lstsq(A, B, driver="gelsd"), True),
    "linalg.ldl_factor": (_one, L.ldl_factor, False),
    "linalg.ldl_factor_ex": (_one, L.ldl_factor_ex, False),
    "linalg.ldl_solve": (lambda A: (*L.ldl_factor(A), A), L.ldl_solve, False),
    "linalg.pinv": (_one, L.pinv, True),
    "linalg.pinv-hermitian": (_one, lambda A: L.pinv(A, hermitian=True), False),
    "linalg.matrix_rank": (_one, L.matrix_rank, True),
    "linalg.cond": (_one, L.cond, False),
    "linalg.matrix_norm-2": (_one, lambda A: L.matrix_norm(A, ord=2), True),
}
# linalg.matrix_exp is a polynomial of matmuls and one solve (covered above) whose degree, and so
# its number of live terms, depends on the input's norm: test_rss_growth_large bounds it.
# tensorinv and tensorsolve reshape one tensor into one matrix (no batch) for inv and solve.

# Intermediates a composite keeps alive by design, in batches the size of the input A: (real,
# complex) where they differ.
COPIES = {
    "linalg.lu": 2,                 # the packed factor, and tril's result before `+ eye` makes L
    "linalg.matrix_power": 2,       # A^-1, and A^-2 while A^-3 is formed
    # U and Vh of the reduced SVD, V scaled by 1 / sigma; complex: V = Vh.mH and U.mH too (.mH
    # conjugates into a new array)
    "linalg.pinv": (3, 5),
    "linalg.pinv-hermitian": 3,     # the eigenvectors, V scaled by 1 / lambda, the product's input
}
# ... and in batches of min(m, n) reals: the singular values (or eigenvalues) and the elementwise
# results over them alive at once (|w|, the mask, 1 / w masked and cast).
VECTORS = {
    "linalg.pinv": 3,               # S, the mask, the inverse
    "linalg.pinv-hermitian": 4,     # w, |w|, the mask, the inverse
    "linalg.matrix_rank": 2,        # S, the mask
    "linalg.cond": 2,               # S, the ratio's operands
    "linalg.matrix_norm-2": 2,      # S, its largest
}


def _sample(shape, dtype, strided, seed=0):
    """A well-conditioned matrix batch: Hermitian positive definite when square (every op above
    accepts it), else a random one with its dims' sum added to its leading diagonal. `strided`:
    every other column of a buffer twice as wide, a layout BLAS cannot take as it is (the
    kernels copy each matrix into their scratch: gemm's and trsm's are declared only then)."""
    rng = np.random.default_rng(seed)
    m, n = shape[-2:]
    a = rng.standard_normal(shape).astype(dtype)
    if a.dtype.kind == "c":
        a += 1j * rng.standard_normal(shape)
    a = a @ a.conj().swapaxes(-1, -2) + n * np.eye(n) if m == n else a + (m + n) * np.eye(m, n)
    if not strided:
        return lm.from_numpy(a)
    wide = np.zeros(shape[:-1] + (2 * n,), dtype=a.dtype)
    wide[..., ::2] = a
    return lm.from_numpy(wide)[..., ::2]


def _alive(result):
    """Bytes the result keeps alive: the whole buffers under its tensors (a view keeps its base),
    each counted once."""
    outs = result if isinstance(result, tuple) else (result,)
    bases = {}
    for o in outs:
        if o is None:
            continue
        a = o.numpy()
        while isinstance(a.base, np.ndarray):
            a = a.base
        bases[id(a)] = a.nbytes
    return sum(bases.values())


def _cases():
    """Every op on SHAPES (and RECT), in float64, contiguous and strided; in complex128 on the
    largest shapes too, where LAPACK adds its real workspaces (rwork)."""
    for op, (_, _, rect) in sorted(OPS.items()):
        shapes = SHAPES + (RECT if rect else ())
        cases = [(s, "float64", strided) for s in shapes for strided in (False, True)]
        cases += [(s, "complex128", False) for s in shapes if s[0] == 8]
        for shape, dtype, strided in cases:
            layout = "strided" if strided else "contiguous"
            yield pytest.param(op, shape, dtype, strided,
                               id=f"{op}-{dtype}-{layout}-{'x'.join(map(str, shape))}")


@pytest.mark.parametrize("op, shape, dtype, strided", _cases())
def test_tracemalloc_peak(op, shape, dtype, strided):
    prepare, fn, _ = OPS[op]
    A = _sample(shape, dtype, strided)
    args = prepare(A)
    with _workspace.declared() as scratch:
        fn(*args)               # first calls build caches (thread pool, LAPACK queries)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        out = fn(*args)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    # The kernels of a composite run one after another, each freeing its scratch: the sum bounds
    # what is alive at once.
    workspace = sum(threads * nbytes for _, threads, nbytes in scratch)
    b, m, n = shape
    item = A.element_size()
    real = A.real.element_size() if A.is_complex() else item
    copies = COPIES.get(op, 0)
    if isinstance(copies, tuple):
        copies = copies[A.is_complex()]
    budget = (_alive(out) + workspace + copies * A.numel() * item
              + VECTORS.get(op, 0) * b * min(m, n) * real + SLACK)
    record("mem_over_budget", int(peak > budget), op=op)
    assert peak <= budget, (f"{op} {shape} {dtype} {'strided' if strided else ''}: peak {peak} "
                            f"B over {budget} B (outputs "
                            f"{_alive(out)}, workspace {scratch})")
    # Sanity bound on the declarations (the budget above trusts them). A thread's scratch holds
    # the copy of one matrix that a routine destroying its input needs, a few more matrices'
    # worth of LAPACK's (?geev's real eigenvectors, ?gesdd's k x k blocks) and panels of up to
    # 64 columns (NB, ilaenv's block size) of the larger dim; fixed blocks such as ?ormqr's T
    # (65 x 64 elements, 33 KB in float64) fit in the 64 KiB. Measured (OpenBLAS, 64 x 64): the
    # largest, ?gesdd's and ?geev's, come to ~4.2 m n elements with their panels, within the
    # bound's 4 m n + 64 max(m, n). A kernel that copied the whole batch into its scratch, or
    # sized LAPACK's workspace by the batch, would pass it on none of these shapes.
    for kernel, threads, nbytes in scratch:
        assert 1 <= threads <= max(1, lm.get_num_threads()), (op, kernel, threads)
        assert nbytes <= 4 * m * n * item + 64 * max(m, n) * item + SLACK, (op, kernel, nbytes)


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
