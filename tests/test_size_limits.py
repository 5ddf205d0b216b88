"""Size limits (issue 10): scipy's BLAS and LAPACK take 32-bit integers, so a matrix whose sizes or
element count pass 2^31 - 1 must be refused with an error naming that limit before any call (and
before the op allocates outputs it could never fill), never passed on to overflow inside LAPACK.

The inputs are zero-stride views (`expand`) of one element, or empty tensors, so nothing large
is allocated; each op runs in a child process allowed 8 GiB more address space, where a crash
is an exit status (the `size_limit_crashes` figure) and an allocation the op should not make is
a MemoryError, not a swapping machine.

Accepted outcomes: the limit error (RuntimeError or ValueError naming LP64, 32-bit integers or
LAPACK's int range); PyTorch's "square matrices" error where the op takes square matrices only; a
result holding no large output (empty shapes, or a scalar).
"""

import json

import pytest
from figures import record
from isolated import run_isolated

N = 46341                    # N * N > 2^31 - 1: the element count of an N x N matrix overflows
BIG = 2**31                  # one past the largest 32-bit size
SHAPES = {
    "n46341": (N, N),
    "wide": (2, BIG),
    "tall": (BIG, 2),
    "empty_wide": (0, BIG),
    "empty_tall": (BIG, 0),
    "empty_batch": (0, N, N),
}
SMALL_RESULT = 1 << 20       # elements: a result this small was not a huge allocation
LIMIT_WORDS = ("LP64", "32-bit", "int range")

OPS = {
    "matmul": "lambda A: A.mT @ A[..., :0]",
    "linalg.cholesky": "L.cholesky",
    "linalg.cholesky_ex": "L.cholesky_ex",
    "cholesky_inverse": "lm.cholesky_inverse",
    "cholesky_solve": "lambda A: lm.cholesky_solve(A[..., :1], A)",
    "linalg.solve_triangular": "lambda A: L.solve_triangular(A, A[..., :1], upper=False)",
    "linalg.lu_factor": "L.lu_factor",
    "linalg.lu": "L.lu",
    "linalg.solve": "lambda A: L.solve(A, A[..., :1])",
    "linalg.inv": "L.inv",
    "linalg.det": "L.det",
    "linalg.slogdet": "L.slogdet",
    "linalg.qr": "L.qr",
    "geqrf": "lm.geqrf",
    # (tall: it takes m >= n; no reflectors: tau's length does not matter here)
    "linalg.householder_product": ("lambda A: L.householder_product(A if A.shape[-2] >= "
                                   "A.shape[-1] else A.mT, lm.zeros(A.shape[:-2] + (0,), "
                                   "dtype=A.dtype))"),
    "linalg.eigh": "L.eigh",
    "linalg.eigvalsh": "L.eigvalsh",
    "linalg.eig": "L.eig",
    "linalg.eigvals": "L.eigvals",
    "linalg.svd": "lambda A: L.svd(A, full_matrices=False)",
    "linalg.svdvals": "L.svdvals",
    "linalg.pinv": "L.pinv",
    "linalg.matrix_rank": "L.matrix_rank",
    "linalg.lstsq": "lambda A: L.lstsq(A, A[..., :0])",
    "linalg.ldl_factor": "L.ldl_factor",
}

CHILD = """
import json, os, resource
# 8 GiB on top of what is mapped already (an AddressSanitizer build maps terabytes of shadow).
limit = os.sysconf("SC_PAGE_SIZE") * int(open("/proc/self/statm").read().split()[0]) + (8 << 30)
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import lamina as lm
L = lm.linalg
op = {op}
for name, shape in {shapes!r}.items():
    if shape[0] == 0 or shape[-1] == 0:
        A = lm.zeros(*shape, dtype=lm.float64)
    else:
        A = lm.ones(*([1] * len(shape)), dtype=lm.float64).expand(*shape)
    print(json.dumps({{"shape": name, "start": True}}), flush=True)
    try:
        out = op(A)
        outs = out if isinstance(out, tuple) else (out,)
        result = {{"elements": max(o.numel() for o in outs)}}
    except Exception as e:
        result = {{"error": type(e).__name__, "message": str(e)}}
    print(json.dumps({{"shape": name, **result}}), flush=True)
"""


def _accepted(r):
    if "elements" in r:
        return r["elements"] <= SMALL_RESULT
    if r["error"] not in ("RuntimeError", "ValueError"):
        return False
    return any(w in r["message"] for w in LIMIT_WORDS) or "square matrices" in r["message"]


@pytest.mark.parametrize("op", sorted(OPS))
def test_huge_shapes_refused(op):
    out = run_isolated(CHILD.format(op=OPS[op], shapes=SHAPES), timeout=120)
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    done = [r for r in rows if "start" not in r]
    crashed = out.crashed or out.hung
    record("size_limit_crashes", int(crashed), op=op)
    if crashed:
        last = rows[-1]["shape"] if rows else "the import"
        pytest.fail(f"{op} {'hung' if out.hung else 'crashed'} on {last}: "
                    f"{out.stderr[-1500:]}")
    assert out.returncode == 0, out.stderr[-2000:]
    assert [r["shape"] for r in done] == list(SHAPES)
    wrong = [r for r in done if not _accepted(r)]
    assert not wrong, wrong


def test_limit_message_names_the_op():
    import lamina as lm
    A = lm.ones(1, 1, dtype=lm.float64).expand(N, N)
    with pytest.raises(RuntimeError, match=r"cholesky: a 46341x46341 matrix is past the 32-bit"):
        lm.linalg.cholesky(A)


