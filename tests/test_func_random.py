"""vmap of random ops whose parameters are tensors (normal, bernoulli, bernoulli_, multinomial):
torch.func maps them under randomness="different" (independent draws per batch element), refuses
mapped parameters under "same" and every random op under "error". Checked by statistics of many
draws against the mapped parameters, never against another lamina path."""

import numpy as np
import pytest

import lamina as lm
from lamina.func import vmap

ERROR = "vmap: called random operation while in randomness error mode"
SAME = "Vmap does not currently support same randomness with a batched tensor input"
INPLACE = r"vmap: inplace bernoulli\(self, \*extra_args\) is not possible"

MAPPED_OPS = {
    "normal_tensor_tensor": lambda p: lm.normal(p, p),
    "normal_tensor_float": lambda p: lm.normal(p, 1.0),
    "normal_float_tensor": lambda p: lm.normal(0.0, p),
    "bernoulli": lambda p: lm.bernoulli(p),
    "bernoulli_float_p": lambda p: lm.bernoulli(p, 0.5),
    "bernoulli_": lambda p: p.clone().bernoulli_(p),
    "multinomial": lambda p: lm.multinomial(p, 2, replacement=True),
    "multinomial_no_replacement": lambda p: lm.multinomial(p, 2),
}


@pytest.mark.parametrize("name", sorted(MAPPED_OPS))
def test_mapped_parameters_under_error_and_same(name):
    p = lm.full((4, 3), 0.5)
    with pytest.raises(RuntimeError, match=ERROR):
        vmap(MAPPED_OPS[name])(p)
    with pytest.raises(RuntimeError, match=SAME):
        vmap(MAPPED_OPS[name], randomness="same")(p)


@pytest.mark.parametrize("name", sorted(MAPPED_OPS))
def test_mapped_parameters_draw_differently(name):
    out = vmap(MAPPED_OPS[name], randomness="different")(lm.full((64, 3), 0.5)).numpy()
    assert out.shape[0] == 64
    assert len({tuple(r) for r in out}) > 3  # 64 rows of independent draws


def test_normal_follows_mapped_mean_and_std():
    lm.manual_seed(0)
    mu, sigma = np.array([-3.0, 0.0, 2.0, 10.0]), np.array([0.5, 1.0, 2.0, 0.1])
    m = lm.tensor(np.repeat(mu[:, None], 4000, 1))
    s = lm.tensor(np.repeat(sigma[:, None], 4000, 1))
    for f, want_mu, want_sigma in [(lambda a, b: lm.normal(a, b), mu, sigma),
                                   (lambda a, b: lm.normal(a, 2.0), mu, [2.0] * 4),
                                   (lambda a, b: lm.normal(1.0, b), [1.0] * 4, sigma)]:
        out = vmap(f, randomness="different")(m, s)
        assert out.shape == (4, 4000) and out.dtype == lm.float64
        x = out.numpy()
        np.testing.assert_allclose(x.mean(1), want_mu, atol=0.1)
        np.testing.assert_allclose(x.std(1), want_sigma, rtol=0.06)


def test_normal_mapped_at_another_dim_and_broadcast():
    m = lm.tensor([[0.0, 100.0, 200.0]] * 2)                   # mapped along dim 1
    out = vmap(lambda a: lm.normal(a, lm.full((5, 1), 1e-3)), in_dims=1,
               randomness="different")(m)
    assert out.shape == (3, 5, 2)
    np.testing.assert_allclose(out.numpy(), np.broadcast_to([[[0.0]], [[100.0]], [[200.0]]],
                                                            (3, 5, 2)), atol=0.05)


def test_normal_unmapped_parameters_inside_vmap():
    # tensor parameters that no level maps draw like any random op: one draw under "same"
    out = vmap(lambda b: lm.normal(lm.zeros(3), 1.0), randomness="same")(lm.ones(5)).numpy()
    assert out.shape == (5, 3) and (out == out[:1]).all()
    out = vmap(lambda b: lm.normal(lm.zeros(3), 1.0), randomness="different")(lm.ones(5))
    assert len({tuple(r) for r in out.numpy()}) == 5


def test_normal_mapped_checks_every_element():
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        vmap(lambda s: lm.normal(0.0, s), randomness="different")(lm.tensor([1.0, -1.0]))
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        vmap(lambda m: lm.normal(m, -1.0), randomness="different")(lm.zeros(2))


def test_bernoulli_follows_mapped_probabilities():
    lm.manual_seed(0)
    probs = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    p = lm.tensor(np.repeat(probs[:, None], 4000, 1))
    out = vmap(lm.bernoulli, randomness="different")(p)
    np.testing.assert_allclose(out.numpy().mean(1), probs, atol=0.03)
    assert out.numpy()[0].max() == 0 and out.numpy()[-1].min() == 1
    t = lm.zeros(5, 4000, dtype=lm.float64)
    out = vmap(lambda a, q: a.bernoulli_(q), randomness="different")(t, p)
    np.testing.assert_allclose(t.numpy().mean(1), probs, atol=0.03)  # written in place
    assert out.shape == (5, 4000)


def test_bernoulli_inplace_broadcasts_a_mapped_probability():
    t = lm.zeros(4, 3)
    vmap(lambda a, q: a.bernoulli_(q), randomness="different")(t, lm.tensor([0.0, 1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(t.numpy(), [[0] * 3, [1] * 3, [0] * 3, [1] * 3])


def test_bernoulli_inplace_into_an_unmapped_tensor():
    p = lm.full((4, 3), 0.5)
    with pytest.raises(RuntimeError, match=INPLACE):
        vmap(lambda q: lm.zeros(3).bernoulli_(q), randomness="different")(p)
    with pytest.raises(RuntimeError, match=SAME):
        vmap(lambda q: lm.zeros(3).bernoulli_(q), randomness="same")(p)
    with pytest.raises(RuntimeError, match=ERROR):
        vmap(lambda q: lm.zeros(3).bernoulli_(q))(p)


def test_bernoulli_mapped_checks_every_element():
    with pytest.raises(RuntimeError, match=r"Expected p_in >= 0 && p_in <= 1"):
        vmap(lm.bernoulli, randomness="different")(lm.tensor([0.5, 2.0]))


def test_multinomial_with_replacement_follows_mapped_weights():
    lm.manual_seed(0)
    w = np.array([[1.0, 1.0, 2.0], [0.0, 3.0, 1.0], [5.0, 0.0, 0.0]])
    out = vmap(lambda p: lm.multinomial(p, 6000, replacement=True),
               randomness="different")(lm.tensor(w))
    assert out.shape == (3, 6000) and out.dtype == lm.int64
    freq = np.stack([np.bincount(r, minlength=3) for r in out.numpy()]) / 6000
    np.testing.assert_allclose(freq, w / w.sum(1, keepdims=True), atol=0.03)


def test_multinomial_without_replacement_never_repeats():
    lm.manual_seed(0)
    w = lm.tensor([[1.0, 2.0, 3.0, 4.0, 0.0]] * 200)
    out = vmap(lambda p: lm.multinomial(p, 4), randomness="different")(w).numpy()
    assert out.shape == (200, 4)
    assert all(sorted(r) == [0, 1, 2, 3] for r in out)  # the zero weight is never drawn
    assert len({tuple(r) for r in out}) > 10
    # the first draw is category k with probability w_k / sum(w)
    np.testing.assert_allclose(np.bincount(out[:, 0], minlength=4) / 200, [0.1, 0.2, 0.3, 0.4],
                               atol=0.1)


def test_multinomial_of_mapped_matrices_and_nesting():
    w = lm.ones(3, 2, 5)
    out = vmap(lambda p: lm.multinomial(p, 5), randomness="different")(w).numpy()
    assert out.shape == (3, 2, 5)
    assert all(sorted(r) == list(range(5)) for r in out.reshape(6, 5))
    # an outer "different" level that does not map the weights still draws per element
    inner = vmap(lambda p: lm.multinomial(p, 5), randomness="different")
    out = vmap(lambda b: inner(lm.ones(2, 5)), randomness="different")(lm.ones(8)).numpy()
    assert out.shape == (8, 2, 5) and len({tuple(r.ravel()) for r in out}) > 1


def test_multinomial_mapped_checks_every_element():
    with pytest.raises(RuntimeError, match="probability tensor contains either"):
        vmap(lambda p: lm.multinomial(p, 1), randomness="different")(
            lm.tensor([[1.0, 1.0], [-1.0, 1.0]]))
    with pytest.raises(RuntimeError, match=r"invalid multinomial distribution"):
        vmap(lambda p: lm.multinomial(p, 1), randomness="different")(
            lm.tensor([[1.0, 1.0], [0.0, 0.0]]))
