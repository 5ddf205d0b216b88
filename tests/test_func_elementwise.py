"""Forward mode and vmap of the elementwise, unary and conversion primitives where the op-table
sweeps cannot look: an operand without a tangent (a Python number, an integer tensor, a tensor the
perturbation does not reach), PyTorch's conventions at ties, zeros and NaN, real inputs with
complex results, in_dims in the middle and operands of other ranks and dtypes, and the
compositions (vmap of grad, jacfwd against jacrev, hessian). References are NumPy formulas,
central differences of the forward, or a loop over the batch; never the path under test."""

import warnings

import numpy as np
import pytest

import lamina as lm
from lamina.func import grad, hessian, jacfwd, jacrev, jvp, vmap

EPS = 1e-6
RNG = np.random.default_rng(0)
X = RNG.uniform(0.5, 2.0, (3, 4))
Y = RNG.uniform(0.5, 2.0, (4,))
Z = RNG.uniform(-2, 2, (3, 4)) + 1j * RNG.uniform(-2, 2, (3, 4))


def t(a):
    return lm.from_numpy(np.array(a))


def fd(f, x, dx):
    """Central difference of `f` at `x` along `dx` (NumPy arrays in, the forward run eagerly)."""
    return (f(t(x + EPS * dx)).numpy() - f(t(x - EPS * dx)).numpy()) / (2 * EPS)


def check_tangent(f, x, dx=None):
    dx = np.ones_like(x) if dx is None else dx
    out, tout = jvp(f, (t(x),), (t(dx),))
    assert tout.shape == out.shape and tout.dtype == out.dtype
    np.testing.assert_allclose(tout.numpy(), fd(f, x, dx), rtol=1e-6, atol=1e-8)


# -- one operand with a tangent ------------------------------------------------------------------

BINARY = ["add", "sub", "mul", "div", "pow", "remainder", "fmod", "maximum", "minimum", "fmax",
          "fmin", "atan2", "hypot", "copysign"]
# Operands the tangent-free side takes: a broadcast smaller tensor, a larger one, a 0-dim tensor of
# another dtype, an integer tensor, a Python number (not for the ops that want two tensors).
OTHERS = {"smaller": Y, "larger": RNG.uniform(0.5, 2.0, (2, 3, 4)), "0dim-f32":
          np.array(1.25, np.float32), "int": np.array([1, 2, 3, 1]), "number": 1.75}
TENSORS_ONLY = {"maximum", "minimum", "fmax", "fmin", "atan2", "hypot"}


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("kind", list(OTHERS))
@pytest.mark.parametrize("side", [0, 1])
def test_jvp_of_one_operand(name, kind, side):
    other = OTHERS[kind]
    if kind == "number" and (name in TENSORS_ONLY or name == "copysign" and side == 1):
        pytest.skip("the op takes a tensor there")
    if name == "fmod" and side == 1 and kind == "number":
        pytest.skip("fmod takes a tensor first")
    op = getattr(lm, name)
    other = t(other) if isinstance(other, np.ndarray) else other
    f = (lambda x: op(x, other)) if side == 0 else (lambda x: op(other, x))
    check_tangent(f, X * 1.3, RNG.standard_normal(X.shape))


@pytest.mark.parametrize("other", [3, 2.5, lm.tensor([5, 6, 7, 8])], ids=["int", "float", "ints"])
def test_add_sub_number_or_integer_operand_adds_no_tangent(other):
    # The LINEAR marker would push `other` itself through: x + 3 had tangent t + 3.
    dx = RNG.standard_normal(X.shape)
    for f in (lambda x: x + other, lambda x: other - x, lambda x: lm.add(x, other, alpha=2)):
        check_tangent(f, X, dx)
    _, tout = jvp(lambda x: x + other, (t(X),), (t(dx),))
    np.testing.assert_array_equal(tout.numpy(), dx)


def test_lerp_and_clamp_with_one_tangent():
    w = RNG.uniform(0, 1, (3, 4))
    check_tangent(lambda s: lm.lerp(s, t(Y), t(w)), X)
    check_tangent(lambda e: lm.lerp(t(X), e, 0.3), np.broadcast_to(Y, (3, 4)).copy())
    check_tangent(lambda w: lm.lerp(t(X), t(Y).expand(3, 4), w), w)
    lo, hi = RNG.uniform(0.4, 1.0, (4,)), RNG.uniform(1.5, 2.1, (3, 1))
    check_tangent(lambda x: lm.clamp(x, t(lo), t(hi)), X)
    check_tangent(lambda lo: lm.clamp(t(X), lo, t(hi)), lo)
    check_tangent(lambda hi: lm.clamp(t(X), None, hi), hi)
    check_tangent(lambda x: lm.clamp(x, 0.9, 1.6), X)


def test_mixed_dtypes_give_the_output_dtype():
    x32 = X.astype(np.float32)
    for f in (lambda x: x + t(X), lambda x: x * 1j, lambda x: x - lm.tensor(2.0 + 1j),
              lambda x: lm.pow(x, 2 - 1j), lambda x: x.double() / 3):
        out, tout = jvp(f, (t(x32),), (t(np.ones_like(x32)),))
        assert tout.dtype == out.dtype and tout.shape == out.shape


# -- real inputs with complex results, complex tangents -------------------------------------------

def test_real_input_complex_result():
    # The tangent is the whole directional derivative: x ** (1.5 - 2j) has a complex one, where
    # PyTorch's forward AD keeps only its real part (pytorch/pytorch#185639).
    dx = RNG.standard_normal(X.shape)
    _, tout = jvp(lambda x: lm.pow(x, 1.5 - 2j), (t(X),), (t(dx),))
    np.testing.assert_allclose(tout.numpy(), (1.5 - 2j) * X ** (0.5 - 2j) * dx, rtol=1e-12)
    _, tout = jvp(lambda b: lm.pow(t(Z), b), (t(Y),), (t(np.ones(4)),))
    np.testing.assert_allclose(tout.numpy(), Z ** Y * np.log(Z), rtol=1e-12)
    for f in (lambda x: lm.complex(x, t(X)), lambda x: lm.polar(x, t(X)), lambda x: x.cdouble()):
        check_tangent(f, X)


HOLOMORPHIC = {  # name -> f'(z), from the textbook
    "sqrt": lambda z: 0.5 / np.sqrt(z), "rsqrt": lambda z: -0.5 * z ** -1.5,
    "exp": np.exp, "exp2": lambda z: np.log(2) * 2 ** z, "expm1": np.exp,
    "log": lambda z: 1 / z, "log2": lambda z: 1 / (z * np.log(2)),
    "log10": lambda z: 1 / (z * np.log(10)), "log1p": lambda z: 1 / (1 + z),
    "sin": np.cos, "cos": lambda z: -np.sin(z), "tan": lambda z: 1 / np.cos(z) ** 2,
    "asin": lambda z: 1 / np.sqrt(1 - z * z), "acos": lambda z: -1 / np.sqrt(1 - z * z),
    "atan": lambda z: 1 / (1 + z * z), "sinh": np.cosh, "cosh": np.sinh,
    "tanh": lambda z: 1 / np.cosh(z) ** 2, "asinh": lambda z: 1 / np.sqrt(z * z + 1),
    "acosh": lambda z: 1 / (np.sqrt(z - 1) * np.sqrt(z + 1)),
    "atanh": lambda z: 1 / (1 - z * z), "reciprocal": lambda z: -1 / z ** 2,
    "sigmoid": lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2,
}


@pytest.mark.parametrize("name", list(HOLOMORPHIC))
def test_holomorphic_jvp_is_derivative_times_tangent(name):
    dz = RNG.standard_normal(Z.shape) + 1j * RNG.standard_normal(Z.shape)
    _, tout = jvp(getattr(lm, name), (t(Z),), (t(dz),))
    np.testing.assert_allclose(tout.numpy(), HOLOMORPHIC[name](Z) * dz, rtol=1e-10)


def test_non_holomorphic_complex_jvps():
    # abs, angle, sgn: the directional derivative along dz, from their real parametrisation.
    z = Z.copy()
    z[0, 0] = 0
    dz = RNG.standard_normal(Z.shape) + 1j * RNG.standard_normal(Z.shape)
    r = np.abs(z)
    safe = np.where(r == 0, 1, r)
    d_abs = np.where(r == 0, 0, (z.real * dz.real + z.imag * dz.imag) / safe)
    d_angle = np.where(r == 0, 0, (z.real * dz.imag - z.imag * dz.real) / safe ** 2)
    s = z / safe
    d_sgn = np.where(r == 0, 0, (dz - s * (dz * s.conj()).real) / safe)
    for name, want in (("abs", d_abs), ("angle", d_angle), ("sgn", d_sgn)):
        _, tout = jvp(getattr(lm, name), (t(z),), (t(dz),))
        np.testing.assert_allclose(tout.numpy(), want, rtol=1e-12, atol=1e-15, err_msg=name)
    _, tout = jvp(lambda z: z.real * 2 + z.imag, (t(z),), (t(dz),))
    np.testing.assert_allclose(tout.numpy(), dz.real * 2 + dz.imag)


def test_narrowing_casts_cast_the_tangent():
    for cast, d in ((lambda x: x.float(), np.float32), (lambda x: x.half(), np.float16),
                    (lambda x: x.cfloat(), np.complex64), (lambda x: x.to(lm.int32), None)):
        out, tout = jvp(cast, (t(X),), (t(X * 3),))
        if d is None:  # an integer output carries no tangent: zeros, as for a constant
            np.testing.assert_array_equal(tout.numpy(), 0)
        else:
            np.testing.assert_array_equal(tout.numpy(), (X * 3).astype(d))
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        _, tout = jvp(lambda z: z.double(), (t(Z),), (t(Z),))  # complex -> real: the real part
    np.testing.assert_array_equal(tout.numpy(), Z.real)


# -- PyTorch's conventions at ties, zeros and NaN -------------------------------------------------

NAN = np.nan


def tangents_of(f, a, b):
    """f's tangent along a's direction and along b's (unit tangents)."""
    ones, zeros = t(np.ones_like(a)), t(np.zeros_like(a))
    return (jvp(f, (t(a), t(b)), (ones, zeros))[1].numpy(),
            jvp(f, (t(a), t(b)), (zeros, ones))[1].numpy())


@pytest.mark.parametrize("name,from_a", [
    # a = [1, 2, nan, 3], b = [1, 3, 1, nan]: a tie, b wins (a for minimum), a NaN, b NaN.
    ("maximum", [0.5, 0, 0, 0]), ("minimum", [0.5, 1, 0, 0]),
    ("fmax", [0, 0, 0, 1]),      # tie: b's (a > b is strict); NaN: the other operand's
    ("fmin", [1, 1, 0, 1]),      # tie: a's (a <= b)
])
def test_extrema_ties_and_nans(name, from_a):
    a, b = np.array([1.0, 2, NAN, 3]), np.array([1.0, 3, 1, NAN])
    ta, tb = tangents_of(getattr(lm, name), a, b)
    np.testing.assert_array_equal(ta, from_a)
    np.testing.assert_array_equal(tb, 1 - np.array(from_a))


def test_clamp_conventions():
    x, lo, hi = np.array([1.0, 2, 3]), np.array([1.0, 1, 5]), np.array([3.0, 2, 4])
    tx, tlo, thi = np.ones(3), 2 * np.ones(3), 3 * np.ones(3)
    # Tensor bounds (clamp_jvp): ties with either bound keep x's tangent, lo > hi gives hi's.
    _, tout = jvp(lambda *a: lm.clamp(*a), (t(x), t(lo), t(hi)), (t(tx), t(tlo), t(thi)))
    np.testing.assert_array_equal(tout.numpy(), [1, 1, 3])
    # min only: a tie gives the bound's tangent (x > min is strict).
    _, tout = jvp(lambda *a: lm.clamp(*a), (t(x), t(lo)), (t(tx), t(tlo)))
    np.testing.assert_array_equal(tout.numpy(), [2, 1, 2])
    # Number bounds: x's tangent wherever lo <= x <= hi, bounds included.
    _, tout = jvp(lambda x: lm.clamp(x, 1.0, 2.0), (t(x),), (t(tx),))
    np.testing.assert_array_equal(tout.numpy(), [1, 1, 0])


def test_kinks_and_singular_points():
    one = t(np.ones(4))
    x = t(np.array([NAN, 0.0, 1.0, -1.0]))
    np.testing.assert_array_equal(jvp(lm.relu, (x,), (one,))[1].numpy(), [1, 0, 1, 0])
    np.testing.assert_array_equal(jvp(lm.abs, (x,), (one,))[1].numpy(), [0, 0, 1, -1])
    # atan2 at the origin: NaN, as PyTorch's formula gives (its VJP takes 0 there).
    _, tout = jvp(lm.atan2, (t([0.0]), t([0.0])), (t([1.0]), t([1.0])))
    assert np.isnan(tout.numpy()).all()
    # copysign: 0 where the magnitude is 0; the sign source's tangent plays no part.
    ta, tb = tangents_of(lm.copysign, np.array([0.0, 1, -2]), np.array([-1.0, -1, 1]))
    np.testing.assert_array_equal(ta, [0, -1, -1])
    np.testing.assert_array_equal(tb, 0)
    # pow: 0 ** b with b >= 0 has no exponent term; b == 0 has no base term.
    ta, tb = tangents_of(lm.pow, np.array([0.0, 0, 2]), np.array([0.0, 2, 0]))
    np.testing.assert_array_equal(ta, [0, 0, 0])
    np.testing.assert_allclose(tb, [0, 0, np.log(2)])
    np.testing.assert_array_equal(
        jvp(lm.nan_to_num, (t([NAN, np.inf, 2.0]),), (t(np.ones(3)),))[1].numpy(), [0, 0, 1])


@pytest.mark.parametrize("f", [lm.floor, lm.ceil, lm.trunc, lm.round, lm.sign, lm.frac,
                               lambda x: lm.round(x, decimals=1),
                               lambda x: lm.div(x, 0.7, rounding_mode="floor"),
                               lambda x: lm.sgn(x)], ids=lambda f: getattr(f, "__name__", "f"))
def test_piecewise_constant_ops_give_zero_tangents(f):
    out, tout = jvp(f, (t(X),), (t(X),))
    want = X if f is lm.frac else 0  # frac = x - trunc(x)
    assert tout.dtype == out.dtype
    np.testing.assert_array_equal(tout.numpy(), np.broadcast_to(want, X.shape))


# -- vmap: mapped dims in the middle, operands of other ranks and dtypes --------------------------

def loop(f, in_dims, args):
    """f over the batch one element at a time, stacked: the reference for vmap."""
    n = next(np.shape(a)[d] for a, d in zip(args, in_dims) if d is not None)
    return [f(*[t(np.take(a, i, axis=d)) if d is not None else
                t(a) if isinstance(a, np.ndarray) else a for a, d in zip(args, in_dims)])
            for i in range(n)]


V3 = RNG.standard_normal((2, 3, 4))
VZ = RNG.standard_normal((3, 5)) + 1j * RNG.standard_normal((3, 5))
VMAP_CASES = {
    "add-mid-unmapped": (lm.add, (1, None), (V3, Y)),
    "sub-alpha-mid-last": (lambda a, b: lm.sub(a, b, alpha=3), (1, 1), (V3, V3[0].T)),
    "mul-0dim-f64-with-f32": (lambda a, b: a * b, (0, None),
                              (RNG.standard_normal(3), X.astype(np.float32))),
    "mul-0dim-f32-with-f64": (lambda a, b: a * b, (0, None),
                              (RNG.standard_normal(3).astype(np.float32), X)),
    "add-uint8-0dim-int64": (lambda a, b: a + b, (None, 0),
                             (np.arange(4, dtype=np.uint8), np.array([300, 2, 5]))),
    "div-int": (lambda a, b: a / b, (0, 0), (np.arange(1, 7).reshape(3, 2),
                                             np.arange(2, 8).reshape(3, 2))),
    "floor_divide-int-mid": (lm.floor_divide, (1, None), (np.arange(1, 13).reshape(2, 3, 2),
                                                          np.array([2, 3]))),
    "pow-number-base": (lambda b: lm.pow(2.0, b), (1,), (V3,)),
    "maximum-int-operand": (lm.maximum, (0, None), (V3, np.arange(4))),
    "hypot-0dim": (lm.hypot, (0, None), (RNG.standard_normal(3), X)),
    "clamp-lo-only-mapped": (lambda x, lo: lm.clamp(x, lo), (None, 0),
                             (X, RNG.standard_normal((5, 4)))),
    "clamp-0dim-lo-number-hi": (lambda x, lo: lm.clamp(x, lo, 0.5), (2, None), (V3, np.array(-.2))),
    "clamp-bounds-mapped": (lambda x, lo, hi: lm.clamp(x, lo, hi), (None, 0, 1),
                            (X, RNG.standard_normal((5, 4)) - 1, RNG.standard_normal((4, 5)) + 1)),
    "clamp-int-x-float-lo": (lambda x, lo: lm.clamp(x, lo), (0, 0),
                             (np.arange(6).reshape(3, 2), np.array([0.5, 1.5, 2.5]))),
    "lerp-weight-mapped": (lm.lerp, (None, None, 0), (X, X * 2, RNG.uniform(0, 1, (5, 3, 4)))),
    "lerp-0dim-weight-f32": (lm.lerp, (None, None, 0), (X.astype(np.float32),
                                                        Y.astype(np.float32), RNG.random(5))),
    "complex-real-mapped": (lm.complex, (0, None), (RNG.standard_normal((5, 3)),
                                                    RNG.standard_normal(3))),
    "complex-imag-mid": (lm.complex, (None, 1), (RNG.standard_normal(3),
                                                 RNG.standard_normal((3, 5)))),
    "real-imag-mid": (lambda z: lm.real(z) * 2 + lm.imag(z), (1,), (VZ,)),
    "conj-angle-abs": (lambda z: lm.conj(z) * lm.angle(z) + lm.abs(z), (1,), (VZ,)),
    "to-float32-mid": (lambda x: x.float(), (1,), (V3,)),
    "to-int32": (lambda x: x.to(lm.int32), (2,), (V3 * 10,)),
    "type_as-unmapped": (lambda x, y: x.type_as(y), (0, None), (V3, np.arange(3))),
    "nan_to_num": (lambda x: lm.nan_to_num(x, nan=1.0, posinf=2.0), (1,),
                   (np.array([[NAN, np.inf], [1.0, -np.inf]]),)),
    "round-decimals": (lambda x: lm.round(x, decimals=2), (1,), (V3,)),
    "isclose-transposed": (lm.isclose, (0, 1), (V3, V3.transpose(1, 0, 2))),
    "bitwise-int-mid": (lambda a, b: a & b, (1, None), (np.arange(24).reshape(2, 3, 4),
                                                        np.arange(4))),
    "square-bool": (lm.square, (0,), (np.array([[True, False], [False, True]]),)),
    "polar": (lm.polar, (0, 0), (np.abs(X), X * 2)),
}


@pytest.mark.parametrize("case", list(VMAP_CASES))
def test_vmap_matches_loop(case):
    f, in_dims, args = VMAP_CASES[case]
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="There is a performance drop")
        got = vmap(f, in_dims=in_dims)(*[t(a) if isinstance(a, np.ndarray) else a for a in args])
    want = loop(f, in_dims, args)
    assert got.dtype == want[0].dtype
    np.testing.assert_allclose(got.numpy(), np.stack([w.numpy() for w in want]), rtol=1e-12,
                               equal_nan=True)


def test_vmap_of_values_read_in_python_raises():
    for f in (lambda a: lm.equal(a, a), lambda a: lm.allclose(a, a)):
        with pytest.raises(RuntimeError, match="data-dependent control flow"):
            vmap(f)(t(X))


# -- compositions ---------------------------------------------------------------------------------

def test_vmap_of_jvp_batches_tangents_and_primals():
    def f(x):
        return lm.maximum(lm.sin(x) * x, x.pow(2)) / (1 + lm.relu(x - 1)) + lm.atan2(x, x + 2)

    def tangent(x, dx):
        return jvp(f, (x,), (dx,))[1]

    dxs = RNG.standard_normal((5, 3, 4))
    for in_dims, args in (((0, 0), (V3 * 2, dxs[:2])), ((None, 0), (X, dxs))):
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message="There is a performance drop")
            got = vmap(tangent, in_dims=in_dims)(*map(t, args))
        want = np.stack([w.numpy() for w in loop(tangent, in_dims, args)])
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


def test_per_sample_gradients():
    # vmap(grad) of sum(clamp(x, y) * atan2(x, y + 3)) against its gradient by hand.
    def loss(x, y):
        return (lm.clamp(x, y, None) * lm.atan2(x, y + 3)).sum()

    x = RNG.standard_normal((5, 4))
    for in_dims, y in (((0, None), RNG.standard_normal(4)), ((0, 0), RNG.standard_normal((5, 4)))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # sum's batch rule is the reduction family's
            got = vmap(grad(loss), in_dims=in_dims)(t(x), t(y)).numpy()
        c = y + 3
        inside = x >= y
        want = inside * np.arctan2(x, c) + np.maximum(x, y) * c / (x * x + c * c)
        np.testing.assert_allclose(got, want, rtol=1e-12)


JAC_OPS = {
    **{name: (getattr(lm, name), (X, Y)) for name in BINARY},
    **{name: (getattr(lm, name), (X * 0.4,)) for name in (
        "sqrt", "exp", "log", "sin", "tan", "asin", "atanh", "sigmoid", "erf", "erfinv",
        "reciprocal", "rsqrt", "abs", "relu", "floor", "sgn", "angle", "nan_to_num")},
    "lerp": (lm.lerp, (X, Y, X * 0.3)),
    "clamp": (lambda x, lo, hi: lm.clamp(x, lo, hi), (X, Y * 0.6, Y + 0.4)),
    "clamp-numbers": (lambda x: lm.clamp(x, 0.8, 1.5), (X,)),
    "complex-parts": (lambda x, y: lm.real(lm.complex(x, y) ** 2), (X, X * 0.5)),
}


@pytest.mark.parametrize("name", list(JAC_OPS))
def test_jacfwd_matches_jacrev(name):
    f, args = JAC_OPS[name]
    argnums = tuple(range(len(args)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # other families' batch rules (sum, view) may be loops
        fwd = jacfwd(f, argnums=argnums)(*map(t, args))
        rev = jacrev(f, argnums=argnums)(*map(t, args))
    for a, b in zip(fwd, rev):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)


def test_hessian_against_second_derivatives():
    # f(x) = sum(x^3 / y + exp(x) * sin(x)), whose Hessian in x is diagonal.
    y = t(Y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = hessian(lambda x: (x.pow(3) / y + lm.exp(x) * lm.sin(x)).sum())(t(Y * 1.1)).numpy()
    x = Y * 1.1
    np.testing.assert_allclose(h, np.diag(6 * x / Y + 2 * np.exp(x) * np.cos(x)), rtol=1e-10,
                               atol=1e-12)
