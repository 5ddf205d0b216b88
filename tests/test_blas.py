"""What the op table cannot say about the BLAS kernel: threaded and serial paths agree bitwise,
layouts BLAS cannot address are copied correctly, out= writes nowhere else, the thread settings,
fork safety, and integer products."""

import multiprocessing
import operator

import numpy as np
import pytest

import lamina as lm
from lamina._core import _blas, _pool, _threads
from opdb import SENTINEL


@pytest.fixture
def threads():
    """Restores lamina's thread count after a test changes it."""
    before = lm.get_num_threads()
    yield
    lm.set_num_threads(before)


def _arrays(shape_a, shape_b, dtype, seed=0):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    if np.dtype(dtype).kind == "c":
        a, b = a + 1j * rng.standard_normal(shape_a), b + 1j * rng.standard_normal(shape_b)
    return a.astype(dtype), b.astype(dtype)


def _wide(x):
    return x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)


# Batches that do not divide by 2 or 3 threads, on each path: tiny loops, BLAS per matrix, and
# a batch of products big enough that OpenBLAS would thread each one.
THREADED_CASES = [((10001, 4, 4), (10001, 4, 4)), ((1001, 3, 7), (1001, 7, 2)),
                  ((3001, 16, 16), (3001, 16, 16)), ((13, 64, 65), (13, 65, 66)),
                  ((1001, 33, 1), (1, 1, 9)), ((2001, 1, 20), (2001, 20, 1))]


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("shapes", THREADED_CASES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_threaded_equals_serial(threads, dtype, shapes):
    a, b = _arrays(*shapes, dtype)
    ta, tb = lm.from_numpy(a), lm.from_numpy(b.swapaxes(-1, -2).copy().swapaxes(-1, -2))
    lm.set_num_threads(1)
    serial = (ta @ tb).numpy()
    for n in (2, 3):
        lm.set_num_threads(n)
        np.testing.assert_array_equal((ta @ tb).numpy(), serial)
    expected = _wide(a) @ b
    tol = 1e-4 if dtype in ("float32", "complex64") else 1e-10
    np.testing.assert_allclose(serial, expected.astype(dtype), rtol=tol, atol=tol * 10)


# Square sizes with a kernel of their own (2, 3, 4, 8, 16), their neighbours (the general
# loops or BLAS), row strides past the width (a slice of wider matrices) and broadcast batches.
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [2, 3, 4, 5, 8, 9, 16, 17])
def test_square_kernels_every_level(simd_level, dtype, n):
    a, b = _arrays((7, n, n + 3), (3, 1, n, n + 2), dtype)
    va, vb = a[..., :n], b[..., :n]
    got = _blas.matmul(va, vb)
    tol = 1e-5 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(got, (_wide(va) @ _wide(vb)).astype(dtype), rtol=tol,
                               atol=tol * n)


# Results of 16 MiB and more take non-temporal stores (and the output pool), on every thread
# count; the pool hands a freed block to the next result without corrupting either.
@pytest.mark.parametrize("dtype, n", [("float64", 16), ("float32", 8)])
def test_large_square_batches(threads, simd_level, dtype, n):
    batch = (17 << 20) // (n * n * np.dtype(dtype).itemsize) + 3
    a, b = _arrays((batch, n, n), (batch, n, n), dtype)
    expected = (_wide(a) @ _wide(b)).astype(dtype)
    tol = 1e-5 if dtype == "float32" else 1e-13
    for count in (1, 2, 3):
        lm.set_num_threads(count)
        first = _blas.matmul(a, b)
        del first
        got = _blas.matmul(a, b)
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * n)


def test_output_pool_reuses_and_bounds_its_blocks():
    _pool.release()
    a = np.ones((1 << 19, 2, 2))                   # a 16 MiB result: pooled
    out = _blas.matmul(a, a)
    address, nbytes = out.ctypes.data, out.nbytes
    assert _pool.stats() == (0, 0)
    del out
    assert _pool.stats() == (1, nbytes)
    again = _blas.matmul(a, a)
    assert again.ctypes.data == address and _pool.stats() == (0, 0)
    np.testing.assert_array_equal(again, np.full(again.shape, 2.0))
    small = _blas.matmul(a[:1000], a[:1000])       # below the bound: not pooled
    del small
    assert _pool.stats() == (0, 0)
    kept = [_blas.matmul(a, a) for _ in range(10)]
    del kept
    assert _pool.stats() == (8, 8 * nbytes)        # at most 8 blocks are kept
    _pool.release()
    assert _pool.stats() == (0, 0)
    np.testing.assert_array_equal(again, np.full(again.shape, 2.0))


def test_blas_thread_count_restored(threads):
    if not _threads.BLAS_CONTROL:
        pytest.skip("scipy's OpenBLAS thread control not found")
    before = _threads._blas_get()
    assert _threads._blas_users == 0
    a, b = _arrays((40, 64, 64), (40, 64, 64), "float64")
    for n in (1, 2):
        lm.set_num_threads(n)
        lm.from_numpy(a) @ lm.from_numpy(b)
        lm.mm(lm.from_numpy(a[0]), lm.from_numpy(b[0]))
        assert _threads._blas_get() == before


def _non_addressable(x):
    """Layouts BLAS cannot take: no unit stride in either dim, negative strides, a zero stride."""
    parent = np.zeros((x.shape[0] * 2, x.shape[1] * 3), x.dtype)
    strided = parent[::2, ::3]
    strided[...] = x
    yield "no-unit-stride", strided
    yield "negative", x[::-1, ::-1].copy()[::-1, ::-1]
    yield "negative-rows", x[::-1].copy()[::-1]
    yield "zero-stride", np.broadcast_to(x[:1], x.shape)


@pytest.mark.parametrize("dtype", ["float32", "complex128"])
@pytest.mark.parametrize("n", [3, 20])     # tiny loops read strides; BLAS needs the copy
def test_non_addressable_layouts(dtype, n):
    a, b = _arrays((n, n + 1), (n + 1, n + 2), dtype)
    for name_a, va in _non_addressable(a):
        for name_b, vb in _non_addressable(b):
            got = _blas.matmul(va, vb)
            expected = _wide(va) @ _wide(vb)
            np.testing.assert_allclose(got, expected.astype(dtype), rtol=1e-4, atol=1e-4,
                                       err_msg=f"{name_a} @ {name_b}")


def test_leading_dimension_past_int32_is_copied():
    # A row stride of 2^31 elements cannot be an LP64 `lda`: the kernel must copy that operand.
    try:
        big = np.zeros(2 ** 31 + 64, np.float32)   # untouched pages: virtual memory only
    except MemoryError:
        pytest.skip("cannot reserve 8 GiB of address space")
    a = np.lib.stride_tricks.as_strided(big, (2, 20), (4 * 2 ** 31, 4))
    a[0] = np.arange(20)
    a[1] = 1
    b = np.arange(20 * 16, dtype=np.float32).reshape(20, 16)
    np.testing.assert_allclose(_blas.matmul(a, b), np.array(a) @ b, rtol=1e-6)


@pytest.mark.parametrize("fn, shapes", [
    (lm.mm, ((4, 5), (5, 3))), (lm.bmm, ((3, 4, 5), (3, 5, 3))), (lm.matmul, ((3, 4, 5), (5,))),
    (lm.mv, ((4, 5), (5,))), (lm.inner, ((2, 5), (3, 5))),
    (lm.outer, ((4,), (3,)))])
def test_out_writes_only_its_view(fn, shapes):
    a, b = _arrays(*shapes, "float64")
    expected = fn(lm.from_numpy(a), lm.from_numpy(b)).numpy()
    parent = np.full(tuple(2 * s + 1 for s in expected.shape), SENTINEL["f"])
    view = parent[tuple(slice(1, None, 2) for _ in expected.shape)]
    out = lm.from_numpy(view)
    result = fn(lm.from_numpy(a), lm.from_numpy(b), out=out)
    assert result is out
    np.testing.assert_allclose(view, expected, rtol=1e-12)
    view[...] = SENTINEL["f"]
    assert np.all(parent == SENTINEL["f"])


def test_out_dtype_must_match():
    a = lm.ones(2, 3)
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got "
                       "double instead"):
        lm.mm(a, lm.ones(3, 4), out=lm.empty(2, 4, dtype=lm.float64))
    with pytest.raises(RuntimeError, match="result dtype Double does not match input dtype "
                       "Float"):
        lm.dot(lm.ones(3), lm.ones(3), out=lm.empty((), dtype=lm.float64))


def test_operators():
    a, b = lm.ones(2, 3), lm.ones(3, 4)
    assert (a @ b).shape == (2, 4)
    with pytest.raises(TypeError, match="unsupported operand"):
        operator.matmul(a, 2)
    with pytest.raises(TypeError, match="unsupported operand"):
        operator.matmul(2, a)


def test_inplace_forms():
    x = lm.ones(2, 4)
    assert x.addmm_(lm.ones(2, 3), lm.ones(3, 4), beta=2) is x
    np.testing.assert_array_equal(x.numpy(), np.full((2, 4), 5.0))
    with pytest.raises(RuntimeError, match=r"Bad in-place call: input tensor size \[2, 4\] and "
                       r"output tensor size \[5, 2, 4\] should match"):
        lm.ones(2, 4).baddbmm_(lm.ones(5, 2, 3), lm.ones(5, 3, 4))


def test_beta_zero_ignores_nan_alpha_zero_ignores_product():
    nan = lm.full((2, 2), float("nan"))
    ones = lm.ones(2, 2)
    np.testing.assert_array_equal(lm.addmm(nan, ones, ones, beta=0).numpy(), np.full((2, 2), 2.))
    np.testing.assert_array_equal(lm.addmm(ones, ones, nan, alpha=0).numpy(), np.ones((2, 2)))
    np.testing.assert_array_equal(lm.baddbmm(nan, ones[None], ones[None], beta=0,
                                             alpha=0).numpy(), np.zeros((1, 2, 2)))


@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8"])
def test_integer_products(dtype):
    rng = np.random.default_rng(0)
    a = rng.integers(-100, 100, (3, 1, 5, 7)).astype(dtype)
    b = rng.integers(-100, 100, (4, 7, 2)).astype(dtype)
    got = (lm.from_numpy(a) @ lm.from_numpy(b)).numpy()
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, (a.astype(np.int64) @ b).astype(dtype))  # wraps


def test_integer_addmm_truncates_scalars():
    x = lm.full((1, 2), 3, dtype=lm.int64)
    ones = lm.ones(1, 1, dtype=lm.int64)
    np.testing.assert_array_equal(lm.addmm(x, ones, x, beta=0.5, alpha=1.5).numpy(), [[3, 3]])


def test_set_get_num_threads(threads):
    lm.set_num_threads(3)
    assert lm.get_num_threads() == 3
    with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
        lm.set_num_threads(0)
    with pytest.raises(RuntimeError, match="set_num_threads expects an int, but got float"):
        lm.set_num_threads(1.5)
    with pytest.raises(RuntimeError, match="set_num_threads expects an int, but got bool"):
        lm.set_num_threads(True)
    assert lm.get_num_threads() == 3


def test_default_threads_follow_affinity():
    assert _threads._default_num_threads() >= 1


def _child(queue):
    a = lm.from_numpy(np.ones((20000, 4, 4)))
    lm.set_num_threads(2)
    queue.put(float((a @ a).sum().item()))


def test_threaded_call_then_fork_does_not_hang(threads):
    lm.set_num_threads(2)
    a = lm.from_numpy(np.ones((20000, 4, 4)))
    a @ a                                       # starts the pool in this process
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue,))
    proc.start()
    proc.join(timeout=60)
    if proc.is_alive():
        proc.kill()
        pytest.fail("a fork-started child hung in a threaded matmul")
    assert proc.exitcode == 0
    assert queue.get(timeout=5) == 20000 * 16 * 4.0


def test_kernel_refuses_bad_arguments():
    with pytest.raises(TypeError):
        _blas.matmul(np.ones((2, 2), np.int64), np.ones((2, 2), np.int64))
    with pytest.raises(ValueError):
        _blas.matmul(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError):
        _blas.matmul(np.ones((2, 2, 3)), np.ones((3, 3, 2)))


def test_concurrent_callers_agree_and_restore_blas(threads):
    # Python threads calling lamina at once: each gets correct results, the pool runs one
    # parallel region at a time (the others go serial), and OpenBLAS's count comes back.
    import threading
    lm.set_num_threads(2)
    before = _threads._blas_get() if _threads.BLAS_CONTROL else None
    a, b = _arrays((20, 40, 40), (20, 40, 40), "float64")
    big, _ = _arrays((70, 70), (1, 1), "float64")
    expected, expected_big = a @ b, big @ big
    errors = []

    def work():
        for _ in range(20):
            if not np.allclose((lm.from_numpy(a) @ lm.from_numpy(b)).numpy(), expected):
                errors.append("batched")
            if not np.allclose(lm.mm(lm.from_numpy(big), lm.from_numpy(big)).numpy(),
                               expected_big):
                errors.append("single")

    workers = [threading.Thread(target=work) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not errors
    if before is not None:
        assert _threads._blas_get() == before and _threads._blas_users == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [8, 16])
def test_square_loop_sizes(threads, dtype, n):
    # 8x8 and 16x16 squares with unit column strides take the constant-size loops instead of
    # ?gemm: check them against a float64 reference, with padded row strides (a row of A not
    # adjacent to the next), odd batches, and threaded (300 products of 16^3 pass the parallel
    # threshold) against serial.
    rng = np.random.default_rng(n)
    lm.set_num_threads(2)
    for batch in (1, 7, 300):
        a = rng.standard_normal((batch, n, n + 3)).astype(dtype)[:, :, :n]
        b = rng.standard_normal((batch, n, n)).astype(dtype)
        ref = np.matmul(a.astype(np.float64), b.astype(np.float64))
        got = lm.bmm(lm.from_numpy(a), lm.from_numpy(b)).numpy()
        tol = 1e-5 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol * n)
    lm.set_num_threads(1)
    serial = lm.bmm(lm.from_numpy(a), lm.from_numpy(b)).numpy()
    np.testing.assert_array_equal(got, serial)
