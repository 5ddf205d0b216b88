"""lamina.func on the reduction, scan and sorting primitives, where the op-table sweeps do not
reach: mapped dims in the middle, whole reductions with keepdim, logical 0-dim and integer
operands, complex and zero-crossing tangents, vmap of grad and jacfwd against jacrev. References
are NumPy or a Python loop over the batch, never the batched path itself."""

import warnings

import numpy as np
import pytest

import lamina as lm
from lamina.func import grad, hessian, jacfwd, jacrev, jvp, vmap

# Rules of other families (index, index_put, expand, flip, ...) may still run in vmap's loop.
OTHER_LOOPS = pytest.mark.filterwarnings("ignore:There is a performance drop")


def T(a):
    return lm.from_numpy(np.array(a))


def _strict(fn, in_dims=0):
    """vmap(fn) that fails if any primitive falls back to the loop."""
    def call(*args):
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message="There is a performance drop")
            return vmap(fn, in_dims=in_dims)(*args)
    return call


def _loop(fn, x, dim):
    """fn on every slice of x along dim, stacked at 0 (tuples stacked element-wise)."""
    outs = [fn(T(np.take(x, b, axis=dim))) for b in range(x.shape[dim])]
    if isinstance(outs[0], tuple):
        return [np.stack([o[k].numpy() for o in outs]) for k in range(len(outs[0]))]
    return np.stack([o.numpy() for o in outs])


WHOLE_AND_ONE_DIM = [
    ("sum-dims-keepdim", lambda v: lm.sum(v, (0, -1), keepdim=True)),
    ("nansum-all", lambda v: lm.nansum(v)),
    ("mean-keepdim", lambda v: lm.mean(v, 1, keepdim=True)),
    ("var-all-keepdim", lambda v: lm.var(v, keepdim=True)),
    ("norm-inf", lambda v: lm.norm(v, float("inf"), dim=(0, 1))),
    ("logsumexp", lambda v: lm.logsumexp(v, (1,))),
    ("prod-all-keepdim", lambda v: lm.prod(v, keepdim=True)),
    ("prod-dim", lambda v: lm.prod(v, -1)),
    ("amax-all", lambda v: lm.amax(v)),
    ("max-all", lambda v: lm.max(v)),
    ("argmax-all-keepdim", lambda v: lm.argmax(v, keepdim=True)),
    ("argmin-dim", lambda v: lm.argmin(v, 0)),
    ("max-dim", lambda v: tuple(lm.max(v, 1, keepdim=True))),
    ("median-all", lambda v: lm.median(v)),
    ("nanmedian-dim", lambda v: tuple(lm.nanmedian(v, 0))),
    ("count_nonzero", lambda v: lm.count_nonzero(v, (0, 1))),
    ("any-all-keepdim", lambda v: lm.any(v > 0, keepdim=True)),
    ("all-nothing", lambda v: lm.all(v > 0, ())),
    ("cumprod", lambda v: lm.cumprod(v, -1)),
    ("cummin", lambda v: tuple(lm.cummin(v, 0))),
    ("logcumsumexp", lambda v: lm.logcumsumexp(v, 1)),
    ("sort-desc", lambda v: tuple(lm.sort(v, 0, descending=True))),
    ("topk", lambda v: tuple(lm.topk(v, 2, dim=1, largest=False))),
    ("kthvalue-keepdim", lambda v: tuple(lm.kthvalue(v, 2, 0, keepdim=True))),
    ("mode", lambda v: tuple(lm.mode(v, 1))),
]


@pytest.mark.parametrize("name,fn", WHOLE_AND_ONE_DIM, ids=[n for n, _ in WHOLE_AND_ONE_DIM])
@pytest.mark.parametrize("bdim", [1, 2])
def test_mapped_dim_in_the_middle_or_last(name, fn, bdim):
    x = np.random.default_rng(0).permutation(60).reshape(3, 4, 5) / 7.0 - 4
    if name == "mode":
        x = np.round(x) % 3
    got = _strict(fn, in_dims=bdim)(T(x))
    want = _loop(fn, x, bdim)
    for g, w in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, list) else (want,)):
        assert g.shape == w.shape, name
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-12, atol=1e-12, err_msg=name)


ZERO_DIM = [
    ("sum", lambda v: lm.sum(v)), ("prod-keepdim", lambda v: lm.prod(v, keepdim=True)),
    ("var", lambda v: lm.var(v, correction=0)), ("amax", lambda v: lm.amax(v)),
    ("argmax-keepdim", lambda v: lm.argmax(v, keepdim=True)),
    ("max-dim-keepdim", lambda v: tuple(lm.max(v, 0, keepdim=True))),
    ("cumsum", lambda v: lm.cumsum(v, 0)), ("cummax", lambda v: tuple(lm.cummax(v, 0))),
    ("sort", lambda v: tuple(lm.sort(v))), ("topk", lambda v: tuple(lm.topk(v, 1))),
    ("median", lambda v: lm.median(v)), ("median-dim", lambda v: tuple(lm.median(v, 0))),
    ("all", lambda v: lm.all(v, keepdim=True)), ("count_nonzero", lambda v: lm.count_nonzero(v)),
]


@pytest.mark.parametrize("name,fn", ZERO_DIM, ids=[n for n, _ in ZERO_DIM])
def test_logical_zero_dim_inputs(name, fn):
    x = np.array([1.5, -2.0, 0.0, 3.25])
    got = _strict(fn)(T(x))
    want = _loop(fn, x, 0)
    for g, w in zip(got if isinstance(got, tuple) else (got,),
                    want if isinstance(want, list) else (want,)):
        assert g.shape == w.shape == (4,), name
        np.testing.assert_array_equal(g.numpy(), w)


def test_integer_and_boolean_operands():
    rng = np.random.default_rng(1)
    x = rng.integers(-3, 4, size=(4, 3, 5)).astype(np.int8)
    cases = [
        (lambda v: lm.sum(v, 1), lambda a: a.sum(2, dtype=np.int64)),
        (lambda v: lm.prod(v), lambda a: a.reshape(4, -1).prod(1, dtype=np.int64)),
        (lambda v: lm.cumsum(v, -1), lambda a: a.cumsum(-1, dtype=np.int64)),
        (lambda v: lm.argmax(v), lambda a: a.reshape(4, -1).argmax(1)),
        (lambda v: lm.count_nonzero(v, 0), lambda a: np.count_nonzero(a, 1)),
        (lambda v: lm.all(v.bool(), (0, 1)), lambda a: a.astype(bool).all((1, 2))),
        (lambda v: lm.any(v.to(lm.uint8)), lambda a: a.astype(np.uint8).any((1, 2))
         .astype(np.uint8)),
        (lambda v: lm.sort(v, 1).values, lambda a: np.sort(a, 2, kind="stable")),
    ]
    for fn, ref in cases:
        got = vmap(fn)(T(x))
        want = ref(x)
        assert got.numpy().dtype == want.dtype
        np.testing.assert_array_equal(got.numpy(), want)


@pytest.mark.parametrize("op,aten", [(lm.unique, "_unique2"),
                                     (lambda v: lm.unique(v, dim=0), "unique_dim"),
                                     (lm.unique_consecutive, "unique_consecutive")])
def test_unique_refuses_vmap_and_forward_mode(op, aten):
    x = T(np.array([[1.0, 1.0, 2.0], [3.0, 3.0, 3.0]]))
    with pytest.raises(RuntimeError, match="vmap: We do not support batching operators that can "
                       f"output dynamic shape. Attempted to vmap over aten::{aten}."):
        vmap(op)(x)
    with pytest.raises(NotImplementedError, match="the derivative for .* is not implemented"):
        jvp(lambda v: op(v), (x,), (lm.ones_like(x),))


# -- forward mode by hand ------------------------------------------------------------------------

def _central(fn, x, t, eps=1e-6):
    return (fn(x + eps * t) - fn(x - eps * t)) / (2 * eps)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_prod_and_cumprod_jvp_through_zeros(dtype):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 5)).astype(dtype)
    if dtype == np.complex128:
        x = x + 1j * rng.standard_normal((3, 5))
    x[0, 1] = 0                      # one zero
    x[1, 0] = x[1, 3] = 0            # two zeros
    t = (rng.standard_normal((3, 5)) + (1j * rng.standard_normal((3, 5))
                                        if dtype == np.complex128 else 0)).astype(dtype)
    for fn, ref in [(lambda v: lm.prod(v, 1), lambda a: a.prod(1)),
                    (lambda v: lm.prod(v), lambda a: a.prod()),
                    (lambda v: lm.cumprod(v, 1), lambda a: a.cumprod(1))]:
        _, tout = jvp(fn, (T(x),), (T(t),))
        # A product is a polynomial in each entry: central differences are exact up to rounding.
        np.testing.assert_allclose(tout.numpy(), _central(ref, x, t), rtol=1e-7, atol=1e-9)


def test_complex_jvps_are_holomorphic_or_follow_pytorch():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4)) + 1j * rng.standard_normal((2, 4))
    t = rng.standard_normal((2, 4)) + 1j * rng.standard_normal((2, 4))
    # logsumexp is holomorphic: J t, no conjugate.
    _, tout = jvp(lambda v: lm.logsumexp(v, 1), (T(x),), (T(t),))
    ref = _central(lambda a: np.log(np.exp(a).sum(1)), x, t)
    np.testing.assert_allclose(tout.numpy(), ref, rtol=1e-7)
    # var and norm map to reals: Re(conj(d f / d conj(x)) t) summed, the real directional
    # derivative.
    for fn, ref_fn in [(lambda v: lm.var(v, 1), lambda a: np.var(a, 1, ddof=1)),
                       (lambda v: lm.norm(v, 3, dim=1),
                        lambda a: (np.abs(a) ** 3).sum(1) ** (1 / 3)),
                       (lambda v: lm.norm(v, 1, dim=0), lambda a: np.abs(a).sum(0))]:
        _, tout = jvp(fn, (T(x),), (T(t),))
        assert tout.dtype == lm.float64
        np.testing.assert_allclose(tout.numpy(), _central(ref_fn, x, t), rtol=1e-7)


def test_extrema_jvp_at_ties_and_nan():
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, np.nan, 5.0, 1.0]])
    t = np.array([[1.0, 2.0, 6.0, 8.0], [1.0, 1.0, 1.0, 1.0]])
    # amax reads its ties evenly (amaxamin_jvp); a NaN maximum has no tie: nan.
    _, tout = jvp(lambda v: lm.amax(v, 1), (T(x),), (T(t),))
    np.testing.assert_array_equal(tout.numpy(), [4.0, np.nan])
    # max(dim) reads the tangent at the index it returns.
    (values, indices), tout = jvp(lambda v: tuple(lm.max(v, 1)), (T(x),), (T(t),))
    np.testing.assert_array_equal(tout[0].numpy(), t[[0, 1], indices.numpy()])
    # median() without a dim reads its ties evenly, as evenly_read_jvp does.
    y = np.array([4.0, 2.0, 2.0, 9.0, 1.0])
    _, tout = jvp(lm.median, (T(y),), (T(np.array([0.0, 1.0, 3.0, 5.0, 7.0])),))
    assert tout.item() == 2.0


def test_logcumsumexp_jvp_far_below_the_maximum():
    # Each prefix's softmax weights: a shift by the whole row's maximum would make the first
    # prefix 0 / 0.
    x = np.array([-1000.0, -999.0, 0.0, 2.0])
    t = np.array([1.0, -2.0, 0.5, 3.0])
    _, tout = jvp(lambda v: lm.logcumsumexp(v, 0), (T(x),), (T(t),))
    want = [np.dot(np.exp(x[:i + 1] - np.logaddexp.reduce(x[:i + 1])), t[:i + 1])
            for i in range(4)]
    np.testing.assert_allclose(tout.numpy(), want, rtol=1e-12)


# -- composed transforms --------------------------------------------------------------------------

COMPOSED = [
    ("prod-zeros", lambda v: lm.prod(v, 1).sum()),
    ("prod-all", lambda v: lm.prod(v)),
    ("cumprod-zeros", lambda v: lm.cumprod(v, 1).sum()),
    # cumsum weighs the positions differently, so that a wrong order would show.
    ("sort", lambda v: lm.cumsum(lm.sort(v, 1).values, 1).sum()),
    ("topk", lambda v: lm.cumsum(lm.topk(v, 2, dim=0).values, 0).sum()),
    ("max-dim", lambda v: lm.max(v, 1).values.sum()),
    ("median", lambda v: lm.median(v)),
    ("kthvalue", lambda v: lm.kthvalue(v, 2, 1).values.sum()),
    ("cummax", lambda v: lm.cumsum(lm.cummax(v, 1).values, 1).sum()),
    ("amin", lambda v: lm.amin(v, 0).sum()),
    ("norm", lambda v: lm.norm(v, 1.5, dim=1).sum()),
    ("var", lambda v: lm.var(v, 1).sum()),
    ("logsumexp", lambda v: lm.logsumexp(v, 1).sum()),
    ("logcumsumexp", lambda v: lm.logcumsumexp(v, 1).sum()),
    ("nansum", lambda v: lm.nansum(v, 0).sum()),
]


def _batch():
    x = np.random.default_rng(4).permutation(36).reshape(3, 3, 4) / 5.0 - 3.5
    x[0, 1, 2] = x[1, 0, 0] = x[1, 0, 3] = 0
    return x


@OTHER_LOOPS
@pytest.mark.parametrize("name,fn", COMPOSED, ids=[n for n, _ in COMPOSED])
def test_vmap_of_grad_matches_a_loop(name, fn):
    x = _batch()
    got = vmap(grad(fn))(T(x))
    want = np.stack([grad(fn)(T(x[b])).numpy() for b in range(3)])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


@OTHER_LOOPS
@pytest.mark.parametrize("name,fn", COMPOSED, ids=[n for n, _ in COMPOSED])
def test_grad_of_vmap_matches_a_loop(name, fn):
    # The batch rules' physical calls (flattened dims, shifted axes) are what the tape records.
    x = T(_batch()).requires_grad_()
    vmap(fn)(x).sum().backward()
    want = np.stack([grad(fn)(T(_batch()[b])).numpy() for b in range(3)])
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12, atol=1e-12)


@OTHER_LOOPS
@pytest.mark.parametrize("name,fn", COMPOSED, ids=[n for n, _ in COMPOSED])
def test_jacfwd_matches_jacrev(name, fn):
    x = T(_batch()[1])
    np.testing.assert_allclose(jacfwd(fn)(x).numpy(), jacrev(fn)(x).numpy(), rtol=1e-10,
                               atol=1e-12)


@OTHER_LOOPS
def test_hessian_of_prod_through_a_zero():
    # d^2 prod / dx_i dx_j is the product of the others but i and j: nonzero where a zero is one
    # of i, j, which a derivative that only divides by x would miss.
    x = np.array([2.0, 0.0, 3.0, -1.5])
    want = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            if i != j:
                want[i, j] = np.prod(np.delete(x, [i, j]))
    np.testing.assert_allclose(hessian(lm.prod)(T(x)).numpy(), want, atol=1e-12)
