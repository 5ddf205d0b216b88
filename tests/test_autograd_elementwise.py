"""Gradients of the elementwise, unary and conversion ops where the gradcheck sweep cannot look:
PyTorch's conventions at ties, bounds and zeros (expected values checked against PyTorch 2.13
once, hard-coded here), the complex convention, what each rule saves (in-place writes before
backward), integer and Python-number operands, broadcasting, and second derivatives."""

import math
import warnings

import numpy as np
import pytest

import lamina as lm

NAN, INF = float("nan"), float("inf")
MODIFIED = "modified by an inplace operation"


def _leaf(values, dtype=lm.float64):
    return lm.tensor(values, dtype=dtype, requires_grad=True)


def _grads(fn, *values, ct=None):
    """The gradients of fn's output (with cotangent `ct`, default ones) for leaves of `values`."""
    leaves = [_leaf(v, lm.complex128 if np.iscomplexobj(v) else lm.float64) for v in values]
    out = fn(*leaves)
    out.backward(lm.ones_like(out) if ct is None else lm.tensor(ct, dtype=out.dtype))
    return [leaf.grad.numpy() for leaf in leaves]


def _check(got, expected):
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, np.asarray(e), rtol=1e-12, atol=1e-12)


# -- PyTorch's conventions off the smooth points ---------------------------------------------------

@pytest.mark.parametrize("fn,expected", [
    # ties split evenly; a NaN operand gives the whole gradient to both
    (lm.maximum, ([0.5, 1, 1, 1], [0.5, 0, 1, 1])),
    (lm.minimum, ([0.5, 0, 1, 1], [0.5, 1, 1, 1])),
])
def test_maximum_minimum_ties_and_nan(fn, expected):
    _check(_grads(fn, [1.0, 2.0, NAN, 3.0], [1.0, 1.0, 1.0, NAN]), expected)


@pytest.mark.parametrize("fn,expected", [
    # ties go to the first operand; a NaN operand's share goes to the other one
    (lm.fmax, ([1, 1, 0, 1, 0], [0, 0, 1, 0, 1])),
    (lm.fmin, ([1, 0, 0, 1, 1], [0, 1, 1, 0, 0])),
])
def test_fmax_fmin_ties_and_nan(fn, expected):
    _check(_grads(fn, [1.0, 2.0, NAN, 3.0, 0.0], [1.0, 1.0, 1.0, NAN, 5.0]), expected)


def test_clamp_passes_the_gradient_at_its_bounds():
    _check(_grads(lambda x: x.clamp(-1, 1), [-1.0, 1.0, 0.0, 2.0, -2.0]), [[1, 1, 1, 0, 0]])
    _check(_grads(lambda x: x.clamp(min=0.5), [0.5, 0.0, 1.0]), [[1, 0, 1]])
    _check(_grads(lambda x: x.clamp(max=0.5), [0.5, 0.0, 1.0]), [[1, 1, 0]])
    # min > max: the result is max everywhere, so only max gets a gradient
    _check(_grads(lambda x: x.clamp(2, 1), [0.0, 1.5, 3.0]), [[0, 0, 0]])


def test_clamp_tensor_bounds():
    got = _grads(lambda x, lo, hi: x.clamp(lo, hi), [-1.0, 1.0, 0.0, 2.0, -2.0, 0.0],
                 [-1.0, 0.0, 0.0, 0.0, 0.0, 1.0], [1.0, 1.0, 0.0, 1.0, 1.0, -1.0])
    _check(got, [[1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 1, 0], [0, 0, 0, 1, 0, 1]])
    # one bound, broadcast against the input: its gradient sums over the broadcast dim
    x = np.array([[0.0, 2.0, -1.0], [3.0, -2.0, 0.5]])
    lo = np.array([1.0, 0.0, 0.0])
    _check(_grads(lm.clamp_min, x, lo), [x >= lo, (x < lo).sum(0)])
    _check(_grads(lm.clamp_max, x, lo), [x <= lo, (x > lo).sum(0)])


def test_relu_has_zero_gradient_at_zero():
    _check(_grads(lm.relu, [0.0, 1.0, -1.0, -0.0]), [[0, 1, 0, 0]])


def test_abs_sign_and_rounding_at_their_kinks():
    _check(_grads(lm.abs, [0.0, 1.0, -1.0, -0.0]), [[0, 1, -1, 0]])
    for fn in (lm.sign, lm.sgn, lm.floor, lm.ceil, lm.trunc, lm.round,
               lambda x: lm.round(x, decimals=1)):
        _check(_grads(fn, [0.0, -0.0, 0.5, -2.5, 1.25]), [[0, 0, 0, 0, 0]])
    _check(_grads(lm.frac, [0.5, 1.25, -2.0]), [[1, 1, 1]])


def test_where_a_mask_selects_an_infinite_cotangent_gives_zero():
    # PyTorch selects (where / masked_fill) in these rules rather than multiplying by a 0/1 mask,
    # so an inf cotangent where the gradient does not pass gives 0, not 0 * inf = nan. Products
    # in its own rules (abs, atan2 at the origin, pow's exponent, nan_to_num) keep the nan.
    ct = [INF, INF, INF]
    _check(_grads(lm.maximum, [1.0, 3.0, 2.0], [2.0, 1.0, 2.0], ct=ct),
           ([0, INF, INF], [INF, 0, INF]))
    _check(_grads(lm.fmin, [1.0, 3.0, 2.0], [2.0, 1.0, 2.0], ct=ct), ([INF, 0, INF], [0, INF, 0]))
    _check(_grads(lambda x, lo, hi: lm.clamp(x, lo, hi), [0.0, 1.0, 5.0], [0.5] * 3, [2.0] * 3,
                  ct=ct), ([0, INF, 0], [INF, 0, 0], [0, 0, INF]))
    _check(_grads(lambda x: x.clamp(0.5, 2.0), [0.0, 1.0, 5.0], ct=ct), [[0, INF, 0]])
    _check(_grads(lm.relu, [-1.0, 0.0, 1.0], ct=[INF, INF, 1.0]), [[0, 0, 1]])
    _check(_grads(lm.sgn, [0j, 1 + 1j], ct=[complex(INF, 0), 1]),
           [[0, 0.5 ** 1.5 * (1 - 1j)]])
    _check(_grads(lm.angle, [0j, 1 + 1j], ct=[INF, 1.0]), [[0, -0.5 + 0.5j]])
    ga, gb = _grads(lm.pow, [0.0, 2.0, 0.0], [0.0, 1.0, 2.0], ct=[INF, 1.0, INF])
    _check([ga[:2], gb[1:2]], ([0, 1], [2 * math.log(2)]))
    assert np.isnan(ga[2]) and np.isnan(gb[0]) and np.isnan(gb[2])
    assert np.isnan(_grads(lm.atan2, [0.0], [0.0], ct=[INF])[0][0])


def test_rounded_division_has_zero_gradients():
    for mode in ("floor", "trunc"):
        got = _grads(lambda a, b, m=mode: lm.div(a, b, rounding_mode=m), [3.0, 5.0], [2.0, -2.0])
        _check(got, [[0, 0], [0, 0]])
    _check(_grads(lm.floor_divide, [3.0, 5.0], [2.0, -2.0]), [[0, 0], [0, 0]])


@pytest.mark.parametrize("fn,quotient", [(lm.remainder, np.floor_divide), (lm.fmod, None)])
def test_remainder_fmod(fn, quotient):
    a, b = np.array([3.0, -5.0, 7.5]), np.array([2.0, 2.0, -2.0])
    q = quotient(a, b) if quotient else np.trunc(a / b)
    _check(_grads(fn, a, b), [np.ones(3), -q])


def test_pow_at_zero():
    # d/da is 0 wherever b == 0 (also at a == 0); d/db is 0 where a == 0 and b >= 0
    got = _grads(lm.pow, [0.0, 0.0, 0.0, 2.0], [0.0, 1.0, -1.0, 0.0])
    _check(got, [[0, 1, -INF, 0], [0, 0, -INF, math.log(2)]])
    _check(_grads(lambda a: a ** 0, [0.0, 2.0]), [[0, 0]])
    _check(_grads(lambda a: a ** 0.5, [0.0, 4.0]), [[INF, 0.25]])
    _check(_grads(lambda b: 0 ** b, [0.0, 1.0, -1.0]), [[0, 0, -INF]])
    b = np.array([0.0, 1.0, -1.0])
    _check(_grads(lambda t: 2 ** t, b), [math.log(2) * 2 ** b])
    # a negative real base to a real power: NaN, as in PyTorch (the log is real)
    assert np.isnan(_grads(lambda b: (-2.0) ** b, [0.5])[0]).all()


def test_copysign_atan2_hypot_at_zero():
    _check(_grads(lm.copysign, [0.0, -0.0, 1.0, -2.0], [-1.0, 1.0, -1.0, 1.0]),
           [[0, 0, -1, -1], [0, 0, 0, 0]])
    _check(_grads(lambda a: lm.copysign(a, -1.0), [0.0, 1.0, -2.0]), [[0, -1, 1]])
    # atan2 takes 1 / (a^2 + b^2) as 0 at the origin; hypot's a / hypot stays NaN there
    _check(_grads(lm.atan2, [0.0, 1.0], [0.0, 1.0]), [[0, 0.5], [0, -0.5]])
    ga, gb = _grads(lm.hypot, [0.0, 3.0], [0.0, 4.0])
    assert np.isnan(ga[0]) and np.isnan(gb[0])
    _check([ga[1:], gb[1:]], [[0.6], [0.8]])


def test_nan_to_num_passes_the_gradient_at_finite_values_only():
    _check(_grads(lm.nan_to_num, [NAN, INF, -INF, 1.5]), [[0, 0, 0, 1]])
    _check(_grads(lambda x: lm.nan_to_num(x, 1.0, 2.0, -2.0), [NAN, 0.5]), [[0, 1]])


def test_angle_of_reals_has_zero_gradient():
    _check(_grads(lm.angle, [0.0, -1.0, 1.0]), [[0, 0, 0]])


# -- complex: PyTorch's convention (values from PyTorch) -------------------------------------------

Z = [1 + 2j, 0j, -3 + 0.5j]
REAL_CT = [1.0, 2.0, 3.0]
COMPLEX_CT = [1 + 1j, 2 - 1j, 3 + 2j]


def _sgn_grad(z, ct):
    # (ct - s Re(ct conj(s))) / |z| with s = z / |z|, 0 at z == 0
    r = np.abs(z)
    s = z / np.where(r == 0, 1, r)
    return np.where(r == 0, 0, (ct - s * (ct * np.conj(s)).real) / np.where(r == 0, 1, r))


_ZA, _RA, _CA = np.array(Z), np.array(REAL_CT), np.array(COMPLEX_CT)
_R2 = np.where(_ZA == 0, 1, np.abs(_ZA) ** 2)


# Formulas from derivatives.yaml; PyTorch gave these numbers (to the 4 digits it printed).
@pytest.mark.parametrize("fn,ct,expected", [
    (lm.real, REAL_CT, [1, 2, 3]),                                  # PyTorch: [1, 2, 3]
    (lm.imag, REAL_CT, [1j, 2j, 3j]),                               # [1j, 2j, 3j]
    (lm.abs, REAL_CT, _RA * _ZA / np.sqrt(_R2)),                    # [.4472+.8944j, 0, ...]
    (lm.angle, REAL_CT, _RA * _ZA / _R2 * 1j),                      # [-.4+.2j, 0, ...]
    (lm.sgn, COMPLEX_CT, _sgn_grad(_ZA, _CA)),                      # [.1789-.0894j, 0, ...]
    (lm.conj, COMPLEX_CT, np.conj(_CA)),
])
def test_complex_parts_and_nonholomorphic_functions(fn, ct, expected):
    _check(_grads(fn, Z, ct=ct), [expected])


def test_complex_values_from_pytorch():
    (g,) = _grads(lm.abs, Z, ct=REAL_CT)
    np.testing.assert_allclose(g, [0.4472 + 0.8944j, 0, -2.9592 + 0.4932j], atol=1e-4)
    (g,) = _grads(lm.sgn, Z, ct=COMPLEX_CT)
    np.testing.assert_allclose(g, [0.1789 - 0.0894j, 0, 0.1333 + 0.7998j], atol=1e-4)
    (g,) = _grads(lm.angle, Z, ct=REAL_CT)
    np.testing.assert_allclose(g, [-0.4 + 0.2j, 0, -0.1622 - 0.9730j], atol=1e-4)


def test_complex_sqrt_is_infinite_at_zero():
    (g,) = _grads(lm.sqrt, Z, ct=COMPLEX_CT)
    np.testing.assert_allclose(g[[0, 2]], [0.10864 + 0.46016j, -0.50052 + 0.90449j], atol=1e-4)
    assert np.isinf(g[1].real) and np.isinf(g[1].imag)


@pytest.mark.parametrize("name", [
    "sqrt", "rsqrt", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos",
    "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    "reciprocal", "sigmoid"])
def test_holomorphic_functions_take_the_conjugate_derivative(name):
    # ct * conj(f'(z)), f' by a complex central difference (f is holomorphic off its cuts)
    z = np.array([1 + 2j, -3 + 0.5j])
    ct = np.array([1 + 2j, -3 + 0.5j])
    f = getattr(lm, name)

    def value(w):
        return f(lm.tensor(w)).numpy()
    h = 1e-6
    derivative = (value(z + h) - value(z - h)) / (2 * h)
    (g,) = _grads(f, z, ct=ct)
    np.testing.assert_allclose(g, ct * np.conj(derivative), rtol=1e-6)


def test_complex_from_parts_and_casts():
    ct = [1 + 2j, 3 - 1j]
    _check(_grads(lm.complex, [1.0, 2.0], [3.0, 4.0], ct=ct), [[1, 3], [2, -1]])
    _check(_grads(lambda x: x.to(lm.complex128), [1.0, 2.0], ct=ct), [[1, 3]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _check(_grads(lambda z: z.to(lm.float64), Z, ct=REAL_CT), [[1, 2, 3]])
    x = _leaf([1.0, 2.0])
    x.to(lm.float32).sum().backward()
    assert x.grad.dtype is lm.float64 and x.grad.tolist() == [1.0, 1.0]
    # Tensor.half, which gradcheck cannot difference: the cotangent cast back to the input's dtype
    x = _leaf([1.0, 2.0, 3.0])
    x.half().backward(lm.tensor([0.5, -2.0, 3.0], dtype=lm.float16))
    assert x.grad.dtype is lm.float64 and x.grad.tolist() == [0.5, -2.0, 3.0]


def test_real_input_to_complex_power_keeps_the_real_part():
    # PyTorch: a complex gradient of a real input is replaced by its real part
    x = np.array([1.5, 2.0])
    ct = np.array([1 + 2j, 3 - 1j])
    (g,) = _grads(lambda t: t ** (1 + 1j), x, ct=ct)
    np.testing.assert_allclose(g, (ct * np.conj((1 + 1j) * x ** 1j)).real, rtol=1e-12)


# -- what each rule saves: an in-place write before backward --------------------------------------

def _written_before_backward(op, write):
    """Run op on a non-leaf input, write in place into the input or output, then backward."""
    x = _leaf([0.5, 0.25])
    h = x * 1
    y = op(h)
    (h if write == "input" else y).add_(1)
    y.sum().backward()
    return x.grad


@pytest.mark.parametrize("op,saved", [
    (lm.exp, "output"), (lm.sqrt, "output"), (lm.tanh, "output"), (lm.sigmoid, "output"),
    (lm.relu, "output"), (lm.sin, "input"), (lm.log, "input"), (lm.erfinv, "input"),
    (lm.abs, "input"), (lambda t: t.clamp(0, 0.3), "input"), (lambda t: t ** 2, "input"),
    (lm.neg, None), (lm.floor, None), (lm.conj, None),
    (lambda t: t.to(lm.float32), None),
])
def test_saves(op, saved):
    for write in ("input", "output"):
        if write == saved:
            with pytest.raises(RuntimeError, match=MODIFIED):
                _written_before_backward(op, write)
        else:
            assert _written_before_backward(op, write) is not None


def test_div_saves_its_operands_but_not_its_output():
    a, b = _leaf([1.0, 2.0]), _leaf([4.0, 8.0])
    y = a / b
    y.add_(1)
    y.sum().backward()
    _check([a.grad.numpy(), b.grad.numpy()], [[0.25, 0.125], [-1 / 16, -2 / 64]])
    a = _leaf([1.0, 2.0])
    c = lm.tensor([4.0, 8.0], dtype=lm.float64)
    y = a / c
    c.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


# -- integer and Python-number operands, broadcasting ---------------------------------------------

def test_integer_operands_take_no_gradient():
    x = np.array([0.5, 2.0, 3.0])
    n = lm.tensor([2, 0, 0])
    _check(_grads(lambda t: t ** n, [0.5, 2.0, 0.0]), [[1, 0, 0]])
    _check(_grads(lambda t: lm.tensor([2, 3, 0]) ** t, [0.5, 2.0, -1.0]),
           [[math.log(2) * 2 ** 0.5, math.log(3) * 9, -INF]])
    _check(_grads(lambda t: lm.maximum(t, lm.tensor([1, 2, 5])), x), [[0, 0.5, 0]])
    _check(_grads(lambda t: t / lm.tensor([2, 4, 5]), x), [[0.5, 0.25, 0.2]])
    _check(_grads(lambda t: lm.atan2(t, lm.tensor([1, 1, 1])), x), [1 / (1 + x ** 2)])


def test_python_number_operands():
    x = np.array([0.5, 2.0])
    _check(_grads(lambda t: 2 / t, x), [-2 / x ** 2])
    _check(_grads(lambda t: t ** 2.5, x), [2.5 * x ** 1.5])
    _check(_grads(lambda t: 3 % t, [2.0, 0.75]), [[-1, -4]])
    _check(_grads(lambda t: lm.lerp(t, lm.zeros(2, dtype=lm.float64), 0.25), x), [[0.75, 0.75]])


def test_broadcast_operands_get_gradients_of_their_own_shape():
    a, b = np.array([[1.0], [2.0], [3.0]]), np.array([[0.5, 1.5, 2.5, 3.5]])
    ga, gb = _grads(lm.pow, a, b)
    _check([ga, gb], [(b * a ** (b - 1)).sum(1, keepdims=True),
                      (a ** b * np.log(a)).sum(0, keepdims=True)])
    start, end, w = np.zeros((2, 3)), np.ones(3), np.array([[0.25], [0.5]])
    _check(_grads(lm.lerp, start, end, w), [np.broadcast_to(1 - w, (2, 3)),
                                             (w * np.ones((2, 3))).sum(0), [[3.0], [3.0]]])
    _check(_grads(lm.complex, [1.0, 2.0], [[3.0], [4.0]], ct=[[1j, 2], [3, 4j]]),
           [[3, 2], [[1], [4]]])


# -- second derivatives ---------------------------------------------------------------------------

def _second(fn, values):
    x = _leaf(values)
    (g,) = lm.autograd.grad(fn(x).sum(), x, create_graph=True)
    (g2,) = lm.autograd.grad(g.sum(), x)
    return g2.numpy()


def test_second_derivatives():
    x = np.array([1.5, 2.0])
    _check([_second(lambda t: t ** 3, x)], [6 * x])
    _check([_second(lm.exp, x)], [np.exp(x)])
    _check([_second(lm.tanh, x)], [-2 * np.tanh(x) * (1 - np.tanh(x) ** 2)])
    _check([_second(lambda t: 2 ** t, x)], [math.log(2) ** 2 * 2 ** x])
    _check([_second(lambda t: lm.hypot(t, lm.ones(2, dtype=lm.float64)), x)],
           [1 / (x ** 2 + 1) ** 1.5])
