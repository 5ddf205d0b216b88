"""Op table entries for the QR family: linalg.qr, linalg.householder_product, and the top-level
qr, geqrf, orgqr, ormqr.

Q and R are unique only up to a unit-modulus scaling of each column of Q (and row of R), so the
qr entries compare invariants computed with lamina ops against the same from NumPy: Q R (= A),
Q^H Q (= I), |Q| and |R|. geqrf is deterministic LAPACK output, compared with NumPy's
`qr(mode='raw')`. householder_product and ormqr are checked against the product of the
reflectors H_i = I - tau_i v_i v_i^H formed explicitly in NumPy (any tau, not only geqrf's,
defines them), so the reference shares nothing with the kernel.
"""

import warnings

import numpy as np

import lamina as lm
from opdb import COMPLEX, FLOATING, ErrorInput, OpInfo, Sample, make_array

DTYPES = FLOATING + COMPLEX
TOL = {"float32": (1e-4, 1e-4), "complex64": (1e-4, 1e-4), "float64": (1e-10, 1e-11),
       "complex128": (1e-10, 1e-11)}

# (id, shape): tall, wide, square, tiny sizes 1..8, larger, batched (odd batch sizes, which do
# not split evenly over 2 threads), empty batches and 0-row / 0-column matrices.
QR_SHAPES = [
    ("1x1", (1, 1)), ("2x2", (2, 2)), ("3x3", (3, 3)), ("4x4", (4, 4)), ("5x3", (5, 3)),
    ("3x5", (3, 5)), ("8x8", (8, 8)), ("7x1", (7, 1)), ("1x6", (1, 6)), ("17x17", (17, 17)),
    ("40x23", (40, 23)), ("23x40", (23, 40)), ("batch3-6x4", (3, 6, 4)),
    ("batch2x3-4x6", (2, 3, 4, 6)), ("batch5-8x8", (5, 8, 8)), ("batch0-3x3", (0, 3, 3)),
    ("0x3", (2, 0, 3)), ("3x0", (2, 3, 0)), ("0x0", (0, 0)),
]


def _qr_samples(modes):
    def samples(dtype, rng):
        for name, shape in QR_SHAPES:
            for mode in modes:
                kwargs = {} if mode is None else {"mode": mode}
                yield Sample((make_array(shape, dtype, rng),), kwargs, f"{name}-{mode}")
    return samples


def _qr_invariants(Q, R):
    """(Q R, Q^H Q, |Q|, |R|) with lamina ops; mode 'r' (empty Q) gives (Q, |R|)."""
    if Q.ndim == 1:
        return Q, R.abs()
    return Q @ R, Q.mH @ Q, Q.abs(), R.abs()


def _qr_ref_invariants(Q, R, like):
    if Q is None:
        return np.empty(0, dtype=like.dtype), np.abs(R)
    k = Q.shape[-1]
    eye = np.broadcast_to(np.eye(k, dtype=like.dtype), Q.shape[:-2] + (k, k))
    return (Q @ R).astype(like.dtype), eye.copy(), np.abs(Q), np.abs(R)


def _np_qr(A, mode):
    """numpy.linalg.qr in float64/complex128, cast back; 0-size matrices done by hand."""
    wide = A.astype(np.complex128 if A.dtype.kind == "c" else np.float64)
    m, n = A.shape[-2:]
    if m == 0 or n == 0:
        k = m if mode == "complete" else min(m, n)
        Q = np.broadcast_to(np.eye(m, k), A.shape[:-2] + (m, k)).astype(A.dtype)
        R = np.zeros(A.shape[:-2] + (k, n), dtype=A.dtype)
        return (None if mode == "r" else Q), R
    if mode == "r":
        return None, np.linalg.qr(wide, mode="r").astype(A.dtype)
    Q, R = np.linalg.qr(wide, mode=mode)
    return Q.astype(A.dtype), R.astype(A.dtype)


def _linalg_qr_op(A, mode="reduced", **kwargs):
    return _qr_invariants(*lm.linalg.qr(A, mode=mode, **kwargs))


def _linalg_qr_ref(A, mode="reduced"):
    return _qr_ref_invariants(*_np_qr(A, mode), A)


def _qr_op(A, some=True):
    with warnings.catch_warnings():     # lamina.qr's deprecation, as PyTorch's
        warnings.simplefilter("ignore", UserWarning)
        return _qr_invariants(*lm.qr(A, some=some))


def _qr_ref(A, some=True):
    return _qr_ref_invariants(*_np_qr(A, "reduced" if some else "complete"), A)


def _qr_some_samples(dtype, rng):
    for name, shape in QR_SHAPES[::2]:
        for some in (True, False):
            yield Sample((make_array(shape, dtype, rng),), {"some": some}, f"{name}-some{some}")


def _qr_grad_samples(kwargs_list):
    """Full-rank matrices past 1x1 for the grad sweep, off mode 'r' (no Q: PyTorch refuses its
    derivative, as lamina does) and off 'complete' for tall ones (likewise). Householder QR's
    signs are locally constant on full-rank input, so Q and R are smooth there."""
    def samples(dtype, rng):
        for (name, shape), kwargs in zip((("3x3", (3, 3)), ("5x3", (5, 3)), ("3x5", (3, 5)),
                                          ("batch2-3x2", (2, 3, 2))), kwargs_list):
            yield Sample((make_array(shape, dtype, rng),), kwargs, f"{name}-{kwargs}")
    return samples


def _geqrf_ref(A):
    m, n = A.shape[-2:]
    if m == 0 or n == 0:
        return A.copy(), np.zeros(A.shape[:-2] + (min(m, n),), dtype=A.dtype)
    wide = A.astype(np.complex128 if A.dtype.kind == "c" else np.float64)
    h, tau = np.linalg.qr(wide, mode="raw")
    return h.swapaxes(-1, -2).astype(A.dtype), tau.astype(A.dtype)


def _geqrf_samples(dtype, rng):
    for name, shape in QR_SHAPES:
        yield Sample((make_array(shape, dtype, rng),), name=name)


# -- reflectors -----------------------------------------------------------------------------------

def _reflectors_Q(a, tau):
    """H_1 H_2 ... H_k (m x m) for one matrix of reflectors, formed explicitly in 128-bit."""
    m = a.shape[0]
    Q = np.eye(m, dtype=np.complex128)
    for i in range(tau.shape[0]):
        v = np.zeros(m, dtype=np.complex128)
        v[i] = 1
        v[i + 1:] = a[i + 1:, i]
        Q = Q @ (np.eye(m) - tau[i] * np.outer(v, v.conj()))
    return Q


def _per_matrix(fn, *arrays, out_shape):
    """fn over the matrices of equal-batch (..., r, c) arrays (tau goes in as (..., 1, k))."""
    batch = arrays[0].shape[:-2]
    out = np.empty(batch + out_shape, dtype=np.complex128)
    for idx in np.ndindex(*batch):
        out[idx] = fn(*(x[idx] for x in arrays))
    return out


def _cast(x, like):
    return (x if like.dtype.kind == "c" else x.real).astype(like.dtype)


def _householder_ref(A, tau):
    m, n = A.shape[-2:]
    Q = _per_matrix(lambda a, t: _reflectors_Q(a, t[0])[:, :n], A, tau[..., None, :],
                    out_shape=(m, n)) if A.size else np.zeros(A.shape)
    return _cast(Q, A)


# (id, reflector shape, tau length): m >= n >= k, batched, tau shorter than n, k = 0, empty.
HOUSEHOLDER_SHAPES = [
    ("1x1", (1, 1), 1), ("3x3", (3, 3), 3), ("5x3", (5, 3), 3), ("5x3-k2", (5, 3), 2),
    ("4x4-k0", (4, 4), 0), ("8x8", (8, 8), 8), ("17x9", (17, 9), 9), ("40x40", (40, 40), 40),
    ("batch3-6x4", (3, 6, 4), 4), ("batch2x3-5x2", (2, 3, 5, 2), 2), ("batch0-3x2", (0, 3, 2), 2),
    ("3x0", (2, 3, 0), 0),
]


def _scaled_tau(shape, dtype, rng):
    # tau of geqrf lies in [1, 2] (real); any value defines H_i, and keeping |tau| moderate keeps
    # the product's entries O(1) so the tolerances mean the same at every size.
    return make_array(shape, dtype, rng, low=0.0, high=0.3)


def _householder_samples(dtype, rng):
    for name, shape, k in HOUSEHOLDER_SHAPES:
        a = make_array(shape, dtype, rng, low=-0.5, high=0.5)
        yield Sample((a, _scaled_tau(shape[:-2] + (k,), dtype, rng)), name=name)


def _ormqr_ref(A, tau, C, left=True, transpose=False):
    def one(a, t, c):
        Q = _reflectors_Q(a, t[0])
        Q = Q.conj().T if transpose else Q
        return Q @ c if left else c @ Q
    return _cast(_per_matrix(one, A, tau[..., None, :], C, out_shape=C.shape[-2:]), C)


# (id, reflectors, tau length, C shape for left=True; the right-side C is its transpose).
ORMQR_SHAPES = [
    ("1x1", (1, 1), 1, (1, 2)), ("5x3", (5, 3), 3, (5, 4)), ("4x6", (4, 6), 4, (4, 3)),
    ("8x8", (8, 8), 8, (8, 8)), ("17x5", (17, 5), 5, (17, 3)),
    ("batch3-6x4", (3, 6, 4), 4, (3, 6, 2)), ("batch2x3-5x5", (2, 3, 5, 5), 5, (2, 3, 5, 1)),
    ("batch0-3x2", (0, 3, 2), 2, (0, 3, 2)), ("C-0-cols", (2, 4, 3), 3, (2, 4, 0)),
]


def _ormqr_samples(dtype, rng):
    for name, shape, k, cshape in ORMQR_SHAPES:
        a = make_array(shape, dtype, rng, low=-0.5, high=0.5)
        tau = _scaled_tau(shape[:-2] + (k,), dtype, rng)
        c = make_array(cshape, dtype, rng)
        for left in (True, False):
            for transpose in (False, True):
                other = c if left else np.ascontiguousarray(c.swapaxes(-1, -2))
                yield Sample((a, tau, other), {"left": left, "transpose": transpose},
                             f"{name}-{'left' if left else 'right'}{'-T' if transpose else ''}")
    a = make_array((5, 3), dtype, rng)
    yield Sample((a, _scaled_tau((3,), dtype, rng), make_array((5, 2), dtype, rng), True, True),
                 name="positional-flags")


# -- errors ----------------------------------------------------------------------------------------

def _f64(*shape):
    return np.zeros(shape, dtype=np.float64)


def _qr_errors():
    yield ErrorInput(Sample((_f64(3),), name="1d"), RuntimeError,
                     r"linalg.qr: The input tensor A must have at least 2 dimensions.")
    yield ErrorInput(Sample((_f64(3, 3),), {"mode": "bad"}, "bad-mode"), RuntimeError,
                     r"qr received unrecognized mode 'bad' but expected one of 'reduced' "
                     r"\(default\), 'r', or 'complete'")
    yield ErrorInput(Sample((_f64(3, 3),), {"mode": 1}, "int-mode"), TypeError,
                     r"linalg_qr\(\): argument 'mode' must be str, not int")
    yield ErrorInput(Sample((_f64(3, 3).astype(np.int64),), name="int"), RuntimeError,
                     r"linalg.qr: Expected a floating point or complex tensor as input. Got Long")
    yield ErrorInput(Sample((_f64(3, 3).astype(np.float16),), name="half"), NotImplementedError,
                     r"\"geqrf_cpu\" not implemented for 'Half'")
    yield ErrorInput(Sample(([[1.0]],), name="not-tensor"), TypeError,
                     r"linalg_qr\(\): argument 'A' \(position 1\) must be Tensor, not list")
    yield ErrorInput(Sample((_f64(3, 3),), {"out": 3}, "out-not-tuple"), TypeError,
                     r"linalg_qr\(\): argument 'out' must be tuple of Tensors, not int")
    yield ErrorInput(Sample((_f64(3, 3),), {"out": (lm.empty(0), lm.empty(0))}, "out-dtype"),
                     RuntimeError,
                     r"Expected out tensor to have dtype double, but got float instead")


def _qr_some_errors():
    yield ErrorInput(Sample((_f64(3),), name="1d"), RuntimeError,
                     r"linalg.qr: The input tensor A must have at least 2 dimensions.")
    yield ErrorInput(Sample((_f64(3, 3).astype(np.bool_),), name="bool"), RuntimeError,
                     r"linalg.qr: Expected a floating point or complex tensor as input. Got Bool")


def _geqrf_errors():
    yield ErrorInput(Sample((_f64(3),), name="1d"), RuntimeError,
                     r"torch.geqrf: input must have at least 2 dimensions.")
    yield ErrorInput(Sample((_f64(3, 3).astype(np.int32),), name="int"), NotImplementedError,
                     r"\"geqrf_cpu\" not implemented for 'Int'")


def _householder_errors(name):
    pre = "torch.linalg.householder_product"
    yield ErrorInput(Sample((_f64(5), _f64(2)), name="1d"), RuntimeError,
                     rf"{pre}: input must have at least 2 dimensions.")
    yield ErrorInput(Sample((_f64(3, 5, 4), _f64(4)), name="tau-ndim"), RuntimeError,
                     rf"{pre}: Expected tau to have one dimension less than input, but got "
                     r"tau.ndim equal to 1 and input.ndim is equal to 3")
    yield ErrorInput(Sample((_f64(3, 4, 5), _f64(3, 4)), name="wide"), RuntimeError,
                     rf"{pre}: input.shape\[-2\] must be greater than or equal to "
                     r"input.shape\[-1\]")
    yield ErrorInput(Sample((_f64(3, 5, 4), _f64(3, 5)), name="tau-long"), RuntimeError,
                     rf"{pre}: input.shape\[-1\] must be greater than or equal to tau.shape\[-1\]")
    yield ErrorInput(Sample((_f64(3, 5, 4), _f64(2, 4)), name="tau-batch"), RuntimeError,
                     rf"{pre}: Expected batch dimensions of tau to be equal to input.shape\[:-2\]"
                     r", but got \[2\]")
    yield ErrorInput(Sample((_f64(3, 5, 4), _f64(3, 4).astype(np.float32)), name="tau-dtype"),
                     RuntimeError, rf"{pre}: tau dtype Float does not match input dtype Double")
    yield ErrorInput(Sample((_f64(5, 4).astype(np.int32), _f64(4).astype(np.int32)), name="int"),
                     NotImplementedError, r"\"orgqr_cpu\" not implemented for 'Int'")


def _ormqr_errors():
    pre = "torch.ormqr"
    a, t, c = _f64(3, 5, 4), _f64(3, 4), _f64(3, 5, 2)
    cases = [
        ("1d", (_f64(5), t, c), {}, rf"{pre}: input must have at least 2 dimensions."),
        ("other-1d", (a, t, _f64(5)), {}, rf"{pre}: other must have at least 2 dimensions."),
        ("other-rows", (a, t, _f64(3, 4, 2)), {},
         rf"{pre}: other.shape\[-2\] must be equal to input.shape\[-2\]"),
        ("other-cols", (a, t, _f64(3, 2, 4)), {"left": False},
         rf"{pre}: other.shape\[-1\] must be equal to input.shape\[-2\]"),
        ("tau-short", (a, _f64(3, 2), c), {},
         rf"{pre}: tau.shape\[-1\] must be equal to min\(other.shape\[-2\], input.shape\[-1\]\)"),
        ("tau-short-right", (a, _f64(3, 2), _f64(3, 2, 5)), {"left": False},
         rf"{pre}: tau.shape\[-1\] must be equal to min\(other.shape\[-1\], input.shape\[-1\]\)"),
        ("tau-ndim", (a, _f64(4), c), {},
         rf"{pre}: Expected tau to have one dimension less than input, but got tau.ndim equal "
         r"to 1 and input.ndim is equal to 3"),
        ("other-ndim", (a, t, _f64(5, 2)), {},
         rf"{pre}: Expected other to have the same number of dimensions as input, but got "
         r"other.ndim equal to 2 and input.ndim is equal to 3"),
        ("tau-batch", (a, _f64(2, 4), c), {},
         rf"{pre}: Expected batch dimensions of tau to be equal to input.shape\[:-2\], but got "
         r"\[2\]"),
        ("other-batch", (a, t, _f64(2, 5, 2)), {},
         rf"{pre}: Expected batch dimensions of other to be equal to input.shape\[:-2\], but "
         r"got \[2\]"),
        ("tau-dtype", (a, t.astype(np.float32), c), {},
         rf"{pre}: Expected input and tau to have the same dtype, but input has dtypeDouble "
         r"and tau has dtype Float"),
        ("other-dtype", (a, t, c.astype(np.complex128)), {},
         rf"{pre}: Expected input and other to have the same dtype, but input has dtypeDouble "
         r"and other has dtype ComplexDouble"),
    ]
    for name, args, kwargs, match in cases:
        yield ErrorInput(Sample(args, kwargs, name), RuntimeError, match)
    yield ErrorInput(Sample((a.astype(np.float16), t.astype(np.float16), c.astype(np.float16)),
                            name="half"), NotImplementedError,
                     r"\"ormqr_cpu\" not implemented for 'Half'")


# grad: the qr entries' invariants need the rules of abs and matmul (other families' issues);
# until they land, tests/test_autograd_linalg_spectral.py checks qr's gradient by hand.
OPS = [
    OpInfo("linalg.qr", _linalg_qr_op, _linalg_qr_ref,
           _qr_samples((None, "reduced", "complete", "r")), dtypes=DTYPES, tol=TOL,
           errors=_qr_errors, grad=True, gradgrad=True,
           grad_samples=_qr_grad_samples(({"mode": "complete"}, {}, {"mode": "complete"},
                                          {"mode": "reduced"})), fwgrad=True, vmap=True),
    OpInfo("qr", _qr_op, _qr_ref, _qr_some_samples, dtypes=DTYPES, tol=TOL,
           errors=_qr_some_errors, grad=True, gradgrad=True,
           grad_samples=_qr_grad_samples(({"some": False}, {}, {"some": False},
                                          {"some": True})), fwgrad=True, vmap=True),
    OpInfo("geqrf", lm.geqrf, _geqrf_ref, _geqrf_samples, dtypes=DTYPES, tol=TOL,
           method="geqrf", errors=_geqrf_errors, vmap=True),
    OpInfo("linalg.householder_product", lm.linalg.householder_product, _householder_ref,
           _householder_samples, dtypes=DTYPES, tol=TOL,
           errors=lambda: _householder_errors("linalg.householder_product"), grad=True,
           fwgrad=True, vmap=True),
    OpInfo("orgqr", lm.orgqr, _householder_ref, _householder_samples, dtypes=DTYPES, tol=TOL,
           method="orgqr", errors=lambda: _householder_errors("orgqr"), grad=True, fwgrad=True,
           vmap=True),
    OpInfo("ormqr", lm.ormqr, _ormqr_ref, _ormqr_samples, dtypes=DTYPES, tol=TOL,
           method="ormqr", errors=_ormqr_errors, grad=True, fwgrad=True, vmap=True),
]
