"""Fuzzing every batched op (issue 10): LAMINA_FUZZ_EXAMPLES hypothesis examples per op (default
1000) from the seed LAMINA_FUZZ_SEED (default 0), over dtypes, broadcast batch shapes, layouts
cut from sentinel-filled parents, special values, wrong-shape/strided/NaN-filled `out=`.

Each example runs the op on the drawn layout under 1 and 2 lamina threads and on contiguous
copies; every run must agree (NaN-aware), and every parent buffer must be unchanged outside the
`out=` view. Then, by mode: `valid` input matches a NumPy/SciPy reference; `special` input
(NaN, Inf, subnormal, 1e300 ...) only has to agree with the contiguous run, since LAPACK's output
on it is no reference; `invalid` input raises PyTorch's error type; `fail` input (singular, not
positive-definite) raises LinAlgError naming the first bad batch element, or sets `info`.
"""

import warnings

import numpy as np
import pytest
import scipy.linalg as sla
from figures import record
from fuzz_inputs import (
    DTYPES,
    EXAMPLES,
    LAYOUTS,
    SEED,
    Placed,
    batch_shapes,
    matrix_of_kind,
    sizes,
    sprinkle_specials,
)
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import lamina as lm
from lamina._core import _team, _threads

TOL = {np.float32: 2e-3, np.complex64: 2e-3, np.float64: 1e-9, np.complex128: 1e-9}


def close(got, expected, tol):
    """NumPy's assert_allclose with an absolute floor scaled to the reference; a reference of
    None (per_matrix over an empty batch) has nothing to compare."""
    if expected is None:
        return
    expected = np.asarray(expected)
    scale = max(1.0, float(np.abs(expected).max())) if expected.size else 1.0
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol * scale)


def mH(x):
    return x.conj().swapaxes(-1, -2)


def per_matrix(fn, *arrays, core=2):
    """fn applied to each batch element of `arrays` (broadcast over their batch dims, each with
    `core` core dims), stacked back: for SciPy routines that take one matrix."""
    batch = np.broadcast_shapes(*(a.shape[:-core] for a in arrays))
    outs = [fn(*(np.broadcast_to(a, batch + a.shape[-core:])[i] for a in arrays))
            for i in np.ndindex(batch)]
    if not outs:
        return None
    return np.stack(outs).reshape(batch + np.shape(outs[0]))


def unitary(q, tol):
    close(mH(q) @ q, np.broadcast_to(np.eye(q.shape[-1]), q.shape[:-2] + (q.shape[-1],) * 2),
          tol)


def match_eigenvalues(got, expected, tol):
    """Each batch's eigenvalues equal the reference's as multisets (matched greedily)."""
    for g, e in zip(got.reshape(-1, max(got.shape[-1], 1)),
                    expected.reshape(-1, max(expected.shape[-1], 1))):
        left = list(e)
        for v in g:
            j = int(np.argmin([abs(v - w) for w in left]))
            close(v, left.pop(j), tol * 10)


# -- the op table --------------------------------------------------------------------------------

class Op:
    """One fuzzed op. `args`: (kind, core dims) per argument, core dims naming sizes n, m, k;
    `call(*tensors, **kw)`; `check(arrays, outputs, tol)` asserts against a reference;
    `batch`: "broadcast" (leading dims broadcast), "same" (one equal batch dim), "none";
    `fail`: how one batch element is made to fail ("singular" zero row, "notpd"), with
    `info_at` the output index of `info` for the _ex form (None: it raises `fail_error`)."""

    def __init__(self, name, call, args, check, *, batch="broadcast", dims=None, out=True,
                 fail=None, info_at=None, fail_error=lm.linalg.LinAlgError, square=True,
                 linalg=True):
        self.name, self.call, self.args, self.check = name, call, args, check
        self.batch, self.dims, self.out = batch, dims, out
        self.fail, self.info_at, self.fail_error = fail, info_at, fail_error
        self.square, self.linalg = square, linalg


def _matmul_check(a, o, tol):
    close(o[0], a[0] @ a[1], tol)


def _addmm_check(a, o, tol):
    close(o[0], 0.5 * a[0] + 2 * (a[1] @ a[2]), tol)


def _chol_check(upper):
    def check(a, o, tol):
        low = np.linalg.cholesky(a[0])
        close(o[0], mH(low) if upper else low, tol)
    return check


def _solve_check(a, o, tol):
    close(o[0], np.linalg.solve(a[0], a[1]), tol)


def _linalg_solve_check(a, o, tol):
    # PyTorch's rule: B is a batch of vectors when 1-D or exactly A's shape minus its last dim.
    A, B = a
    if B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1]):
        close(o[0], np.linalg.solve(A, B[..., None])[..., 0], tol)
    else:
        _solve_check(a, o, tol)


def _tri_check(a, o, tol):
    close(o[0], np.linalg.solve(np.triu(a[0]), a[1]), tol)


def _lu_factor_check(a, o, tol):
    if a[0].size == 0:
        return
    close(o[0], per_matrix(lambda x: sla.lu_factor(x)[0], a[0]), tol)
    np.testing.assert_array_equal(o[1], per_matrix(lambda x: sla.lu_factor(x)[1] + 1, a[0]))


def _lu_check(a, o, tol):
    p, low, up = o
    close(p @ low @ up, a[0], tol)
    close(np.tril(low, -1) + np.eye(*low.shape[-2:]), low, tol)
    close(np.triu(up), up, tol)


def _lu_solve_check(a, o, tol):
    close(o[0], np.linalg.solve(a[0], a[1]), tol)


def _qr_check(a, o, tol):
    q, r = o
    close(q @ r, a[0], tol)
    unitary(q, tol)
    close(np.triu(r), r, tol)
    close(np.abs(r), np.abs(np.linalg.qr(a[0])[1]), tol)


def _eigh_check(a, o, tol):
    w, v = o
    close(w, np.linalg.eigvalsh(a[0]), tol)
    close(a[0] @ v, v * w[..., None, :], tol * 10)
    unitary(v, tol)


def _eig_check(a, o, tol):
    w, v = o
    match_eigenvalues(w, np.linalg.eigvals(a[0]), tol)
    close(a[0] @ v, v * w[..., None, :], tol * 10)


def _svd_check(a, o, tol):
    u, s, vh = o
    close(s, np.linalg.svd(a[0], compute_uv=False), tol)
    k = s.shape[-1]
    close((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], a[0], tol)
    unitary(u, tol)
    unitary(mH(vh), tol)


def _householder_ref(x, tau):
    m = x.shape[0]
    q = np.eye(m, dtype=x.dtype)
    for i in range(tau.shape[0]):
        v = np.concatenate([np.zeros(i), [1.0], x[i + 1:, i]]).astype(x.dtype)
        q = q @ (np.eye(m) - tau[i] * np.outer(v, v.conj()))
    return q[:, :x.shape[1]]


def _sytrf(x):
    routine = sla.get_lapack_funcs("sytrf", (x,))
    ld, piv, _ = routine(x, lower=1)
    return np.tril(ld), piv


def _ldl_check(a, o, tol):
    if a[0].shape[-1] == 0:
        return
    close(np.tril(o[0]), per_matrix(lambda x: _sytrf(x)[0], a[0]), tol)
    np.testing.assert_array_equal(o[1], per_matrix(lambda x: _sytrf(x)[1], a[0]))


def _ldl_solve_call(A, B):
    ld, piv = lm.linalg.ldl_factor(A)
    return lm.linalg.ldl_solve(ld, piv, B)


def _lu_solve_call(A, B):
    lu, piv = lm.linalg.lu_factor(A)
    return lm.linalg.lu_solve(lu, piv, B)


def _lu_unpack_call(A):
    lu, piv = lm.linalg.lu_factor(A)
    return lm.lu_unpack(lu, piv)


def _cholesky_solve_call(A, B):
    return lm.cholesky_solve(B, lm.linalg.cholesky(A))


def _cholesky_inverse_call(A):
    return lm.cholesky_inverse(lm.linalg.cholesky(A))


def _householder_call(A, tau):
    return lm.linalg.householder_product(A, tau[..., :min(A.shape[-1], tau.shape[-1])])


def _householder_check(a, o, tol):
    tau = a[1][..., :min(a[0].shape[-1], a[1].shape[-1])]
    close(o[0], _householder_batched(a[0], tau), tol)


def _householder_batched(x, tau):
    batch = np.broadcast_shapes(x.shape[:-2], tau.shape[:-1])
    out = np.empty(batch + x.shape[-2:], dtype=x.dtype)
    for i in np.ndindex(batch):
        out[i] = _householder_ref(np.broadcast_to(x, batch + x.shape[-2:])[i],
                                  np.broadcast_to(tau, batch + tau.shape[-1:])[i])
    return out


def _lstsq_check(a, o, tol):
    ref = per_matrix(lambda x, b: np.linalg.lstsq(x, b, rcond=None)[0], a[0], a[1])
    if ref is not None:
        close(o[0], ref, tol * 10)


def _vals(fn):
    def check(a, o, tol):
        close(o[0], fn(*a), tol)
    return check


L = lm.linalg
TALL = "m>=n"
A_NN = [("gen", "nn")]
OPS = [
    Op("matmul", lm.matmul, [("any", "nk"), ("any", "km")], _matmul_check, square=False,
       linalg=False),
    Op("@", lambda a, b: a @ b, [("any", "nk"), ("any", "km")], _matmul_check, square=False,
       linalg=False, out=False),
    Op("linalg.matmul", L.matmul, [("any", "nk"), ("any", "km")], _matmul_check, square=False,
       linalg=False),
    Op("bmm", lm.bmm, [("any", "nk"), ("any", "km")], _matmul_check, batch="same",
       square=False, linalg=False),
    Op("mm", lm.mm, [("any", "nk"), ("any", "km")], _matmul_check, batch="none", square=False,
       linalg=False),
    Op("mv", lm.mv, [("any", "nk"), ("any", "k")], _matmul_check, batch="none", square=False,
       linalg=False),
    Op("addmm", lambda c, a, b, **kw: lm.addmm(c, a, b, beta=0.5, alpha=2, **kw),
       [("any", "nm"), ("any", "nk"), ("any", "km")], _addmm_check, batch="none",
       square=False, linalg=False),
    Op("addmv", lambda c, a, v, **kw: lm.addmv(c, a, v, beta=0.5, alpha=2, **kw),
       [("any", "n"), ("any", "nk"), ("any", "k")], _addmm_check, batch="none",
       square=False, linalg=False),
    Op("linalg.multi_dot", lambda a, b, c, **kw: L.multi_dot([a, b, c], **kw),
       [("any", "nk"), ("any", "km"), ("any", "mn")],
       lambda a, o, tol: close(o[0], a[0] @ a[1] @ a[2], tol), batch="none", square=False,
       linalg=False),
    Op("baddbmm", lambda c, a, b, **kw: lm.baddbmm(c, a, b, beta=0.5, alpha=2, **kw),
       [("any", "nm"), ("any", "nk"), ("any", "km")], _addmm_check, batch="same",
       square=False, linalg=False),
    Op("linalg.cholesky", L.cholesky, [("spd", "nn")], _chol_check(False), fail="notpd"),
    Op("linalg.cholesky(upper)", lambda a, **kw: L.cholesky(a, upper=True, **kw),
       [("spd", "nn")], _chol_check(True), fail="notpd"),
    Op("linalg.cholesky_ex", L.cholesky_ex, [("spd", "nn")], _chol_check(False), fail="notpd",
       info_at=1),
    Op("linalg.inv", L.inv, A_NN, _vals(np.linalg.inv), fail="singular"),
    Op("linalg.inv_ex", L.inv_ex, A_NN, _vals(np.linalg.inv), fail="singular", info_at=1),
    Op("inverse", lm.inverse, A_NN, _vals(np.linalg.inv), fail="singular"),
    Op("linalg.det", L.det, A_NN, _vals(np.linalg.det)),
    Op("linalg.slogdet", L.slogdet, A_NN,
       lambda a, o, tol: close(o[0] * np.exp(o[1]), np.linalg.det(a[0]), tol)),
    Op("logdet", lm.logdet, [("spd", "nn")], _vals(lambda x: np.linalg.slogdet(x)[1]),
       out=False),
    Op("linalg.solve", L.solve, [("gen", "nn"), ("any", "nk")], _linalg_solve_check,
       fail="singular"),
    Op("linalg.solve_ex", L.solve_ex, [("gen", "nn"), ("any", "nk")], _linalg_solve_check,
       fail="singular", info_at=1),
    Op("linalg.solve_triangular",
       lambda a, b, **kw: L.solve_triangular(a, b, upper=True, **kw),
       [("gen", "nn"), ("any", "nk")], _tri_check),
    Op("linalg.lu_factor", L.lu_factor, A_NN, _lu_factor_check, fail="singular",
       fail_error=RuntimeError, square=False),
    Op("linalg.lu_factor_ex", L.lu_factor_ex, A_NN, _lu_factor_check, fail="singular",
       info_at=2, square=False),
    Op("linalg.lu", L.lu, [("any", "nm")], _lu_check, square=False),
    Op("linalg.lu_solve", _lu_solve_call, [("gen", "nn"), ("any", "nk")], _lu_solve_check,
       out=False),
    Op("lu_unpack", _lu_unpack_call, A_NN, _lu_check, out=False, square=False),
    Op("linalg.qr", L.qr, [("any", "nm")], _qr_check, square=False),
    Op("linalg.eig", L.eig, A_NN, _eig_check),
    Op("linalg.eigvals", L.eigvals, A_NN,
       lambda a, o, tol: match_eigenvalues(o[0], np.linalg.eigvals(a[0]), tol)),
    Op("linalg.eigh", L.eigh, [("herm", "nn")], _eigh_check),
    Op("linalg.eigvalsh", L.eigvalsh, [("herm", "nn")], _vals(np.linalg.eigvalsh)),
    Op("linalg.svd", L.svd, [("any", "nm")], _svd_check, square=False),
    Op("linalg.svd(reduced)", lambda a, **kw: L.svd(a, full_matrices=False, **kw),
       [("any", "nm")], _svd_check, square=False),
    Op("linalg.svdvals", L.svdvals, [("any", "nm")],
       _vals(lambda x: np.linalg.svd(x, compute_uv=False)), square=False),
    Op("linalg.lstsq", L.lstsq, [("gen", "mn"), ("any", "mk")], _lstsq_check, square=False,
       out=False, batch="same"),
    Op("linalg.matrix_rank", L.matrix_rank, [("gen", "nm")],
       _vals(np.linalg.matrix_rank), square=False),
    Op("linalg.pinv", L.pinv, [("gen", "nm")], _vals(np.linalg.pinv), square=False),
    Op("linalg.matrix_power(3)", lambda a, **kw: L.matrix_power(a, 3, **kw), A_NN,
       _vals(lambda x: np.linalg.matrix_power(x, 3))),
    Op("linalg.matrix_power(-2)", lambda a, **kw: L.matrix_power(a, -2, **kw), A_NN,
       _vals(lambda x: np.linalg.matrix_power(x, -2)), fail="singular"),
    Op("linalg.matrix_exp", L.matrix_exp, [("any", "nn")],
       _vals(lambda x: per_matrix(sla.expm, x) if x.size else x), out=False),
    Op("linalg.matrix_norm", L.matrix_norm, [("any", "nm")],
       _vals(lambda x: np.linalg.norm(x, "fro", axis=(-2, -1))), square=False),
    Op("linalg.matrix_norm(nuc)", lambda a, **kw: L.matrix_norm(a, "nuc", **kw),
       [("any", "nm")], _vals(lambda x: np.linalg.norm(x, "nuc", axis=(-2, -1))
                              if x.size else np.zeros(x.shape[:-2])), square=False),
    Op("linalg.vector_norm", L.vector_norm, [("any", "nm")],
       _vals(lambda x: np.sqrt((np.abs(x) ** 2).sum())), square=False),
    Op("linalg.norm", L.norm, [("any", "nm")],
       _vals(lambda x: np.sqrt((np.abs(x) ** 2).sum())), square=False),
    Op("linalg.cond", L.cond, [("gen", "nm")],
       _vals(lambda x: np.linalg.cond(x) if x.size else None), square=False),
    Op("linalg.cross", L.cross, [("any", "n3"), ("any", "n3")],
       _vals(lambda a, b: np.cross(a, b)), square=False, batch="same"),
    Op("linalg.vecdot", L.vecdot, [("any", "nk"), ("any", "nk")],
       _vals(lambda a, b: (a.conj() * b).sum(-1)), square=False),
    Op("linalg.householder_product", _householder_call, [("any", "mn"), ("any", "n")],
       _householder_check, square=False, out=False, dims=TALL, batch="same"),
    Op("linalg.ldl_factor", L.ldl_factor, [("sym", "nn")], _ldl_check),
    Op("linalg.ldl_factor_ex", L.ldl_factor_ex, [("sym", "nn")], _ldl_check),
    Op("linalg.ldl_solve", _ldl_solve_call, [("sym", "nn"), ("any", "nk")], _solve_check,
       out=False),
    Op("cholesky_solve", _cholesky_solve_call, [("spd", "nn"), ("any", "nk")], _solve_check,
       out=False),
    Op("cholesky_inverse", _cholesky_inverse_call, [("spd", "nn")],
       _vals(np.linalg.inv), out=False),
]


# -- one example ---------------------------------------------------------------------------------

def outputs(result):
    """An op's result as a list of ndarray copies."""
    if isinstance(result, tuple):
        return [t.numpy().copy() for t in result]
    return [result.numpy().copy()]


def run(op, tensors, threads, **kw):
    """(outputs, None) or (None, exception type and message) of one call at `threads`."""
    before = lm.get_num_threads()
    lm.set_num_threads(threads)
    try:
        return outputs(op.call(*tensors, **kw)), None
    except Exception as e:  # compared between runs, and checked by mode below
        return None, (type(e), str(e))
    finally:
        lm.set_num_threads(before)


def run_split(op, tensors):
    """`run` at 2 threads with every batch of two or more elements split (the kernels' own
    thresholds would keep the small batches drawn here on one thread)."""
    _threads.split_every_batch = True
    try:
        return run(op, tensors, 2)
    finally:
        _threads.split_every_batch = False


def same(a, b, what):
    """Two runs agree: both raised the same error type, or gave NaN-aware equal outputs."""
    (oa, ea), (ob, eb) = a, b
    assert (ea is None) == (eb is None), f"{what}: {ea} vs {eb}"
    if ea is not None:
        assert ea[0] is eb[0], f"{what}: {ea} vs {eb}"
        return
    assert len(oa) == len(ob)
    for x, y in zip(oa, ob):
        assert x.shape == y.shape and x.dtype == y.dtype, f"{what}: {x.shape} vs {y.shape}"
        if x.dtype.kind not in "fc":
            np.testing.assert_array_equal(x, y, err_msg=what)
            continue
        # NaN and Inf at the same places; finite values within a few ulps, since a transposed
        # operand goes to BLAS as a trans flag and a split batch may pick other loop orders.
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y), err_msg=what)
        np.testing.assert_array_equal(np.isinf(x), np.isinf(y), err_msg=what)
        fin = np.isfinite(x)
        np.testing.assert_array_equal(x[~fin & ~np.isnan(x)], y[~fin & ~np.isnan(y)])
        eps = np.finfo(x.dtype).eps
        scale = float(np.abs(x[fin]).max()) if fin.any() else 0.0
        np.testing.assert_allclose(x[fin], y[fin], rtol=64 * eps, atol=64 * eps * scale,
                                   err_msg=what)


def core_shape(spec, dims):
    return tuple(3 if c == "3" else dims[c] for c in spec)


def shapes_for(op, data):
    dims = {c: data.draw(sizes, label=c) for c in "nmk"}
    if op.dims == TALL:
        dims["m"] = max(dims["m"], dims["n"])
    if op.batch == "none":
        own = [()] * len(op.args)
    elif op.batch == "same":
        b = (data.draw(st.sampled_from((0, 1, 1, 2, 3, 5, 8)), label="batch"),)
        own = [b] * len(op.args)
    else:
        own = data.draw(batch_shapes(len(op.args)), label="batches")
    return dims, [b + core_shape(spec, dims) for b, (_, spec) in zip(own, op.args)]


def make_invalid(op, arrays, data):
    """Arrays the op must refuse with RuntimeError, or None where the op has no such input."""
    kinds = []
    if not op.linalg:
        kinds.append("mismatch")
    elif op.square:
        kinds.append("nonsquare")
    if op.linalg and op.name not in INT_OK and not (op.name in EMPTY_FIRST and
                                                     arrays[0].size == 0):
        kinds.append("int")
    if not kinds:
        return None
    kind = data.draw(st.sampled_from(kinds), label="invalid")
    bad = list(arrays)
    if kind == "int":
        bad[0] = np.ones(arrays[0].shape, dtype=np.int64)
    elif kind == "nonsquare":
        bad[0] = grow(arrays[0], -1)
    else:
        bad[-1] = grow(arrays[-1], -2 if arrays[-1].ndim >= 2 else -1)
    return bad


def grow(x, axis):
    """`x` one longer along `axis` (a slice of ones appended)."""
    shape = list(x.shape)
    shape[axis] = 1
    return np.concatenate([x, np.ones(shape, dtype=x.dtype)], axis=axis)


def make_fail(op, a, data, rng):
    """`a` with some batch elements made singular (a zero row) or not positive-definite."""
    a = a.copy()
    if a.ndim > 2 and a.shape[0]:
        picks = rng.random(a.shape[:-2]) < 0.5
    else:
        picks = np.ones(a.shape[:-2], dtype=bool)
    if op.fail == "singular":
        a[picks, 0, :] = 0
    else:
        a[picks, 0, 0] = -1
    return a


def failed_elements(op, a):
    if op.fail == "singular":
        return np.all(a[..., 0, :] == 0, axis=-1)
    return a[..., 0, 0].real < 0


def check_out(op, tensors, expected, data, rng):
    """The op with `out=` pre-filled with NaN, strided inside a sentinel parent, or of a wrong
    shape (resized): the returned and the out tensors hold the expected outputs, and nothing
    outside the out views changed."""
    mode = data.draw(st.sampled_from(("nan", "strided", "wrong")), label="out")
    placed, outs = [], []
    for x in expected:
        fill = np.full(x.shape, np.nan if x.dtype.kind in "fc" else -7, dtype=x.dtype)
        if mode == "strided":
            layout = data.draw(st.sampled_from([v for v in LAYOUTS if v != "expand"]))
            p = Placed(fill, layout, rng, lm)
            placed.append(p)
            outs.append(p.tensor)
        elif mode == "wrong":
            p = Placed(np.full(x.shape[:-1] + (x.shape[-1] + 1,) if x.ndim else (2,), -7,
                               dtype=x.dtype), "C", rng, lm)
            placed.append(p)
            outs.append(p.tensor)
        else:
            outs.append(lm.from_numpy(fill))
    out = tuple(outs) if len(outs) > 1 else outs[0]
    with warnings.catch_warnings():  # the resize warning, checked in test_views
        warnings.simplefilter("ignore", UserWarning)
        got = outputs(op.call(*tensors, out=out))
    for g, o, x in zip(got, outs, expected):
        np.testing.assert_array_equal(g, x)
        np.testing.assert_array_equal(o.numpy(), x)
    for p in placed:
        assert p.intact() if mode == "wrong" else p.intact_outside(), "out= wrote outside"


INT_OK = {"linalg.cross", "linalg.vecdot", "linalg.matrix_power(3)"}
# torch.linalg.cond returns on an empty input before it checks the dtype (torch 2.13 gives an
# empty int64 result), so int input is invalid for it only when it has elements.
EMPTY_FIRST = {"linalg.cond"}
MODES = ("valid", "valid", "special", "invalid", "fail")


def fuzz_one(op, data, counts):
    dtype = data.draw(st.sampled_from(DTYPES), label="dtype")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="rng"))
    dims, shapes = shapes_for(op, data)
    arrays = [matrix_of_kind(rng, kind, shape, dtype)
              for (kind, _), shape in zip(op.args, shapes)]
    mode = data.draw(st.sampled_from(MODES), label="mode")
    if mode == "special":
        which = data.draw(st.integers(0, len(arrays) - 1), label="which")
        arrays[which] = sprinkle_specials(rng, arrays[which])
    elif mode == "invalid":
        bad = make_invalid(op, arrays, data)
        mode, arrays = ("invalid", bad) if bad is not None else ("valid", arrays)
    elif mode == "fail":
        mode = "fail" if op.fail and shapes[0][-1] else "valid"
        if mode == "fail":
            arrays[0] = make_fail(op, arrays[0], data, rng)
    layouts = [data.draw(st.sampled_from(LAYOUTS), label=f"layout{i}")
               for i in range(len(arrays))]
    placed = [Placed(a, lay, rng, lm) for a, lay in zip(arrays, layouts)]
    tensors = [p.tensor for p in placed]
    values = [p.values for p in placed]
    one = run(op, tensors, 1)
    try:
        same(one, run_split(op, tensors), "1 vs 2 threads")
    except AssertionError:
        counts["thread_mismatches"] += 1
        raise
    same(one, run(op, [lm.from_numpy(np.ascontiguousarray(v)) for v in values], 1),
         "strided vs contiguous")
    assert all(p.intact() for p in placed), "an input's parent buffer changed"
    got, err = one
    if mode == "invalid":
        assert err is not None and issubclass(err[0], RuntimeError), err
        assert not issubclass(err[0], lm.linalg.LinAlgError), err
        return
    if mode == "fail":
        check_fail(op, values, got, err)
        return
    if mode == "valid":
        assert err is None, err
        op.check(values, got, TOL[dtype])
    if err is None and op.out and data.draw(st.booleans(), label="use out"):
        check_out(op, tensors, got, data, rng)


def check_fail(op, values, got, err):
    # Errors and info follow A's own batch (PyTorch factors A unexpanded).
    bad = failed_elements(op, values[0])
    batch = bad.shape
    if op.info_at is not None:
        assert err is None, err
        np.testing.assert_array_equal(got[op.info_at] != 0, bad)
        return
    if not bad.any():
        assert err is None, err
        return
    assert err is not None and issubclass(err[0], op.fail_error), err
    if batch:
        assert f"(Batch element {int(np.flatnonzero(bad)[0])})" in err[1], err[1]
    else:
        assert "Batch element" not in err[1], err[1]


# Ops composed of NumPy reductions and products over the whole batch: no lamina kernel, so
# nothing to split over threads.
UNSPLIT = {"linalg.matrix_norm", "linalg.vector_norm", "linalg.norm", "linalg.cross",
           "linalg.vecdot"}


@pytest.mark.parametrize("op", OPS, ids=[o.name for o in OPS])
def test_fuzz(op):
    counts = {"run": 0, "failed": 0, "thread_mismatches": 0}
    regions = _team.regions()

    @seed(SEED)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(st.data())
    def fuzz(data):
        counts["run"] += 1
        try:
            fuzz_one(op, data, counts)
        except BaseException:
            counts["failed"] += 1
            raise

    try:
        fuzz()
    finally:
        record("fuzz", min(counts["run"] - counts["failed"], EXAMPLES), total=EXAMPLES,
               op=op.name)
        record("thread_mismatches", counts["thread_mismatches"], op=op.name)
    # The 1-vs-2-thread comparison means something only if some batches were split.
    if op.batch != "none" and op.name not in UNSPLIT:
        assert _team.regions() > regions, counts
