"""Operators, in-place semantics, out=, and the edge cases of binary ops (checked against torch
2.13) that the op table cannot express."""

import operator
import warnings

import numpy as np
import pytest

import lamina as lm
from lamina._core._tensor import wrap_view


def f32(*values):
    return lm.tensor(list(values), dtype=lm.float32)


def i64(*values):
    return lm.tensor(list(values), dtype=lm.int64)


# -- operators ------------------------------------------------------------------------------------

BINARY = [(operator.add, lm.add), (operator.sub, lm.sub), (operator.mul, lm.mul),
          (operator.truediv, lm.div), (operator.floordiv, lm.floor_divide),
          (operator.mod, lm.remainder), (operator.pow, lm.pow), (operator.and_, lm.bitwise_and),
          (operator.or_, lm.bitwise_or), (operator.xor, lm.bitwise_xor),
          (operator.lshift, lm.bitwise_left_shift), (operator.rshift, lm.bitwise_right_shift),
          (operator.eq, lm.eq), (operator.ne, lm.ne), (operator.lt, lm.lt),
          (operator.le, lm.le), (operator.gt, lm.gt), (operator.ge, lm.ge)]


# Python evaluates `2 < a` as `a > 2`; comparison functions take no scalar first.
MIRROR = {lm.eq: lm.eq, lm.ne: lm.ne, lm.lt: lm.gt, lm.le: lm.ge, lm.gt: lm.lt, lm.ge: lm.le}


@pytest.mark.parametrize("op, fn", BINARY, ids=[o.__name__ for o, _ in BINARY])
def test_operator_matches_function_both_sides(op, fn):
    a, b = i64(5, -3, 7), i64(2, 3, 1)
    for x, y in [(a, b), (a, 2), (2, a)]:
        expected = MIRROR[fn](y, x) if fn in MIRROR and isinstance(x, int) else fn(x, y)
        got = op(x, y)
        assert got.dtype is expected.dtype
        np.testing.assert_array_equal(got.numpy(), expected.numpy())


def test_unary_operators():
    a = lm.tensor([-1.5, 2.0])
    assert (-a).tolist() == [1.5, -2.0]
    assert (+a) is a
    assert abs(a).tolist() == [1.5, 2.0]
    assert (~i64(0, 5)).tolist() == [-1, -6]
    assert (~lm.tensor([True, False])).tolist() == [False, True]
    c = abs(lm.tensor([3 + 4j], dtype=lm.complex128))
    assert c.dtype is lm.float64 and c.tolist() == [5.0]


def test_matmul_operator():
    a, b = lm.ones(2, 3), lm.ones(3, 4)
    assert (a @ b).shape == (2, 4)
    assert (lm.ones(3) @ lm.ones(3)).dim() == 0
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: "
                                           "float != double"):
        a @ b.double()
    with pytest.raises(TypeError, match="unsupported operand"):
        a @ 2


@pytest.mark.parametrize("other", [[1, 2], "x", None, object()])
def test_operators_refuse_non_numbers(other):
    a = lm.ones(2)
    for op in (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
               operator.lt):
        with pytest.raises(TypeError):
            op(a, other)
    with pytest.raises(TypeError):
        a += other
    assert (a == other) is False and (a != other) is True


def test_functions_refuse_non_numbers():
    with pytest.raises(TypeError, match=r"add\(\): argument 'other' \(position 2\) must be "
                                        "Tensor, not NoneType"):
        lm.add(lm.ones(2), None)
    with pytest.raises(TypeError, match=r"pow\(\): argument 'exponent' \(position 2\) must be "
                                        "Tensor, not str"):
        lm.pow(lm.ones(2), "x")
    with pytest.raises(TypeError, match="must be Tensor, not int"):
        lm.maximum(lm.ones(2), 1)


# -- in-place -------------------------------------------------------------------------------------

def test_augmented_assignment_writes_in_place():
    y, x = f32(1, 2), f32(10, 20)
    before_id, before_ptr, before_version = id(y), y.data_ptr(), y._version
    y += x
    assert id(y) == before_id and y.data_ptr() == before_ptr
    assert y._version == before_version + 1
    assert y.tolist() == [11, 22]
    z = y
    y = y + x
    assert y is not z and z.tolist() == [11, 22]


def test_in_place_on_a_view_changes_its_base():
    base = lm.tensor([1.0, 2.0, 3.0, 4.0])
    view = wrap_view(base.numpy()[1:3], base)   # what slicing gives, without the indexing family
    view.mul_(10)
    assert base.tolist() == [1.0, 20.0, 30.0, 4.0]
    assert base._version == view._version == 1
    view -= 1
    assert base.tolist() == [1.0, 19.0, 29.0, 4.0]


INPLACE = [("add_", (2,), {"alpha": 3}), ("sub_", (1,), {}), ("mul_", (3,), {}),
           ("div_", (2,), {"rounding_mode": "floor"}), ("floor_divide_", (2,), {}),
           ("remainder_", (3,), {}), ("fmod_", (-3,), {}), ("pow_", (2,), {}),
           ("bitwise_and_", (6,), {}), ("bitwise_or_", (1,), {}), ("bitwise_xor_", (3,), {}),
           ("bitwise_left_shift_", (2,), {}), ("bitwise_right_shift_", (1,), {}),
           ("bitwise_not_", (), {}), ("logical_and_", (i64(1, 0, 1),), {}),
           ("logical_or_", (i64(0, 0, 1),), {}), ("logical_xor_", (i64(1, 1, 0),), {}),
           ("logical_not_", (), {}), ("eq_", (4,), {}), ("ne_", (4,), {}), ("lt_", (4,), {}),
           ("le_", (4,), {}), ("gt_", (4,), {}), ("ge_", (4,), {}), ("greater_", (4,), {}),
           ("less_equal_", (4,), {}), ("neg_", (), {}), ("negative_", (), {}), ("abs_", (), {}),
           ("subtract_", (1,), {}), ("multiply_", (2,), {})]


@pytest.mark.parametrize("name, args, kwargs", INPLACE, ids=[n for n, _, _ in INPLACE])
def test_in_place_method_matches_out_of_place(name, args, kwargs):
    a = i64(4, -7, 9)
    expected = getattr(a, name[:-1])(*args, **kwargs)
    before = a.data_ptr()
    assert getattr(a, name)(*args, **kwargs) is a
    assert a.data_ptr() == before and a._version == 1
    np.testing.assert_array_equal(a.numpy(), expected.numpy().astype(np.int64))


def test_float_in_place_methods():
    a = f32(1.0, -2.0)
    a.atan2_(f32(1.0, 1.0)).hypot_(f32(0.0, 0.0)).copysign_(-1.0)
    np.testing.assert_allclose(a.numpy(), -np.abs(np.arctan2([1.0, -2.0], 1.0)), rtol=1e-6)
    b = f32(0.0, 10.0).lerp_(f32(10.0, 0.0), 0.25)
    assert b.tolist() == [2.5, 7.5]


@pytest.mark.parametrize("call, message", [
    (lambda t: t.add_(1.5), "result type Float can't be cast to the desired output type Long"),
    (lambda t: t.div_(2), "result type Float can't be cast to the desired output type Long"),
    (lambda t: t.pow_(0.5), "result type Float can't be cast to the desired output type Long"),
    (lambda t: t.__iadd__(f32(1, 2, 3)), "result type Float can't be cast to the desired "
                                          "output type Long"),
    (lambda t: t.add_(lm.ones(2, 3, dtype=lm.int64)), r"output with shape \[3\] doesn't match "
                                                      r"the broadcast shape \[2, 3\]"),
])
def test_in_place_refusals(call, message):
    t = i64(1, 2, 3)
    with pytest.raises(RuntimeError, match=message):
        call(t)
    assert t.tolist() == [1, 2, 3] and t._version == 0


def test_in_place_bool_and_complex_refusals():
    with pytest.raises(RuntimeError, match="result type Long can't be cast to the desired output "
                                           "type Bool"):
        lm.tensor([True]).add_(1)
    with pytest.raises(RuntimeError, match="In-place abs is not supported for complex tensors"):
        lm.tensor([1j]).abs_()


# -- out= -----------------------------------------------------------------------------------------

def test_out_is_written_and_returned():
    out = lm.empty(3)
    r = lm.add(f32(1, 2, 3), 1, out=out)
    assert r is out and out.tolist() == [2, 3, 4] and out._version == 1
    mask = lm.empty(3)
    lm.lt(f32(1, 2, 3), 2, out=mask)         # bool results cast into a float out
    assert mask.tolist() == [1.0, 0.0, 0.0]
    lm.matmul(lm.ones(2, 3), lm.ones(3), out=lm.empty(2))


def test_out_cast_and_resize():
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output "
                                           "type Long"):
        lm.div(i64(1, 2), 2, out=lm.empty(2, dtype=lm.int64))
    out = lm.empty(5)
    with pytest.warns(UserWarning, match="An output with one or more elements was resized"):
        lm.mul(f32(1, 2), 2, out=out)
    assert out.tolist() == [2, 4]


# -- integer semantics ----------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda a: a // 0, lambda a: a % 0, lambda a: lm.fmod(a, 0),
    lambda a: lm.div(a, lm.tensor([1, 0, 1]), rounding_mode="trunc"),
    lambda a: lm.div(a, 0, rounding_mode="floor"),
    lambda a: a.to(lm.uint8) % 256,         # 256 wraps to 0 in uint8
])
def test_integer_division_by_zero_raises(call):
    # PyTorch raises RuntimeError (not Python's ZeroDivisionError) with this message.
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        call(i64(1, 2, 3))


def test_float_division_by_zero_is_ieee():
    a = f32(1.0, -1.0, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        q, f, r = a / 0, a // 0, a % 0
    assert q.tolist()[:2] == [np.inf, -np.inf] and np.isnan(q.tolist()[2])
    assert f.tolist()[:2] == [np.inf, -np.inf]
    assert np.isnan(r.numpy()).all()
    assert (i64(1, 2) / 0).tolist() == [np.inf, np.inf]


def test_wraparound_and_weak_scalars():
    u = lm.tensor([200], dtype=lm.uint8)
    assert (u + 1000).dtype is lm.uint8 and (u + 1000).tolist() == [176]
    assert (u * 2).tolist() == [144]
    assert (-u).tolist() == [56]
    assert (u - lm.tensor(201)).tolist() == [255]           # a 0-dim int64 is cast down
    assert lm.add(u, 1000, alpha=2).tolist() == [152]
    assert (lm.tensor([127], dtype=lm.int8) + 1).tolist() == [-128]
    assert (lm.tensor([-128], dtype=lm.int8) // -1).tolist() == [-128]
    assert (i64(2 ** 62) * 4).tolist() == [0]
    assert (lm.tensor([200], dtype=lm.uint8) == -56).tolist() == [True]   # -56 wraps to 200
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without "
                                           "overflow"):
        lm.add(u, u, alpha=300)


def test_integer_powers():
    assert lm.pow(i64(-1, 1, 2, 0), i64(-1, -3, -2, -1)).tolist() == [-1, 1, 0, 0]
    assert (2 ** i64(0, 3)).tolist() == [1, 8]
    assert (i64(2) ** True).tolist() == [2]
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        i64(2) ** -1
    b = lm.tensor([True, False])
    assert (b ** True).tolist() == [True, False] and (b ** False).tolist() == [True, True]
    assert (b ** 2).dtype is lm.int64
    with pytest.raises(NotImplementedError, match='"pow" not implemented for \'Bool\''):
        b ** b


def test_shifts_past_the_width():
    assert (i64(1, -8) << 64).tolist() == [0, 0]
    assert (i64(8, -8) >> 70).tolist() == [0, -1]
    assert (lm.tensor([3], dtype=lm.uint8) << 7).tolist() == [128]


# -- bool -----------------------------------------------------------------------------------------

def test_bool_arithmetic_refusals():
    b = lm.tensor([True, False])
    with pytest.raises(RuntimeError, match="with two bool tensors is not supported"):
        b - b
    with pytest.raises(RuntimeError, match="with a bool tensor is not supported"):
        f32(1, 2) - b
    with pytest.raises(RuntimeError, match="Negation, the `-` operator, on a bool tensor"):
        _ = -b
    with pytest.raises(RuntimeError, match=r"The `\+` operator, on a bool tensor"):
        _ = +b
    with pytest.raises(TypeError, match=r"~ \(operator.invert\) is only implemented on integer "
                                        "and Boolean-type tensors"):
        ~f32(1)
    assert (b + b).tolist() == [True, False] and (b * True).dtype is lm.bool
    assert lm.add(b, b, alpha=2).dtype is lm.bool


# -- comparisons and closeness --------------------------------------------------------------------

def test_equal_allclose_return_python_bools():
    a = f32(1, 2)
    assert lm.equal(a, a.clone()) is True
    assert lm.equal(a, lm.tensor([1.0, 2.0], dtype=lm.float64)) is True
    assert lm.equal(a, f32(1, 2, 3)) is False
    assert lm.equal(f32(np.nan), f32(np.nan)) is False
    assert lm.allclose(a, a + 1e-7) is True and a.allclose(a + 1) is False
    assert lm.allclose(f32(np.nan), f32(np.nan), equal_nan=True) is True


def test_isclose_follows_pytorch():
    inf = float("inf")
    got = lm.isclose(f32(np.nan, inf, -inf, 1.0), f32(np.nan, inf, inf, 1.0 + 1e-6))
    assert got.tolist() == [False, True, False, True]
    u = lm.tensor([1, 2], dtype=lm.uint8)
    # The unsigned difference wraps (1 - 3 is 254), as in PyTorch.
    assert lm.isclose(u, lm.tensor([3, 1], dtype=lm.uint8), rtol=0, atol=1).tolist() == [
        False, True]


def test_default_dtype_drives_float_results():
    lm.set_default_dtype(lm.float64)
    try:
        assert (i64(1, 2) / 2).dtype is lm.float64
        assert lm.atan2(i64(1), i64(1)).dtype is lm.float64
        assert (i64(1) + 2.5).dtype is lm.float64
    finally:
        lm.set_default_dtype(lm.float32)
