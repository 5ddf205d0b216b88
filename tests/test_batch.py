"""The batch machinery the kernels share (lamina/_core/_batch.pxd): broadcast and merged batch
dims, the split over threads, and the dispatch to each dtype's loop, tried through every kernel
that uses it against NumPy on the same inputs, on one thread and on two."""

import os
import subprocess
import sys

import numpy as np
import pytest

import lamina as lm
from lamina._core import _blas, _cholesky, _ldl, _lstsq, _qr, _triangular

DTYPES = (np.float32, np.float64, np.complex64, np.complex128)
TOL = {np.float32: 1e-4, np.float64: 1e-11, np.complex64: 1e-4, np.complex128: 1e-11}


def _rand(rng, shape, dtype):
    x = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def _spd(rng, shape, dtype):
    x = _rand(rng, shape, dtype)
    n = shape[-1]
    return (x @ x.conj().swapaxes(-1, -2) + n * np.eye(n)).astype(dtype)


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    old = lm.get_num_threads()
    lm.set_num_threads(request.param)
    yield request.param
    lm.set_num_threads(old)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_matmul_batch_dims(dtype, threads):
    rng = np.random.default_rng(0)
    # Dims that merge (contiguous), dims that do not (a sliced parent), broadcast dims of both
    # operands, a zero-stride broadcast, and enough matrices to split over two threads.
    a = _rand(rng, (7, 1, 5, 3, 4), dtype)[:, :, ::2]
    b = np.broadcast_to(_rand(rng, (6, 1, 4, 2), dtype), (6, 3, 4, 2))
    got = _blas.matmul(a, b)
    assert got.shape == (7, 6, 3, 3, 2)
    np.testing.assert_allclose(got, np.matmul(a, b), rtol=TOL[dtype], atol=TOL[dtype])
    big_a, big_b = _rand(rng, (4097, 4, 4), dtype), _rand(rng, (4097, 4, 4), dtype)
    np.testing.assert_allclose(_blas.matmul(big_a, big_b), big_a @ big_b, rtol=TOL[dtype],
                               atol=TOL[dtype])


def test_matmul_broadcasts_empty_batch():
    # A size-1 (or absent) batch dim against a 0 broadcasts to 0, as in NumPy.
    assert _blas.matmul(np.ones((3, 3)), np.ones((0, 3, 2))).shape == (0, 3, 2)
    assert _blas.matmul(np.ones((1, 2, 3, 3)), np.ones((0, 1, 3, 2))).shape == (0, 2, 3, 2)
    with pytest.raises(ValueError, match="do not broadcast"):
        _blas.matmul(np.ones((2, 3, 3)), np.ones((4, 3, 3)))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n", [3, 20], ids=["tiny", "lapack"])
def test_potrf_batch_dims(dtype, n, threads):
    rng = np.random.default_rng(1)
    a = _spd(rng, (5, 2, 301, n, n), dtype)[:, 1, ::3]           # strides that do not merge
    out = np.empty(a.shape, dtype)
    info = np.empty(a.shape[:-2], np.int32)
    _cholesky.potrf_batched(a, out, info, False)
    assert not info.any()
    np.testing.assert_allclose(out.swapaxes(-1, -2), np.linalg.cholesky(a), rtol=TOL[dtype],
                               atol=TOL[dtype] * n)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("n", [3, 20], ids=["tiny", "lapack"])
def test_trsm_broadcast(dtype, n, threads):
    rng = np.random.default_rng(2)
    a = np.tril(_rand(rng, (1, 40, n, n), dtype)) + 4 * n * np.eye(n, dtype=dtype)
    b = _rand(rng, (3, 1, n, 2), dtype)
    out = np.empty((3, 40, 2, n), dtype)
    _triangular.trsm_batched(a, b, out, False, True, False, False)
    want = np.linalg.solve(np.broadcast_to(a, (3, 40, n, n)), np.broadcast_to(b, (3, 40, n, 2)))
    np.testing.assert_allclose(out.swapaxes(-1, -2), want, rtol=TOL[dtype] * 10,
                               atol=TOL[dtype] * 10)
    empty = np.empty((0, 40, 2, n), dtype)
    _triangular.trsm_batched(a, np.ones((0, 1, n, 2), dtype), empty, False, True, False, False)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_qr_threads(dtype, threads):
    rng = np.random.default_rng(3)
    a = _rand(rng, (2049, 8, 8), dtype)
    q, r = _qr.qr(a, "reduced")
    q, r = q.swapaxes(-1, -2), r.swapaxes(-1, -2)
    np.testing.assert_allclose(q @ r, a, rtol=TOL[dtype] * 10, atol=TOL[dtype] * 10)
    np.testing.assert_allclose(np.abs(r), np.abs(np.linalg.qr(a)[1]), rtol=TOL[dtype] * 100,
                               atol=TOL[dtype] * 100)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_lstsq_and_ldl_threads(dtype, threads):
    rng = np.random.default_rng(4)
    nbatch, n = 1100, 12
    a = _spd(rng, (nbatch, n, n), dtype)
    b = _rand(rng, (nbatch, n, 2), dtype)
    want = np.linalg.solve(a, b)
    x = np.ascontiguousarray(b.swapaxes(-1, -2))
    info = np.empty(nbatch, np.int32)
    off = np.arange(nbatch, dtype=np.intp) * a.strides[0]
    _lstsq.lstsq_batched(a, off, x, None, None, None, info, -1.0, "gels")
    assert not info.any()
    np.testing.assert_allclose(x.swapaxes(-1, -2), want, rtol=TOL[dtype] * 100,
                               atol=TOL[dtype] * 100)
    ld = np.ascontiguousarray(a.swapaxes(-1, -2))       # the kernel holds each A transposed
    piv = np.empty((nbatch, n), np.int32)
    _ldl.sytrf_batched(ld, piv, info, np.iscomplexobj(a))
    assert not info.any()
    x = np.ascontiguousarray(b.swapaxes(-1, -2))
    piv_off = np.arange(nbatch, dtype=np.intp) * piv.strides[0]
    _ldl.sytrs_batched(ld.swapaxes(-1, -2), off, piv, piv_off, x, np.iscomplexobj(a))
    np.testing.assert_allclose(x.swapaxes(-1, -2), want, rtol=TOL[dtype] * 100,
                               atol=TOL[dtype] * 100)


@pytest.mark.parametrize("value, expected", [("3", 3), ("1", 1), ("0", None), ("many", None)])
def test_default_thread_count_reads_omp_num_threads(value, expected):
    """As PyTorch: a positive OMP_NUM_THREADS is the default count, anything else is ignored."""
    env = dict(os.environ, OMP_NUM_THREADS=value)
    code = "import lamina; print(lamina.get_num_threads())"
    out = subprocess.run([sys.executable, "-P", "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout
    assert int(out) == (expected or len(os.sched_getaffinity(0)))
