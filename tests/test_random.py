"""The random constructors, in-place initialisers and lamina.Generator.

Streams are NumPy's (PCG64), not PyTorch's, so values are checked by their properties: the same
seed gives the same numbers, ranges hold, and moments of large samples are right (tolerances are
several standard errors wide, and the seeds are fixed, so the tests are deterministic).
"""

import numpy as np
import pytest

import lamina as lm

N = 200_000


def _gen(seed=0):
    return lm.Generator().manual_seed(seed)


DRAWS = {
    "rand": lambda g: lm.rand(5, generator=g),
    "randn": lambda g: lm.randn(2, 3, generator=g, dtype=lm.complex128),
    "randint": lambda g: lm.randint(3, 9, (7,), generator=g),
    "randperm": lambda g: lm.randperm(9, generator=g),
    "normal": lambda g: lm.normal(lm.zeros(4), lm.ones(4), generator=g),
    "bernoulli": lambda g: lm.bernoulli(lm.full((8,), 0.5), generator=g),
    "multinomial": lambda g: lm.multinomial(lm.ones(6), 3, generator=g),
    "rand_like": lambda g: lm.rand_like(lm.zeros(3), generator=g),
    "uniform_": lambda g: lm.zeros(4).uniform_(-2, 2, generator=g),
    "random_": lambda g: lm.zeros(4, dtype=lm.int32).random_(generator=g),
    "exponential_": lambda g: lm.zeros(4).exponential_(generator=g),
}


@pytest.mark.parametrize("name", list(DRAWS))
def test_same_seed_same_numbers(name):
    draw = DRAWS[name]
    a, b, c = draw(_gen(5)), draw(_gen(5)), draw(_gen(6))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), c.numpy()) or name == "bernoulli"


def test_default_generator_seeding():
    assert lm.manual_seed(3) is lm.default_generator
    assert lm.initial_seed() == 3
    a = lm.rand(4)
    lm.manual_seed(3)
    np.testing.assert_array_equal(a.numpy(), lm.rand(4).numpy())
    s = lm.seed()
    assert lm.initial_seed() == s and 0 <= s < 2**64
    assert lm.manual_seed(-1).initial_seed() == 2**64 - 1  # negative seeds wrap, as in PyTorch


def test_state_round_trip():
    g = _gen(11)
    state = g.get_state()
    assert state.dtype == lm.uint8 and state.dim() == 1
    lm.randn(3, generator=g)   # leave a buffered half-draw behind too
    g.set_state(state)
    a = lm.rand(5, generator=g)
    g.set_state(state)
    np.testing.assert_array_equal(a.numpy(), lm.rand(5, generator=g).numpy())
    assert g.initial_seed() == 11

    saved = lm.get_rng_state()
    a = lm.randint(0, 1000, (6,))
    lm.set_rng_state(saved)
    np.testing.assert_array_equal(a.numpy(), lm.randint(0, 1000, (6,)).numpy())


def test_generator_errors():
    assert lm.Generator().initial_seed() == 67280421310721
    assert lm.Generator("cpu").device == lm.device("cpu")
    with pytest.raises(RuntimeError, match="no CUDA backend"):
        lm.Generator(device="cuda")
    g = lm.Generator()
    with pytest.raises(RuntimeError, match="manual_seed expected a long, but got float"):
        g.manual_seed(1.5)
    with pytest.raises(ValueError, match="Overflow"):
        g.manual_seed(2**64)
    with pytest.raises(TypeError, match="RNG state must be a lamina.ByteTensor"):
        g.set_state(lm.zeros(3))
    with pytest.raises(TypeError, match="expected a lamina.ByteTensor, but got list"):
        lm.set_rng_state([1, 2])
    with pytest.raises(RuntimeError, match="input RNG state size to be 3"):
        g.set_state(lm.zeros(3, dtype=lm.uint8))
    with pytest.raises(TypeError, match="lamina.Generator"):
        lm.rand(2, generator=3)


# -- dtypes and ranges ----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex64", "complex128"])
def test_rand_dtypes_and_range(dtype):
    d = getattr(lm, dtype)
    x = lm.rand(N // 10, dtype=d, generator=_gen()).numpy()
    assert x.dtype == np.dtype(dtype)
    parts = x.view(x.real.dtype) if x.dtype.kind == "c" else x
    assert parts.min() >= 0 and parts.max() < 1
    assert abs(parts.mean() - 0.5) < 0.01
    y = lm.randn(N // 10, dtype=d, generator=_gen()).numpy()
    assert y.dtype == np.dtype(dtype)
    assert abs(np.mean(np.abs(y) ** 2) - 1) < 0.03   # total variance 1, complex included


def test_float32_is_drawn_in_float32():
    # NumPy's float32 draw is 24 random bits times 2**-24; a float64 draw rounded to float32
    # would leave values below 1/2 off that grid.
    x = lm.rand(10_000, generator=_gen()).numpy().astype(np.float64)
    assert np.all(x * 2**24 == np.floor(x * 2**24))


def test_float16_rand_never_reaches_one():
    x = lm.rand(N, dtype=lm.float16, generator=_gen()).numpy()
    assert x.max() < 1


@pytest.mark.parametrize("fn, kernel", [(lm.rand, "check_uniform_bounds"),
                                        (lm.randn, "normal_kernel_cpu")])
def test_float_only(fn, kernel):
    with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Long\''):
        fn(3, dtype=lm.int64)
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        getattr(lm, fn.__name__ + "_like")(lm.zeros(2, dtype=lm.int64))


def test_randint():
    x = lm.randint(-3, 4, (N // 10,), generator=_gen())
    assert x.dtype == lm.int64
    assert set(np.unique(x.numpy())) == set(range(-3, 4))
    assert lm.randint(5, (2, 3)).shape == (2, 3)
    assert lm.randint(high=3, size=(2,)).shape == (2,)
    assert lm.randint(2, 5, (3,), dtype=lm.float32).dtype == lm.float32
    assert lm.randint(0, 2, (3,), dtype=lm.bool).dtype == lm.bool
    y = lm.randint_like(lm.zeros(4, dtype=lm.int8), 2, 5)
    assert y.dtype == lm.int8 and y.numpy().min() >= 2 and y.numpy().max() < 5
    assert lm.randint_like(lm.zeros(4), 5).dtype == lm.float32
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got "
                                           "from=5 >= to=5"):
        lm.randint(5, 5, (3,))
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for unsigned char"):
        lm.randint(0, 300, (3,), dtype=lm.uint8)
    with pytest.raises(RuntimeError, match="from is out of bounds for signed char"):
        lm.randint(-200, 2, (3,), dtype=lm.int8)
    with pytest.raises(RuntimeError, match="check_random_bounds handles only"):
        lm.randint(0, 3, (3,), dtype=lm.complex64)
    with pytest.raises(TypeError, match="must be int, not float"):
        lm.randint(2.5, (3,))


def test_randperm():
    p = lm.randperm(1000, generator=_gen())
    assert p.dtype == lm.int64 and sorted(p.tolist()) == list(range(1000))
    assert lm.randperm(0).shape == (0,)
    assert sorted(lm.randperm(256, dtype=lm.uint8).tolist()) == list(range(256))
    assert lm.randperm(4, dtype=lm.float32).dtype == lm.float32
    with pytest.raises(RuntimeError, match=r"negative dimension -1: \[-1\]"):
        lm.randperm(-1)
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t"):
        lm.randperm(257, dtype=lm.uint8)
    with pytest.raises(RuntimeError, match="n cannot be greater than 2049 for Half type"):
        lm.randperm(2050, dtype=lm.float16)
    with pytest.raises(NotImplementedError, match="\"randperm\" not implemented for 'Bool'"):
        lm.randperm(3, dtype=lm.bool)


# -- distributions --------------------------------------------------------------------------------

def test_normal_overloads():
    g = _gen()
    x = lm.normal(2.0, 3.0, (N,), generator=g).numpy()
    assert x.dtype == np.float32
    assert abs(x.mean() - 2) < 0.05 and abs(x.std() - 3) < 0.05
    assert lm.normal(0, 1, size=(2,), dtype=lm.float64).dtype == lm.float64
    mean = lm.from_numpy(np.linspace(-5, 5, 11))
    y = np.stack([lm.normal(mean, 0.5, generator=g).numpy() for _ in range(2000)])
    assert y.dtype == np.float64 and y.shape == (2000, 11)
    np.testing.assert_allclose(y.mean(0), mean.numpy(), atol=0.06)
    np.testing.assert_allclose(y.std(0), 0.5, atol=0.03)
    assert lm.normal(lm.zeros(3, 1), lm.ones(4)).shape == (3, 4)
    assert lm.normal(lm.zeros(2), lm.ones(2, dtype=lm.float64)).dtype == lm.float32
    assert lm.normal(1.0, lm.ones(2, dtype=lm.float64)).dtype == lm.float64
    assert lm.normal(lm.zeros(2, dtype=lm.complex64), 1.0).dtype == lm.complex64


def test_normal_errors():
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        lm.normal(0, -1, (2,))
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        lm.normal(lm.zeros(2), lm.full((2,), -1.0))
    with pytest.raises(RuntimeError, match=r"size of tensor a \(2\) must match the size of "
                                           r"tensor b \(3\)"):
        lm.normal(lm.zeros(2), lm.ones(3))
    with pytest.raises(NotImplementedError, match="\"normal_kernel_cpu\" not implemented for "
                                                  "'Long'"):
        lm.normal(lm.zeros(2, dtype=lm.int64), 1.0)
    with pytest.raises(TypeError):
        lm.normal(0, 1)


def test_bernoulli():
    p = lm.from_numpy(np.array([0.0, 0.25, 0.5, 1.0]))
    g = _gen()
    draws = np.stack([lm.bernoulli(p, generator=g).numpy() for _ in range(4000)])
    assert draws.dtype == np.float64 and set(np.unique(draws)) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.mean(0), p.numpy(), atol=0.03)
    assert lm.bernoulli(lm.zeros(5, dtype=lm.int64), 0.5).dtype == lm.int64
    assert lm.zeros(4).bernoulli(1.0).tolist() == [1.0] * 4
    with pytest.raises(RuntimeError, match="Expected p_in >= 0 && p_in <= 1 to be true"):
        lm.bernoulli(lm.tensor([0.5, 2.0]))
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\], but got "
                                           r"p=1.3"):
        lm.bernoulli(lm.zeros(2), 1.3)
    with pytest.raises(NotImplementedError, match="\"bernoulli_tensor_cpu_p_\" not implemented "
                                                  "for 'Long'"):
        lm.bernoulli(lm.tensor([1, 0]))


def test_multinomial():
    g = _gen()
    w = lm.tensor([1.0, 0.0, 3.0, 4.0])
    x = lm.multinomial(w, N // 10, replacement=True, generator=g).numpy()
    assert x.dtype == np.int64
    np.testing.assert_allclose(np.bincount(x, minlength=4) / x.size, [0.125, 0, 0.375, 0.5],
                               atol=0.01)
    rows = lm.multinomial(lm.tensor([[1.0, 1, 1, 1], [0, 0, 5, 1]]), 4, generator=g).numpy()
    assert rows.shape == (2, 4)
    assert sorted(rows[0]) == [0, 1, 2, 3]
    assert set(rows[1][:2]) == {2, 3} and set(rows[1][2:]) == {0, 1}  # zero weights come last
    first = [lm.multinomial(w, 1, generator=g).item() for _ in range(4000)]
    np.testing.assert_allclose(np.bincount(first, minlength=4) / 4000, [0.125, 0, 0.375, 0.5],
                               atol=0.03)
    assert lm.multinomial(lm.zeros(0, 3), 2).shape == (0, 2)


@pytest.mark.parametrize("args, kwargs, exc, match", [
    ((lm.tensor([0.2, 0.8]), 3), {}, RuntimeError,
     "cannot sample n_sample > prob_dist.size\\(-1\\) samples without replacement"),
    ((lm.tensor([0.2, 0.8]), 0), {}, RuntimeError, "cannot sample n_sample <= 0 samples"),
    ((lm.tensor(0.2), 1), {}, RuntimeError, "prob_dist must be 1 or 2 dim"),
    ((lm.tensor([0.2, -0.8]), 1), {}, RuntimeError, "contains either `inf`, `nan` or element < 0"),
    ((lm.tensor([0.0, 0.0]), 1), {}, RuntimeError, "sum of probabilities <= 0"),
    ((lm.tensor([0, 1]), 1), {}, RuntimeError,
     "multinomial only supports floating-point dtypes for input, got: Long"),
])
def test_multinomial_errors(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        lm.multinomial(*args, **kwargs)


# -- in-place initialisers ------------------------------------------------------------------------

def test_inplace_initialisers_write_storage():
    x = lm.zeros(N // 10)
    v = x._version
    assert x.uniform_(-2, 3, generator=_gen()) is x and x._version == v + 1
    a = x.numpy()
    assert a.min() >= -2 and a.max() < 3 and abs(a.mean() - 0.5) < 0.03
    x.normal_(1, 2, generator=_gen())
    assert abs(a.mean() - 1) < 0.05 and abs(a.std() - 2) < 0.05
    x.exponential_(4.0, generator=_gen())
    assert a.min() >= 0 and abs(a.mean() - 0.25) < 0.01
    x.bernoulli_(0.3, generator=_gen())
    assert set(np.unique(a)) == {0.0, 1.0} and abs(a.mean() - 0.3) < 0.01
    x.random_(3, 6, generator=_gen())
    assert set(np.unique(a)) == {3.0, 4.0, 5.0}
    x.random_(2)
    assert set(np.unique(a)) == {0.0, 1.0}
    assert a.dtype == np.float32


def test_random_full_ranges():
    f = lm.zeros(N // 10).random_(generator=_gen()).numpy()
    assert f.min() >= 0 and f.max() <= 2**24 and f.max() > 2**23
    b = lm.zeros(100, dtype=lm.bool).random_(generator=_gen()).numpy()
    assert set(np.unique(b)) == {False, True}
    i = lm.zeros(N // 10, dtype=lm.int8).random_(generator=_gen()).numpy()
    assert i.min() >= 0 and i.max() == 127


def test_complex_uniform_and_normal_act_on_both_parts():
    z = lm.zeros(N // 10, dtype=lm.complex64).uniform_(2, 3, generator=_gen()).numpy()
    for part in (z.real, z.imag):
        assert part.min() >= 2 and part.max() < 3
    w = lm.zeros(N // 10, dtype=lm.complex128).normal_(1.0, 2.0, generator=_gen()).numpy()
    for part in (w.real, w.imag):
        assert abs(part.mean() - 1) < 0.05 and abs(part.std() - 2 ** 0.5) < 0.05


def test_inplace_errors():
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range, but "
                                           r"found from=2 > to=1"):
        lm.zeros(3).uniform_(2, 1)
    with pytest.raises(NotImplementedError, match="\"check_uniform_bounds\" not implemented for "
                                                  "'Long'"):
        lm.zeros(3, dtype=lm.int64).uniform_()
    with pytest.raises(NotImplementedError, match="\"normal_kernel_cpu\" not implemented for "
                                                  "'Int'"):
        lm.zeros(3, dtype=lm.int32).normal_()
    with pytest.raises(RuntimeError, match="exponential_ expects lambda > 0.0, but found "
                                           "lambda=-1"):
        lm.zeros(3).exponential_(-1)
    with pytest.raises(RuntimeError, match="dtype must be a floating point but you specified "
                                           "Long"):
        lm.zeros(3, dtype=lm.int64).exponential_()
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to'"):
        lm.zeros(3).random_(5, 2)
    with pytest.raises(NotImplementedError, match="\"random_kernel_cpu\" not implemented for "
                                                  "'ComplexFloat'"):
        lm.zeros(3, dtype=lm.complex64).random_()
    with pytest.raises(RuntimeError, match="The expanded size of the tensor"):
        lm.zeros(3).bernoulli_(lm.tensor([0.5, 0.5]))
