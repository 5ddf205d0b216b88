"""In-place writes and random ops under lamina.func's transforms (vmap, jvp, grad): values
against a loop, NumPy or finite differences; torch.func's refusals with their messages."""

import numpy as np
import pytest

import lamina as lm
from lamina.func import grad, jacfwd, jacrev, jvp, vmap

RNG = np.random.default_rng(0)


def _t(*shape):
    return lm.tensor(RNG.standard_normal(shape))


def _close(a, b, tol=1e-10):
    np.testing.assert_allclose(np.asarray(a.numpy() if hasattr(a, "numpy") else a),
                               np.asarray(b), rtol=tol, atol=tol)


# -- vmap -----------------------------------------------------------------------------------------

def test_vmap_inplace_arithmetic_writes_the_physical_storage():
    x = _t(4, 3)
    before = x.numpy().copy()
    out = vmap(lambda a: a.mul_(2).add_(1))(x)
    _close(x, 2 * before + 1)
    _close(out, 2 * before + 1)


@pytest.mark.parametrize("dims", [(0, 0), (1, 0), (1, None), (0, 1)])
def test_vmap_copy_mapped_dims_anywhere(dims):
    x, y = lm.zeros(4, 3, dtype=lm.float64), _t(4, 3)
    x = x if dims[0] == 0 else x.t().contiguous()
    yy = y if dims[1] in (0, None) else y.t().contiguous()
    src = yy if dims[1] is not None else y[0]
    vmap(lambda a, b: a.copy_(b), in_dims=dims)(x, src)
    want = y.numpy() if dims[1] is not None else np.broadcast_to(y[0].numpy(), (4, 3))
    _close(x if dims[0] == 0 else x.t(), want)


def test_vmap_copy_broadcasts_lower_rank_source_with_batch_in_the_middle():
    x = lm.zeros(2, 5, 3, dtype=lm.float64)  # logical (2, 3) with the batch (5) in the middle
    c = _t(3, 5)                   # logical (3,) with the batch last
    vmap(lambda a, b: a.copy_(b), in_dims=(1, 1))(x, c)
    _close(x, np.broadcast_to(c.numpy().T[None], (2, 5, 3)))


def test_vmap_setitem_into_a_view_reaches_the_storage():
    x = lm.zeros(3, 4, dtype=lm.float64)
    v = _t(3)

    def f(a, b):
        a[1] = b * 2
        a[2:].fill_(7)
        return a

    vmap(f)(x, v)
    want = np.zeros((3, 4))
    want[:, 1] = 2 * v.numpy()
    want[:, 2:] = 7
    _close(x, want)


def test_vmap_integer_target_and_out():
    x = lm.zeros(3, 2, dtype=lm.int64)
    vmap(lambda a, b: a.add_(b))(x, lm.arange(6).reshape(3, 2))
    _close(x, np.arange(6).reshape(3, 2))
    out = lm.zeros(3, 2)
    vmap(lambda a, o: lm.sin(a, out=o))(_t(3, 2).abs(), out)
    assert np.all(out.numpy() > 0)


def test_vmap_refuses_a_mapped_value_written_into_an_unmapped_target():
    msg = "vmap: inplace arithmetic\\(self, \\*extra_args\\) is not possible"
    with pytest.raises(RuntimeError, match=msg):
        vmap(lambda a, b: a.add_(b), in_dims=(None, 0))(lm.zeros(3), lm.ones(2, 3))
    with pytest.raises(RuntimeError, match=msg):
        vmap(lambda b: lm.zeros(3).copy_(b))(lm.ones(2, 3))
    y = lm.zeros(3)
    with pytest.raises(RuntimeError, match=msg):
        vmap(lambda b: y.__setitem__(0, b.sum()))(lm.ones(2, 3))


def test_vmap_unmapped_value_into_mapped_target_broadcasts():
    x = lm.zeros(2, 3)
    vmap(lambda a, b: a.copy_(b), in_dims=(0, None))(x, lm.tensor([1.0, 2.0, 3.0]))
    _close(x, [[1, 2, 3], [1, 2, 3]])


# -- jvp ------------------------------------------------------------------------------------------

def test_jvp_inplace_writes_primal_and_tangent():
    def f(x):
        y = x * 1
        y.mul_(x)             # y = x**2
        y[0] = y[1] * 3       # a write into a view
        return y

    x, t = _t(3), _t(3)
    p, tan = jvp(f, (x,), (t,))
    xn, tn = x.numpy(), t.numpy()
    _close(p, [3 * xn[1] ** 2, xn[1] ** 2, xn[2] ** 2])
    _close(tan, [6 * xn[1] * tn[1], 2 * xn[1] * tn[1], 2 * xn[2] * tn[2]])


def test_jvp_constant_write_gives_zero_tangent():
    def f(x):
        y = x * 2
        y[0] = 5.0
        y[1:].zero_()
        return y + x

    _, tan = jvp(f, (_t(3),), (lm.ones(3),))
    _close(tan, [1.0, 1.0, 1.0])


def test_jvp_inplace_on_input_mutates_primal_and_tangent_as_pytorch():
    x, t = lm.tensor([1.0, 2.0]), lm.ones(2)
    jvp(lambda a: a.mul_(2), (x,), (t,))
    _close(x, [2.0, 4.0])
    _close(t, [2.0, 2.0])


def test_jvp_refuses_a_dual_written_into_a_plain_tensor():
    with pytest.raises(RuntimeError, match="jvp: an in-place operation wrote a value"):
        jvp(lambda a: lm.zeros(2).copy_(a), (lm.ones(2),), (lm.ones(2),))


def test_jvp_of_inplace_matches_finite_differences_complex():
    def f(z):
        w = z * 1
        w.mul_(z).add_(z)
        return w

    z = lm.tensor(RNG.standard_normal(3) + 1j * RNG.standard_normal(3))
    t = lm.tensor(RNG.standard_normal(3) + 1j * RNG.standard_normal(3))
    _, tan = jvp(f, (z,), (t,))
    _close(tan, (2 * z.numpy() + 1) * t.numpy())


# -- grad / jacobians -----------------------------------------------------------------------------

def _h(x):
    y = x * 1
    y.add_(1)
    y[0] = y[1] * 3
    return (y * y).sum()


def _h_grad(x):
    x = np.asarray(x)
    y1 = x[1] + 1
    return np.array([0.0, 2 * 3 * 3 * y1 + 2 * y1, 2 * (x[2] + 1)])


def test_grad_through_inplace_and_setitem():
    x = _t(3)
    _close(grad(_h)(x), _h_grad(x.numpy()))


def test_grad_inplace_on_saved_value_keeps_the_old_value():
    def f(x):
        y = x.sin()
        y.mul_(x)   # mul saved y: the write must not corrupt what its VJP reads
        return y.sum()

    x = _t(4)
    xn = x.numpy()
    _close(grad(f)(x), np.sin(xn) + xn * np.cos(xn))


def test_grad_refusals():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used"):
        grad(lambda a: a.add_(1).sum())(lm.ones(2))
    with pytest.raises(RuntimeError, match="grad: an in-place operation wrote a value"):
        grad(lambda a: lm.zeros(2).copy_(a).sum())(lm.ones(2))


def test_vmap_of_grad_with_inplace():
    x = _t(4, 3)
    _close(vmap(grad(_h))(x), np.stack([_h_grad(r) for r in x.numpy()]))


def test_jacfwd_and_jacrev_of_inplace_agree_with_the_formula():
    def f(x):
        y = x * 1
        y.mul_(x)
        y[0] = y[2]
        return y

    x = _t(3)
    xn = x.numpy()
    want = np.diag(2 * xn)
    want[0] = [0, 0, 2 * xn[2]]
    _close(jacfwd(f)(x), want)
    _close(jacrev(f)(x), want)


def test_eager_writes_unchanged():
    x = lm.ones(3, requires_grad=True)
    y = x * 2
    y[0] = 7.0
    y.sum().backward()
    _close(x.grad, [0.0, 2.0, 2.0])


# -- randomness -----------------------------------------------------------------------------------

RANDOM_OPS = {
    "rand": lambda b: lm.rand(2),
    "randn": lambda b: lm.randn(2),
    "randint": lambda b: lm.randint(0, 1000, (2,)),
    "normal": lambda b: lm.normal(0.0, 1.0, (2,)),
    "rand_like": lambda b: lm.rand_like(b),
    "randn_like": lambda b: lm.randn_like(b),
    "randint_like": lambda b: lm.randint_like(b, 1000),
    "randperm": lambda b: lm.randperm(6)[:2],
    "bernoulli_p": lambda b: lm.bernoulli(lm.ones(2), 0.5),  # a mapped input: test_func_random
    "uniform_": lambda b: b.clone().uniform_(),
    "normal_": lambda b: b.clone().normal_(),
    "random_": lambda b: b.clone().random_(0, 1000),
    "exponential_": lambda b: b.clone().exponential_(),
    "bernoulli_": lambda b: b.clone().bernoulli_(0.5),
}


@pytest.mark.parametrize("name", sorted(RANDOM_OPS))
def test_randomness_error(name):
    with pytest.raises(RuntimeError, match="vmap: called random operation while in randomness "
                                           "error mode"):
        vmap(RANDOM_OPS[name])(lm.ones(8, 2))


@pytest.mark.parametrize("name", sorted(RANDOM_OPS))
def test_randomness_same_is_equal_across_the_batch(name):
    out = vmap(RANDOM_OPS[name], randomness="same")(lm.ones(8, 2)).numpy()
    assert out.shape == (8, 2)
    assert (out == out[:1]).all()


@pytest.mark.parametrize("name", sorted(RANDOM_OPS))
def test_randomness_different_draws_independently(name):
    out = vmap(RANDOM_OPS[name], randomness="different")(lm.ones(64, 2)).numpy()
    assert out.shape == (64, 2)
    # 64 rows of independent draws: far from all equal (bernoulli rows agree w.p. 1/4 each)
    assert len({tuple(r) for r in out}) > 3


def test_randomness_different_statistics_and_nesting():
    lm.manual_seed(0)
    out = vmap(lambda b: lm.rand(1000), randomness="different")(lm.ones(4)).numpy()
    corr = np.corrcoef(out)
    assert np.abs(corr[np.triu_indices(4, 1)]).max() < 0.15  # independent rows
    assert abs(out.mean() - 0.5) < 0.03
    inner = vmap(lambda c: lm.randn(3), randomness="different")
    out = vmap(lambda b: inner(lm.ones(5)), randomness="same")(lm.ones(2)).numpy()
    assert out.shape == (2, 5, 3)
    assert (out[0] == out[1]).all() and len({tuple(r) for r in out[0]}) == 5


def test_randomness_bernoulli_with_mapped_probabilities():
    p = lm.tensor([[0.0, 1.0]] * 4)
    out = vmap(lambda q: lm.bernoulli(q), randomness="different")(p)
    _close(out, p.numpy())
    with pytest.raises(RuntimeError, match="Vmap does not currently support same randomness"):
        vmap(lambda q: lm.bernoulli(q), randomness="same")(p)


def test_randomness_different_inplace_into_unmapped_tensor():
    with pytest.raises(RuntimeError, match="vmap: Cannot ask for different inplace randomness"):
        vmap(lambda b: lm.zeros(2).uniform_(), randomness="different")(lm.ones(3, 2))
    out = vmap(lambda b: lm.zeros(2).uniform_(), randomness="same")(lm.ones(3, 2))
    assert out.shape == (3, 2)
