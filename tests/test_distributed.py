"""lamina.distributed: every op against eager lamina and NumPy on the synchronous, threaded and
multi-process schedulers; the graph's shape (one task per chunk, no kernel call while building);
the error cases; vjp_batched against whole-batch autograd."""

import subprocess
import sys
import types

import numpy as np
import pytest

dask = pytest.importorskip("dask")
pytest.importorskip("distributed")

import cloudpickle  # noqa: E402
import dask.array as da  # noqa: E402
from dask._task_spec import Task  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

import lamina as lm  # noqa: E402
import lamina.distributed as ld  # noqa: E402

pytestmark = pytest.mark.distributed

DTYPES = ["float32", "float64", "complex64", "complex128"]
# (batch + core shape, chunk length on each batch dim)
SHAPES = {"empty": ((0, 4, 4), 3), "one": ((1, 1, 1), 3), "chunked": ((7, 3, 3), 3),
          "batch2d": ((2, 5, 4, 4), 3)}
TOL = {"float32": 2e-4, "complex64": 2e-4, "float64": 1e-10, "complex128": 1e-10}


@pytest.fixture(scope="module")
def client():
    """One two-process cluster for the module: starting one costs seconds."""
    # The workers cannot import this test module, so its functions travel by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster,
                                                                 set_as_default=False) as c:
        yield c
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


@pytest.fixture(params=["sync", "threads", "processes"])
def compute(request):
    """dask.compute on one scheduler: sync, threads, or the two-process cluster."""
    scheduler = request.getfixturevalue("client").get if request.param == "processes" \
        else request.param
    return lambda *xs: dask.compute(*xs, scheduler=scheduler)


def _hpd(rng, shape, dtype):
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    n = shape[-1]
    return (x @ x.conj().swapaxes(-1, -2) + n * np.eye(n)).astype(dtype)


def _rhs(rng, shape, dtype, k=2):
    x = rng.standard_normal(shape[:-1] + (k,))
    return (x + 1j * x[..., ::-1] if np.dtype(dtype).kind == "c" else x).astype(dtype)


def _H(x):
    return x.conj().swapaxes(-1, -2)


def _eigh_check(a, out):
    """eigh's eigenvectors are fixed only up to phase: check A V = V diag(w) instead."""
    w, V = out
    return [(w, np.linalg.eigvalsh(a)), (a @ V, V * w[..., None, :])]


def _twice_cholesky(A):
    return lm.linalg.cholesky(A) * 2


# op -> (inputs from (A hpd, B rhs), distributed call, eager lamina call, NumPy reference).
# The NumPy reference returns the outputs to compare (a list of (got-index or array, expected)).
OPS = {
    "cholesky": ("A", ld.cholesky, lm.linalg.cholesky, np.linalg.cholesky),
    "cholesky_ex": ("A", ld.cholesky_ex, lm.linalg.cholesky_ex,
                    lambda a: (np.linalg.cholesky(a), np.zeros(a.shape[:-2], np.int32))),
    "cholesky_solve": ("BL", ld.cholesky_solve, lm.cholesky_solve,
                       lambda b, L: np.linalg.solve(L @ _H(L), b)),
    "solve": ("AB", ld.solve, lm.linalg.solve, np.linalg.solve),
    "solve_triangular": ("LB", lambda L, B: ld.solve_triangular(L, B, upper=False),
                         lambda L, B: lm.linalg.solve_triangular(L, B, upper=False),
                         np.linalg.solve),
    "inv": ("A", ld.inv, lm.linalg.inv, np.linalg.inv),
    "inv_ex": ("A", ld.inv_ex, lm.linalg.inv_ex,
               lambda a: (np.linalg.inv(a), np.zeros(a.shape[:-2], np.int32))),
    "det": ("A", ld.det, lm.linalg.det, np.linalg.det),
    "slogdet": ("A", ld.slogdet, lm.linalg.slogdet, lambda a: tuple(np.linalg.slogdet(a))),
    "eigh": ("A", ld.eigh, lm.linalg.eigh, None),
    "eigvalsh": ("A", ld.eigvalsh, lm.linalg.eigvalsh, np.linalg.eigvalsh),
    "svdvals": ("A", ld.svdvals, lm.linalg.svdvals, lambda a: np.linalg.svd(a, compute_uv=False)),
    "bmm": ("AB", ld.bmm, lm.bmm, np.matmul),
    "matmul": ("AB", ld.matmul, lm.matmul, np.matmul),
    "map_batched": ("A", lambda A: ld.map_batched(_twice_cholesky, A, dtype=A.dtype),
                    _twice_cholesky, lambda a: 2 * np.linalg.cholesky(a)),
}


def _inputs(kind, shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    a = _hpd(rng, shape, dtype)
    arrays = {"A": a, "B": _rhs(rng, shape, dtype), "L": np.linalg.cholesky(a)}
    return [arrays[k] for k in kind]


def _tuple(x):
    return tuple(x) if isinstance(x, tuple) else (x,)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("op", OPS)
def test_matches_eager_and_numpy(op, shape, dtype, compute):
    kind, dist, eager, ref = OPS[op]
    full, chunk = SHAPES[shape]
    if op == "bmm" and len(full) != 3:
        pytest.skip("bmm takes 3-D inputs only")
    arrays = _inputs(kind, full, dtype)
    xs = [ld.from_tensor(lm.from_numpy(a), chunk) for a in arrays]
    got = compute(*_tuple(dist(*xs)))
    want = _tuple(eager(*(lm.from_numpy(a) for a in arrays)))
    tol = TOL[dtype]
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.numpy().dtype and g.shape == tuple(w.shape)
        np.testing.assert_allclose(g, w.numpy(), rtol=tol, atol=tol)
    pairs = _eigh_check(arrays[0], got) if ref is None else zip(got, _tuple(ref(*arrays)))
    for g, r in pairs:
        np.testing.assert_allclose(g, r, rtol=100 * tol, atol=100 * tol)


def test_batch_dims_broadcast_as_in_torch(compute):
    rng = np.random.default_rng(1)
    a = _hpd(rng, (2, 1, 3, 3), "float64")
    b = rng.standard_normal((5, 3, 2))
    A = ld.from_tensor(lm.from_numpy(a), 1)
    B = ld.from_tensor(lm.from_numpy(b), 2)
    (got,) = compute(ld.solve(A, B))
    np.testing.assert_allclose(got, np.linalg.solve(a, b), rtol=1e-10)
    # A lamina Tensor is one chunk, shared by every task.
    (got,) = compute(ld.matmul(A, lm.from_numpy(b)))
    np.testing.assert_allclose(got, a @ b, rtol=1e-12)


# -- the graph ------------------------------------------------------------------------------------

def _tasks(x):
    """Tasks left after dask's optimiser (the input chunks are data, not tasks)."""
    graph = dask.optimize(x)[0].__dask_graph__()
    return sum(isinstance(v, Task) for v in graph.values())


@pytest.mark.parametrize("op", OPS)
def test_one_task_per_chunk(op):
    kind, dist, _, _ = OPS[op]
    full = (10, 3, 3)
    xs = [ld.from_tensor(lm.from_numpy(a), 4) for a in _inputs(kind, full, "float64")]
    for out in _tuple(dist(*xs)):
        assert out.numblocks[0] == 3
        assert _tasks(out) == 3


@pytest.mark.parametrize("op", ["cholesky", "eigh", "slogdet", "inv_ex"])
def test_building_calls_no_kernel(op, monkeypatch):
    calls = []
    fn = getattr(lm.linalg, op)

    def counted(*args, **kwargs):
        calls.append(args[0].shape)
        return fn(*args, **kwargs)

    monkeypatch.setattr(lm.linalg, op, counted)
    x = ld.from_tensor(lm.from_numpy(_inputs("A", (10, 3, 3), "float64")[0]), 4)
    outs = _tuple(getattr(ld, op)(x))
    assert calls == []
    dask.compute(*outs, scheduler="sync")
    # All outputs together: still one kernel call per chunk.
    assert sorted(calls) == [(2, 3, 3), (4, 3, 3), (4, 3, 3)]


def test_importing_lamina_does_not_import_dask():
    code = "import sys, lamina; assert 'dask' not in sys.modules, 'dask imported'"
    subprocess.run([sys.executable, "-P", "-c", code], check=True)


def test_missing_dask_names_the_extra():
    code = ("import sys; sys.modules['dask'] = None\n"
            "try:\n    import lamina.distributed\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-P", "-c", code], check=True, capture_output=True,
                         text=True)
    assert "pip install lamina[distributed]" in out.stdout


# -- errors ---------------------------------------------------------------------------------------

def _not_pd_at(batch, bad, dtype="float64"):
    """HPD matrices but element `bad` (a multi-index), which is not positive-definite at
    order 2."""
    a = _hpd(np.random.default_rng(2), batch + (3, 3), dtype)
    a[bad] = np.diag([1.0, -1.0, 1.0]).astype(dtype)
    return a


NOT_PD = ("linalg.cholesky: (Batch element {k}): The factorization could not be completed "
          "because the input is not positive-definite (the leading minor of order 2 is not "
          "positive-definite).")


@pytest.mark.parametrize("batch, bad, chunk, k", [
    ((10,), (7,), 3, 7),           # third chunk, local index 1
    ((3, 5), (2, 4), 2, 14),       # chunk (1, 2) of a 2-d batch
])
def test_error_names_the_global_batch_element(batch, bad, chunk, k, compute):
    x = ld.from_tensor(lm.from_numpy(_not_pd_at(batch, bad)), chunk)
    with pytest.raises(lm.linalg.LinAlgError) as e:
        compute(ld.cholesky(x))
    assert str(e.value) == NOT_PD.format(k=k)
    # lamina's own message for the whole batch, word for word.
    with pytest.raises(lm.linalg.LinAlgError) as eager:
        lm.linalg.cholesky(lm.from_numpy(_not_pd_at(batch, bad)))
    assert str(eager.value) == str(e.value)


def test_ex_variants_return_info_instead(compute):
    a = _not_pd_at((10,), (7,))
    x = ld.from_tensor(lm.from_numpy(a), 3)
    L, info = compute(*ld.cholesky_ex(x))
    assert info.tolist() == [0] * 7 + [2, 0, 0]
    with pytest.raises(lm.linalg.LinAlgError, match=r"cholesky_ex: \(Batch element 7\)"):
        compute(ld.cholesky_ex(x, check_errors=True).L)
    singular = a.copy()
    singular[8] = 0
    inverse, info = compute(*ld.inv_ex(ld.from_tensor(lm.from_numpy(singular), 3)))
    assert info[8] != 0 and not info[:8].any() and not info[9:].any()
    with pytest.raises(lm.linalg.LinAlgError, match=r"linalg.inv: \(Batch element 8\)"):
        compute(ld.inv(ld.from_tensor(lm.from_numpy(singular), 3)))


def test_core_dim_split_across_chunks():
    x = da.from_array(np.eye(4)[None].repeat(6, 0), chunks=(3, 2, 4))
    with pytest.raises(ValueError, match=r"core dimension 'n' .*rechunk_batch"):
        ld.cholesky(x)
    L = ld.cholesky(ld.rechunk_batch(x, 3))
    np.testing.assert_allclose(L.compute(scheduler="sync"), np.eye(4)[None].repeat(6, 0))


def _foreign_chunks(module):
    """A dask array whose chunk type claims to come from `module` (e.g. CuPy, not installed)."""
    cls = types.new_class("ndarray", (np.ndarray,))
    cls.__module__ = module
    return da.from_array(np.eye(3)[None].repeat(4, 0).view(cls), chunks=(2, 3, 3))


def test_chunk_types():
    numpy_chunks = ld.from_tensor(lm.eye(3, dtype=lm.float64)[None].repeat(4, 1, 1), 2)
    with pytest.raises(TypeError, match="mix NumPy and CuPy"):
        ld.solve(_foreign_chunks("cupy._core.core"), numpy_chunks)
    with pytest.raises(TypeError, match="NumPy or CuPy"):
        ld.inv(_foreign_chunks("sparse._coo"))


@pytest.mark.parametrize("dtype", ["int64", "float16", "bool"])
def test_unsupported_dtype(dtype):
    x = da.zeros((4, 3, 3), dtype=dtype, chunks=(2, 3, 3))
    with pytest.raises(TypeError, match="unsupported dtype"):
        ld.cholesky(x)


def test_mixed_dtypes():
    x = da.zeros((4, 3, 3), chunks=(2, 3, 3))
    with pytest.raises(TypeError, match="one dtype"):
        ld.solve(x, x.astype("float32"))


def test_requires_grad_points_to_vjp_batched():
    t = lm.eye(3).requires_grad_()
    with pytest.raises(RuntimeError, match=r"vjp_batched\(fn, primals, cotangents\)"):
        ld.from_tensor(t)
    x = ld.from_tensor(lm.eye(3)[None].repeat(4, 1, 1), 2)
    with pytest.raises(RuntimeError, match="vjp_batched"):
        ld.matmul(x, t)


def test_bmm_shapes_as_torch():
    x = da.zeros((4, 3, 3), chunks=(2, 3, 3))
    with pytest.raises(RuntimeError, match=r"batch2 tensor to be: \[4, 3\] but got: \[5, 3\]"):
        ld.bmm(x, da.zeros((5, 3, 3), chunks=(2, 3, 3)))
    with pytest.raises(RuntimeError, match="batch1 must be a 3D tensor"):
        ld.bmm(x[None], x)


# -- gradients ------------------------------------------------------------------------------------

def _loss_terms(A, W):
    """Per-element outputs of a batch A and a shared parameter W."""
    return lm.linalg.cholesky(A + W @ W.mT).sum(-1) * 2


def test_vjp_batched_matches_whole_batch_autograd(compute):
    rng = np.random.default_rng(3)
    a, w = _hpd(rng, (10, 3, 3), "float64"), rng.standard_normal((3, 3))
    ct = rng.standard_normal((10, 3))
    A = ld.from_tensor(lm.from_numpy(a), 4)
    gA, gW = compute(*ld.vjp_batched(_loss_terms, (A, lm.from_numpy(w)),
                                     ld.from_tensor(lm.from_numpy(ct), 4, core_ndim=1)))
    At, Wt = lm.from_numpy(a).requires_grad_(), lm.from_numpy(w).requires_grad_()
    _loss_terms(At, Wt).backward(lm.from_numpy(ct))
    assert gA.shape == (10, 3, 3) and gW.shape == (3, 3)
    np.testing.assert_allclose(gA, At.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(gW, Wt.grad.numpy(), rtol=1e-10)

