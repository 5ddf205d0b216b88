"""Generic autograd sweep over the op table: gradcheck (and gradgradcheck where flagged) on every
differentiable op's small samples, in float64 and complex128, against finite differences."""

import numpy as np
import pytest

import lamina as lm
from opdb import ALL_OPS, arrays_in

MAX_SIZE = 24      # elements per array argument: gradcheck costs one backward per output element
MAX_SAMPLES = 4    # per op and dtype


def _cases(flag):
    for info in ALL_OPS:
        if not getattr(info, flag):
            continue
        for dtype in ("float64", "complex128"):
            if dtype in info.dtypes:
                reason = info.skips.get(dtype)
                marks = [pytest.mark.skip(reason=reason)] if reason else []
                yield pytest.param(info, dtype, id=f"{info.name}-{dtype}", marks=marks)


def _small(sample):
    arrays = list(arrays_in(sample.args)) + list(arrays_in(tuple(sample.kwargs.values())))
    return all(a.size <= MAX_SIZE and (a.dtype.kind not in "fc" or np.isfinite(a).all())
               for a in arrays)


def _samples(info, dtype):
    rng = np.random.default_rng(0)
    make = info.grad_samples or info.samples
    picked = [s for s in make(dtype, rng) if _small(s)][:MAX_SAMPLES]
    assert picked, f"{info.name}: no sample small enough for gradcheck"
    return picked


def _differentiable(sample):
    """The sample's call as a function of its floating arrays (made leaves that require grad)."""
    leaves = []

    def convert(x):
        if isinstance(x, np.ndarray):
            t = lm.from_numpy(x.copy())
            if x.dtype.kind in "fc":
                t.requires_grad_()
                leaves.append(t)
            return t
        if isinstance(x, (list, tuple)) and any(isinstance(e, np.ndarray) for e in x):
            return type(x)(convert(e) for e in x)
        return x

    args = convert(sample.args)
    kwargs = {k: convert(v) for k, v in sample.kwargs.items()}
    return args, kwargs, leaves


def _substitute(x, table):
    if isinstance(x, lm.Tensor):
        return table.get(id(x), x)
    if isinstance(x, (list, tuple)):
        return type(x)(_substitute(e, table) for e in x)
    return x


def _as_function(info, sample):
    args, kwargs, leaves = _differentiable(sample)
    ids = [id(t) for t in leaves]

    def fn(*values):
        table = dict(zip(ids, values))
        return info.op(*_substitute(args, table),
                       **{k: _substitute(v, table) for k, v in kwargs.items()})
    return fn, leaves


@pytest.mark.parametrize("info,dtype", _cases("grad"))
def test_gradcheck(info, dtype):
    for sample in _samples(info, dtype):
        fn, leaves = _as_function(info, sample)
        if leaves:
            assert lm.autograd.gradcheck(fn, leaves), f"{info.name}[{sample.name}]"


@pytest.mark.parametrize("info,dtype", _cases("gradgrad"))
def test_gradgradcheck(info, dtype):
    for sample in _samples(info, dtype)[:2]:
        fn, leaves = _as_function(info, sample)
        if leaves:
            assert lm.autograd.gradgradcheck(fn, leaves), f"{info.name}[{sample.name}]"


@pytest.mark.parametrize("info,dtype", _cases("fwgrad"))
def test_jvp_matches_finite_differences_and_vjp(info, dtype):
    """Forward mode against central differences along a random tangent, and <ct, J t> against
    <J^T ct, t> from reverse mode (which gradcheck validates on its own)."""
    rng = np.random.default_rng(1)
    for sample in _samples(info, dtype):
        fn, leaves = _as_function(info, sample)
        if not leaves:
            continue
        primals = tuple(x.detach() for x in leaves)
        if not _float_outputs(fn(*[p.clone() for p in primals])):
            continue  # an integer result (Tensor.type): jvp, as torch.func's, refuses no output
        tangents = tuple(lm.from_numpy(_random_like(x._data, rng)) for x in primals)
        out, tout = lm.func.jvp(lambda *xs, fn=fn: _float_outputs(fn(*xs)), primals, tangents)
        eps = 1e-6
        # The shifted inputs require grad, as the duals are differentiated: an op that reads one
        # triangle of an input is then projected (projected_for_grad) in both evaluations.
        plus = _float_outputs(fn(*[(p + eps * t).requires_grad_()
                                   for p, t in zip(primals, tangents)]))
        minus = _float_outputs(fn(*[(p - eps * t).requires_grad_()
                                    for p, t in zip(primals, tangents)]))
        for to, a, b in zip(tout, plus, minus):
            fd = (a.detach().numpy() - b.detach().numpy()) / (2 * eps)
            np.testing.assert_allclose(to.numpy(), fd, rtol=1e-4, atol=1e-6,
                                       err_msg=f"{info.name}[{sample.name}]")
        cts = [lm.from_numpy(_random_like(o._data, rng)) for o in out]
        live = fn(*leaves)
        live = [o for o in _float_outputs(live) if o.requires_grad]
        if len(live) != len(out):
            continue
        gs = lm.autograd.grad(live, leaves, cts, allow_unused=True, materialize_grads=True)
        lhs = sum(np.vdot(c.numpy(), t.numpy()) for c, t in zip(cts, tout))
        rhs = sum(np.vdot(g.numpy(), t.numpy()) for g, t in zip(gs, tangents))
        np.testing.assert_allclose(np.real(lhs), np.real(rhs), rtol=1e-8, atol=1e-10)


def _float_outputs(out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return tuple(o for o in outs if isinstance(o, lm.Tensor) and o.dtype.is_floating_point
                 or isinstance(o, lm.Tensor) and o.dtype.is_complex)


def _random_like(a, rng):
    t = rng.standard_normal(a.shape)
    if a.dtype.kind == "c":
        t = t + 1j * rng.standard_normal(a.shape)
    return np.asarray(t).astype(a.dtype)  # a 0-dim array plus a scalar is a scalar


def _first_leaf_function(info, sample):
    """The op as a function of its first floating argument alone (the others fixed), returning
    its floating outputs: what jacfwd, jacrev and hessian take."""
    fn, leaves = _as_function(info, sample)
    if not leaves or leaves[0].numel() > 12:
        return None, None
    rest = [x.detach() for x in leaves[1:]]
    return (lambda x: _float_outputs(fn(x, *rest))), leaves[0].detach()


def _small_function(info, dtype):
    """The first-argument function of the op's first sample whose argument has 2..12 elements
    (else 1), or skip."""
    found = None
    for sample in _samples(info, dtype):
        f, x = _first_leaf_function(info, sample)
        if f is not None and (found is None or x.numel() > 1 >= found[1].numel()):
            found = (f, x, sample)
    if found is None:
        pytest.skip("no floating argument small enough")
    return found


@pytest.mark.parametrize("info,dtype", [c for c in _cases("fwgrad") if "float64" in c.id])
def test_jacfwd_matches_jacrev(info, dtype):
    f, x, sample = _small_function(info, dtype)
    complex_at = [i for i, o in enumerate(f(x)) if o.is_complex()]
    if complex_at:  # a complex output has no single real Jacobian: both refuse, as torch.func's
        for name, jac in (("jacfwd", lm.func.jacfwd), ("jacrev", lm.func.jacrev)):
            with pytest.raises(RuntimeError, match=f"{name}: Expected all outputs to be real but "
                               f"received complex tensor at flattened input idx: {complex_at[0]}"):
                jac(f)(x)
        return
    for a, b in zip(lm.func.jacfwd(f)(x), lm.func.jacrev(f)(x)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=f"{info.name}[{sample.name}]")


@pytest.mark.parametrize("info,dtype", [c for c in _cases("fwgrad")
                                        if "float64" in c.id and c.values[0].gradgrad])
def test_hessian_is_symmetric(info, dtype):
    f, x, sample = _small_function(info, dtype)

    def scalar(x):
        return sum((o.real if o.is_complex() else o).sum() for o in f(x))

    h = lm.func.hessian(scalar)(x).numpy().reshape(x.numel(), x.numel())
    np.testing.assert_allclose(h, h.T, rtol=1e-7, atol=1e-9, err_msg=f"{info.name}[{sample.name}]")
