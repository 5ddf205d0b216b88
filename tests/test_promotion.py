"""Type promotion and broadcasting, against the test-side model in promotion_model.py (written
from PyTorch's docs, not from lamina's tables). Hypothesis sweeps dtype pairs and operand kinds
against it."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import lamina as lm
from promotion_model import DTYPES, PROMOTE, SCALAR_DTYPE, category, expected_result

# -- operands -------------------------------------------------------------------------------------

SCALARS = {"bool": True, "int64": 3, "float32": 0.5, "complex64": 1j}


def make(kind, dtype):
    if kind == "scalar":
        return SCALARS[dtype]
    return lm.ones(() if kind == "zero" else (2,), dtype=getattr(lm, dtype))


def _model_operand(kind, dtype):
    return (kind, SCALAR_DTYPE[type(SCALARS[dtype])] if kind == "scalar" else dtype)


tensor_operands = st.tuples(st.sampled_from(["dim", "zero"]), st.sampled_from(DTYPES))
scalar_operands = st.tuples(st.just("scalar"), st.sampled_from(list(SCALARS)))
operands = st.one_of(tensor_operands, scalar_operands)


def _float16_meets_complex(ops):
    # PyTorch gives complex32 here, a dtype lamina does not have.
    names = {d for _, d in ops}
    return "float16" in names and any(category(d) == 3 for d in names)


@settings(max_examples=300, deadline=None)
@given(a=operands, b=operands)
def test_promotion_matches_model(a, b):
    ops = [_model_operand(*a), _model_operand(*b)]
    assume(not _float16_meets_complex(ops))
    want = getattr(lm, expected_result(ops))
    x, y = make(*a), make(*b)
    assert lm.result_type(x, y) is want
    if isinstance(x, lm.Tensor) or isinstance(y, lm.Tensor):
        assert (x + y).dtype is want
        assert (y + x).dtype is want


@settings(max_examples=100, deadline=None)
@given(a=st.sampled_from(DTYPES), b=st.sampled_from(DTYPES))
def test_promote_types_and_can_cast(a, b):
    da, db = getattr(lm, a), getattr(lm, b)
    assert lm.promote_types(da, db) is getattr(lm, PROMOTE[(a, b)])
    # PyTorch's can_cast: never to a lower category, and nothing but bool into bool.
    allowed = category(a) <= category(b) and (b != "bool" or a == "bool")
    assert lm.can_cast(da, db) is allowed


def test_default_dtype_changes_scalar_promotion():
    lm.set_default_dtype(lm.float64)
    try:
        assert (lm.ones(2, dtype=lm.int32) + 2.5).dtype is lm.float64
        assert lm.result_type(1, 1j) is lm.complex128
        assert (lm.ones(2, dtype=lm.float32) + 2.5).dtype is lm.float32
    finally:
        lm.set_default_dtype(lm.float32)


# (a, b, result), each checked against torch 2.13: a dtype name is a tensor with dims,
# "name[]" a 0-dim tensor, anything else a Python value.
VERIFIED = [
    ("int32", 2.5, "float32"), ("uint8", "int8", "int16"), ("float32", "float64[]", "float32"),
    ("int64", "float64[]", "float64"), ("bool", 1, "int64"), ("float16", "int64", "float16"),
    ("float32", 1j, "complex64"), ("float64", 1j, "complex128"), ("uint8", 1000, "uint8"),
    ("int8", True, "int8"), ("bool", True, "bool"), ("bool", 2.5, "float32"),
    ("int16", "int64[]", "int16"), ("bool", "uint8[]", "uint8"),
    ("int32", "complex128[]", "complex128"), ("float64", "complex64[]", "complex128"),
    ("float16", "float64[]", "float16"), ("int64[]", "int8", "int8"),
    ("float32[]", "int32[]", "float32"), ("float64[]", 1.5, "float64"),
    ("int32[]", 1.5, "float32"), ("uint8[]", "int8[]", "int16"),
    ("complex64", "float64", "complex128"), ("complex64", 2.5, "complex64"),
    ("int64", "uint8", "int64"), ("float16", "bool[]", "float16"), ("bool[]", 7, "int64"),
    ("uint8", -1, "uint8"), ("int8", "float16[]", "float16"),
    ("complex128[]", "float32", "complex64"), (3, "float16[]", "float16"), (True, "bool", "bool"),
]


def _operand(x):
    if not isinstance(x, str):
        return x
    if x.endswith("[]"):
        return lm.ones((), dtype=getattr(lm, x[:-2]))
    return lm.ones(2, dtype=getattr(lm, x))


@pytest.mark.parametrize("a, b, result", VERIFIED, ids=[f"{a}+{b}" for a, b, _ in VERIFIED])
def test_verified_cases(a, b, result):
    x, y = _operand(a), _operand(b)
    assert (x + y).dtype is getattr(lm, result)
    assert lm.result_type(x, y) is getattr(lm, result)
    kinds = [("scalar", SCALAR_DTYPE[type(v)]) if not isinstance(v, str) else
             ("zero", v[:-2]) if v.endswith("[]") else ("dim", v) for v in (a, b)]
    assert expected_result(kinds) == result   # the model agrees with torch too


# -- broadcasting ---------------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0,
                                            max_side=4))
def test_broadcast_shapes(shapes):
    sa, sb = shapes.input_shapes
    assert (lm.zeros(sa) + lm.ones(sb)).shape == np.broadcast_shapes(sa, sb)


@st.composite
def clashing_shapes(draw):
    """Two shapes that agree except in one dim, where both sizes exceed 1 and differ."""
    shape = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    i = draw(st.integers(0, len(shape) - 1))
    a, b = draw(st.integers(2, 5)), draw(st.integers(2, 5))
    assume(a != b)
    sa, sb = list(shape), list(shape)
    sa[i], sb[i] = a, b
    cut = draw(st.integers(0, i))       # drop some leading dims of one side: still clashing
    return tuple(sa), tuple(sb[cut:])


@settings(max_examples=100, deadline=None)
@given(shapes=clashing_shapes())
def test_non_broadcastable_raise(shapes):
    sa, sb = shapes
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(\d+\) must match the size of "
                                           r"tensor b \(\d+\) at non-singleton dimension \d+"):
        lm.zeros(sa) + lm.zeros(sb)
