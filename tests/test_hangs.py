"""Hangs (issue 10): LAPACK's SVD and eigen routines may never return on non-finite input (see
KERNEL-FACTS.md), so every NaN/+-Inf placement in 1x1..4x4 matrices goes through each op in a
child process that is killed if it runs too long; a hang is a test failure and a `hangs` figure,
never a blocked run. pytest's faulthandler_timeout (pyproject.toml) stops any other hang.

The documented result of each op on a matrix holding NaN or +-Inf (lamina's, decided against
torch 2.13 on CPU, whose MKL build answers differently per placement, even with arbitrary finite
numbers; where it is inconsistent we keep one answer for every placement):
- svd, svdvals, pinv, matrix_rank: LinAlgError, "... the input matrix contained non-finite
  values." (PyTorch raises this for NaN).
- eig: RuntimeError "torch.linalg.eig: input tensor should not contain infs or NaNs." (as
  PyTorch, for every placement). eigvals: all-NaN eigenvalues (as PyTorch mostly does).
- eigh, eigvalsh: only the lower triangle is read (UPLO="L"), so a non-finite element above the
  diagonal changes nothing: the result equals NumPy's on the same matrix. One in the lower
  triangle makes every eigenvalue and eigenvector NaN; a 1x1 matrix's eigenvalue is its element.
- lstsq: the solution is all NaN.
"""

import json
import os
import time

import numpy as np
import pytest
from figures import record
from isolated import run_isolated

import lamina as lm

CASE_SECONDS = 5        # the bound on one case
SIZES = (1, 2, 3, 4)
VALUES = (float("nan"), float("inf"), float("-inf"))
DTYPES = ("float64", "complex128")


def _cases():
    """(n, value, position) for one non-finite element at each position, and (n, nan, None) for
    an all-NaN matrix."""
    for n in SIZES:
        for value in VALUES:
            for pos in range(n * n):
                yield n, value, pos
        yield n, float("nan"), None


def _matrix(n, value, pos, dtype):
    a = np.eye(n) + 0.5        # symmetric, well conditioned
    if pos is None:
        a[...] = value
    else:
        a.flat[pos] = value
    return a.astype(dtype)


def _all_nan(*outs):
    for o in outs:
        o = o.numpy()
        assert np.isnan(o).all(), o


def _raises(fn, A, exc, text):
    with pytest.raises(exc, match=text):
        fn(A)


def _nonfinite_svd(fn):
    return lambda a, A: _raises(fn, A, lm.linalg.LinAlgError, "contained non-finite values")


def _eig(a, A):
    _raises(lm.linalg.eig, A, RuntimeError, "should not contain infs or NaNs")


def _eigvals(a, A):
    _all_nan(lm.linalg.eigvals(A))


def _lstsq(a, A):
    B = lm.ones(a.shape[0], 1, dtype=A.dtype)
    _all_nan(lm.linalg.lstsq(A, B).solution)


def _eigh_check(vectors):
    def check(a, A):
        lower = np.tril(a)
        if vectors:
            w, v = lm.linalg.eigh(A)
            outs = (w, v)
        else:
            w = lm.linalg.eigvalsh(A)
            outs = (w,)
        if np.isfinite(lower).all():
            np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(a), rtol=1e-12, atol=1e-12)
        elif a.shape[0] == 1:
            np.testing.assert_equal(w.numpy(), a.real.reshape(1))
        else:
            _all_nan(*outs)
    return check


OPS = {
    "linalg.svd": _nonfinite_svd(lm.linalg.svd),
    "linalg.svdvals": _nonfinite_svd(lm.linalg.svdvals),
    "linalg.pinv": _nonfinite_svd(lm.linalg.pinv),
    "linalg.matrix_rank": _nonfinite_svd(lm.linalg.matrix_rank),
    "linalg.eig": _eig,
    "linalg.eigvals": _eigvals,
    "linalg.eigh": _eigh_check(True),
    "linalg.eigvalsh": _eigh_check(False),
    "linalg.lstsq": _lstsq,
}


def sweep(op):
    """Child side: every case of `op` in every dtype, one JSON line each (flushed, so the parent
    knows which case a hang is in): its time and, if the result was not the documented one,
    what was wrong."""
    check = OPS[op]
    for dtype in DTYPES:
        for n, value, pos in _cases():
            a = _matrix(n, value, pos, dtype)
            start = time.perf_counter()
            try:
                check(a, lm.from_numpy(a))
                wrong = None
            except (AssertionError, pytest.fail.Exception) as e:
                wrong = str(e)[:400]
            seconds = time.perf_counter() - start
            print(json.dumps({"case": [dtype, n, str(value), pos], "seconds": seconds,
                              "wrong": wrong}), flush=True)


@pytest.mark.parametrize("op", sorted(OPS))
def test_nonfinite_placements_finish(op):
    cases = len(DTYPES) * len(list(_cases()))
    code = (f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
            f"import test_hangs; test_hangs.sweep({op!r})")
    # Each case takes milliseconds; a child that needs this long is stuck in one.
    out = run_isolated(code, timeout=CASE_SECONDS * 4 + 30)
    done = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    hung = int(out.hung) + sum(r["seconds"] >= CASE_SECONDS for r in done)
    record("hangs", hung, op=op)
    if out.hung:
        after = done[-1]["case"] if done else "the first case"
        pytest.fail(f"{op} did not return on the case after {after}")
    assert out.returncode == 0, out.stderr[-2000:]
    assert len(done) == cases
    slow = [r for r in done if r["seconds"] >= CASE_SECONDS]
    assert not slow, slow
    wrong = [r for r in done if r["wrong"]]
    assert not wrong, wrong[:3]


@pytest.mark.parametrize("batch", [(), (3,), (0,), (2, 0)])
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_empty(batch, upper):
    A = lm.zeros(*batch, 0, 0, dtype=lm.float64)
    L, info = lm.linalg.cholesky_ex(A, upper=upper)
    assert L.shape == A.shape and info.shape == batch
    assert (info.numpy() == 0).all()
    assert lm.linalg.cholesky(A, upper=upper).shape == A.shape


FORK_CHILD = """
import multiprocessing
import lamina as lm

def work():
    # 20000 4x4 products split over lamina's pool, one 600x600 product threaded by OpenBLAS
    # itself, and a batched LAPACK kernel on the pool.
    a = lm.randn(20000, 4, 4, dtype=lm.float64)
    b = lm.randn(600, 600, dtype=lm.float64)
    spd = a @ a.mT + lm.eye(4, dtype=lm.float64)
    return float((a @ a).sum() + (b @ b).sum() + lm.linalg.cholesky(spd).sum())

lm.set_num_threads(2)
work()
child = multiprocessing.get_context("fork").Process(target=work, daemon=True)
child.start()
child.join(30)
print("child", child.exitcode)
"""


def test_fork_after_threaded_ops():
    from lamina._core import _threads
    assert _threads.BLAS_CONTROL   # else the BLAS half of the test would run single-threaded
    out = run_isolated(FORK_CHILD, timeout=90)
    # The child is only joined for 30 s: past that the parent prints its exit code None.
    hung = out.hung or "child None" in out.stdout
    record("hangs", int(hung), op="fork")
    assert not hung, out.stderr[-2000:]
    assert out.returncode == 0 and "child 0" in out.stdout, out.stderr[-2000:]
