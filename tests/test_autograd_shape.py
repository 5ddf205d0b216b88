"""Gradients of the shape, indexing, joining and gather/scatter ops where the op-table sweep
cannot look: PyTorch's conventions for overwritten duplicates and tensor fill values, pieces
that receive no gradient, what each rule saves, integer and complex operands, and in-place
writes into non-leaf tensors and their views.

Expected values are NumPy-computed or were read off PyTorch 2.13 on the same inputs (hard-coded:
these tests never import torch)."""

import numpy as np
import pytest

import lamina as lm
from lamina.autograd import gradcheck, gradgradcheck

G = np.arange(10.0, 15.0)  # the cotangent of the 5-element results below


def _leaf(a):
    return lm.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def _x():
    return _leaf(np.arange(5.0))


def _v():
    return _leaf([1.0, 2.0, 3.0])


def _backward(y, g=G):
    y.backward(lm.tensor(g, dtype=y.dtype))


def _grad(t):
    return t.grad.numpy()


# -- PyTorch's conventions for duplicates and fill values -----------------------------------------

def test_index_put_overwritten_duplicates():
    # Each duplicate's value gets the gradient at its position, though only one write survives.
    x, v = _x(), _v()
    _backward(x.index_put((lm.tensor([1, 1, 3]),), v))
    np.testing.assert_array_equal(_grad(x), [10, 0, 12, 0, 14])
    np.testing.assert_array_equal(_grad(v), [11, 11, 13])


def test_index_put_broadcast_value_counts_duplicates():
    x, v = _x(), _leaf(2.0)
    _backward(x.index_put((lm.tensor([1, 1, 3]),), v))
    np.testing.assert_array_equal(_grad(x), [10, 0, 12, 0, 14])
    assert _grad(v) == 35  # 11 + 11 + 13, as PyTorch


def test_put_and_scatter_duplicates():
    x, v = _x(), _v()
    _backward(x.put(lm.tensor([1, 1, 4]), v))
    np.testing.assert_array_equal(_grad(x), [10, 0, 12, 13, 0])
    np.testing.assert_array_equal(_grad(v), [11, 11, 14])
    x, v = _x(), _v()
    _backward(x.put(lm.tensor([1, 1, 4]), v, accumulate=True))
    np.testing.assert_array_equal(_grad(x), G)
    np.testing.assert_array_equal(_grad(v), [11, 11, 14])
    x, v = _x(), _leaf([1.0, 2.0])
    _backward(x.scatter(0, lm.tensor([1, 1]), v))
    np.testing.assert_array_equal(_grad(x), [10, 0, 12, 13, 14])
    np.testing.assert_array_equal(_grad(v), [11, 11])


def test_index_add_alpha():
    x, v = _x(), _v()
    _backward(x.index_add(0, lm.tensor([1, 1, 3]), v, alpha=2))
    np.testing.assert_array_equal(_grad(x), G)
    np.testing.assert_array_equal(_grad(v), [22, 22, 26])


def test_fill_ops_differentiate_in_a_tensor_value():
    # index_fill sums each filled slice once however its index repeats (PyTorch uses unique).
    x, v = _x(), _leaf(2.0)
    _backward(x.index_fill(0, lm.tensor([1, 1, 3]), v))
    np.testing.assert_array_equal(_grad(x), [10, 0, 12, 0, 14])
    assert _grad(v) == 24
    # A negative index names the same slice (PyTorch's backward fails on one; this counts it once).
    x, v = _x(), _leaf(2.0)
    _backward(x.index_fill(0, lm.tensor([3, -2]), v))
    assert _grad(v) == 13
    mask = lm.tensor([True, False, True, False, False])
    x, v = _x(), _leaf(2.0)
    _backward(x.masked_fill(mask, v))
    np.testing.assert_array_equal(_grad(x), [0, 11, 0, 13, 14])
    assert _grad(v) == 22
    x, v = _x(), _leaf(2.0)
    a = x * 1
    a[mask] = v
    _backward(a)
    np.testing.assert_array_equal(_grad(x), [0, 11, 0, 13, 14])
    assert _grad(v) == 22
    x, v = _x(), _leaf(2.0)
    a = x * 1
    a[1:3] = v
    _backward(a)
    np.testing.assert_array_equal(_grad(x), [10, 0, 0, 13, 14])
    assert _grad(v) == 23


def test_fill_value_that_needs_no_grad_stays_a_scalar():
    x = _x()
    y = x.masked_fill(lm.tensor([True, False, True, False, False]), lm.tensor(7.0))
    _backward(y)
    np.testing.assert_array_equal(_grad(x), [0, 11, 0, 13, 14])


def test_scatter_multiply_is_not_differentiated():
    x = _leaf(np.ones((2, 3)))
    y = x.scatter(0, lm.tensor([[1, 0, 1]]), 2.0, reduce="multiply")
    with pytest.raises(NotImplementedError, match="'scatter'"):
        y.sum().backward()


def test_view_dtype_does_not_require_grad():
    x = _leaf(np.ones(4))
    for d in (lm.float64, lm.int64, lm.complex128, lm.float32):
        y = x.view(d)
        assert not y.requires_grad and y.grad_fn is None


# -- tuple outputs: pieces without a gradient -----------------------------------------------------

def test_unbind_pieces_without_gradient():
    x = _leaf(np.arange(12.0).reshape(3, 4))
    a, _, c = x.unbind(0)
    (2 * a + c).sum().backward()
    np.testing.assert_array_equal(_grad(x), [[2] * 4, [0] * 4, [1] * 4])
    x = _leaf(np.arange(12.0).reshape(3, 4))
    x.unbind(1)[2].sum().backward()
    np.testing.assert_array_equal(_grad(x), [[0, 0, 1, 0]] * 3)


def test_split_pieces_without_gradient():
    x = _leaf(np.arange(12.0).reshape(3, 4))
    pieces = x.split([1, 2, 1], dim=1)
    (3 * pieces[1]).sum().backward()
    np.testing.assert_array_equal(_grad(x), [[0, 3, 3, 0]] * 3)


def test_tensor_split_overlapping_pieces_add():
    # Unsorted indices give pieces that overlap: each adds its gradient.
    x = _leaf(np.arange(12.0).reshape(3, 4))
    pieces = lm.tensor_split(x, [1, 5, 2], 1)
    assert [p.shape[1] for p in pieces] == [1, 3, 0, 2]
    sum((i + 1) * p.sum() for i, p in enumerate(pieces)).backward()
    np.testing.assert_array_equal(_grad(x), [[1, 2, 6, 6]] * 3)


def test_cat_skipped_empty_input_gets_an_empty_gradient():
    a, b = _leaf(np.zeros(0)), _leaf([1.0, 2.0])
    lm.cat([a, b]).sum().backward()
    assert a.grad.shape == (0,)
    np.testing.assert_array_equal(_grad(b), [1, 1])


# -- what the rules save --------------------------------------------------------------------------

def test_where_saves_the_condition_only():
    x, y = _leaf([1.0, -2.0, 3.0]), _leaf([4.0, 5.0, 6.0])
    cond = lm.tensor([True, False, True])
    a, b = x * 1, y * 1
    out = lm.where(cond, a, b)
    a.add_(1)  # the branches are not read by the rule
    b.mul_(2)
    out.backward(lm.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(_grad(x), [1, 0, 3])
    np.testing.assert_array_equal(_grad(y), [0, 2, 0])
    out = lm.where(cond, x * 1, y)
    cond[1] = True
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize("op", [
    lambda a: a.index_select(0, lm.tensor([0, 0, 2])),
    lambda a: a[lm.tensor([2, 0])],
    lambda a: a[1:],
    lambda a: a.flip(0),
    lambda a: a.repeat(2),
    lambda a: lm.cat([a, a]),
    lambda a: a.unbind(0)[1],
    lambda a: a.index_put((lm.tensor([1]),), lm.tensor([5.0], dtype=lm.float64)),
    lambda a: a.unsqueeze(0).expand(2, 3).diagonal(),
], ids=["index_select", "index", "slice", "flip", "repeat", "cat", "unbind", "index_put",
        "diagonal"])
def test_linear_ops_save_nothing(op):
    # Writing the input in place before backward is fine: the rules read no values (the sweep
    # checks the numbers).
    x = _leaf([1.0, 2.0, 3.0])
    a = x * 1
    y = op(a)
    a.mul_(3)
    y.sum().backward()
    assert x.grad.shape == (3,)


def test_index_put_values_not_saved():
    x, v = _x(), _v()
    w = v * 1
    y = x.index_put((lm.tensor([0, 2, 4]),), w)
    w.add_(10)
    _backward(y)
    np.testing.assert_array_equal(_grad(v), [10, 12, 14])


# -- integer and complex operands -----------------------------------------------------------------

def test_integer_operands_get_no_gradient():
    x = _leaf([1.0, 2.0])
    i = lm.tensor([3, 4])
    y = lm.cat([i, x])
    assert y.dtype == lm.float64
    y.backward(lm.tensor([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(_grad(x), [3, 4])
    x = _leaf([1.0, 2.0])
    lm.where(lm.tensor([True, False]), i, x).backward(lm.tensor([5.0, 6.0]))
    np.testing.assert_array_equal(_grad(x), [0, 6])
    x = _leaf([1.0, 2.0])
    lm.where(lm.tensor([True, False]), x, 7).backward(lm.tensor([5.0, 6.0]))
    np.testing.assert_array_equal(_grad(x), [5, 0])


def test_where_broadcasting_sums_down():
    rng = np.random.default_rng(1)
    c = rng.random((3, 4)) < 0.5
    a, b = rng.standard_normal((3, 1)), rng.standard_normal((4,))
    g = rng.standard_normal((3, 4))
    ta, tb = _leaf(a), _leaf(b)
    lm.where(lm.tensor(c), ta, tb).backward(lm.tensor(g))
    np.testing.assert_allclose(_grad(ta), np.where(c, g, 0).sum(1, keepdims=True))
    np.testing.assert_allclose(_grad(tb), np.where(c, 0, g).sum(0))


def test_complex_gradients_are_the_cotangent_moved():
    rng = np.random.default_rng(2)
    a = rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4))
    g = rng.standard_normal((4, 4)) + 1j * rng.standard_normal((4, 4))
    x = lm.tensor(a, requires_grad=True)
    idx = np.array([2, 0, 2, 1])
    x[lm.tensor(idx)].flip(1).backward(lm.tensor(g))
    expected = np.zeros_like(a)
    np.add.at(expected, idx, g[:, ::-1])
    np.testing.assert_allclose(x.grad.numpy(), expected)
    # A complex value filled into a complex tensor gets the sum of the masked cotangent.
    v = lm.tensor(np.complex128(1 - 2j), requires_grad=True)
    m = rng.random((3, 4)) < 0.5
    lm.masked_fill(lm.tensor(a), lm.tensor(m), v).backward(lm.tensor(g[:3]))
    np.testing.assert_allclose(v.grad.numpy(), g[:3][m].sum())


# -- in-place writes into non-leaf tensors --------------------------------------------------------

def _inplace_cases():
    idx = lm.tensor([2, 0, 2])
    mask = lm.tensor([[True, False, True, False]] * 3)

    def setitem_basic(x, v):
        a = x * 1
        a[1:, ::2] = v[:2, :2]
        return a

    def setitem_advanced(x, v):
        a = x * 1
        a[lm.tensor([0, 2]), 1:3] = v[:2, 1:3]
        return a

    def setitem_through_view(x, v):
        a = x * 1
        b = a.t()[1]
        b[lm.tensor([2, 0])] = v[0, :2] * 2
        return a * a

    def index_put_(x, v):
        return (x * 1).index_put_((idx[:2], lm.tensor([1, 3])), v[0, :2], accumulate=True)

    def masked_fill_(x, v):
        return (x * 1).masked_fill_(mask, v[1, 1])

    def scatter_(x, v):
        return (x * 1).scatter_(1, lm.tensor([[3, 1], [0, 2], [1, 0]]), v[:, :2])

    def scatter_add_(x, v):
        return (x * 1).scatter_add_(0, lm.tensor([[2, 2, 0, 1]]), v[:1])

    def index_fill_(x, v):
        return (x * 1).index_fill_(1, lm.tensor([1, -1]), v[2, 0])

    def index_add_(x, v):
        return (x * 1).index_add_(0, idx, v, alpha=0.5)

    def put_(x, v):
        return (x * 1).put_(lm.tensor([0, 11, 5]), v[0, :3])

    def transpose_(x, v):
        a = x * v
        a.transpose_(0, 1)
        return a * lm.arange(12.0, dtype=lm.float64).reshape(4, 3)

    def unsqueeze_squeeze_t_(x, v):
        a = x * v
        a.unsqueeze_(0)
        b = a * 2
        b.squeeze_(0)
        b.t_()
        return b * lm.arange(12.0, dtype=lm.float64).reshape(4, 3)

    def tril_triu_(x, v):
        a = x * v
        return a.tril_(1) + (x * 1).triu_(-1)

    def write_into_diagonal(x, v):
        a = x * 1
        a.diagonal().copy_(v[0, :3])
        return a

    return [setitem_basic, setitem_advanced, setitem_through_view, index_put_, masked_fill_,
            scatter_, scatter_add_, index_fill_, index_add_, put_, transpose_,
            unsqueeze_squeeze_t_, tril_triu_, write_into_diagonal]


@pytest.mark.parametrize("fn", _inplace_cases(), ids=lambda f: f.__name__)
def test_inplace_on_non_leaf_against_finite_differences(fn):
    rng = np.random.default_rng(3)
    x = lm.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    v = lm.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(fn, (x, v))
    assert gradgradcheck(fn, (x, v))


def test_setitem_gradient_values():
    # NumPy-computed: the overwritten region's gradient goes to the value, the rest to x.
    rng = np.random.default_rng(4)
    g = rng.standard_normal((3, 4))
    x, v = _leaf(rng.standard_normal((3, 4))), _leaf(rng.standard_normal((2, 2)))
    a = x * 1
    a[1:, ::2] = v
    a.backward(lm.tensor(g))
    expected = g.copy()
    expected[1:, ::2] = 0
    np.testing.assert_array_equal(_grad(x), expected)
    np.testing.assert_array_equal(_grad(v), g[1:, ::2])


def test_metadata_change_after_an_unsaved_use():
    # add reads only its input's shape, which a later t_() / unsqueeze_() must not change.
    x = _leaf(np.arange(12.0).reshape(3, 4))
    a = x * 1
    b = a + 1
    a.t_()
    c = x * 1
    c.unsqueeze_(0)
    (b.sum() + c.sum()).backward()
    np.testing.assert_array_equal(_grad(x), np.full((3, 4), 2.0))
    # mul reads its inputs' values, and t_() bumps the version, as in PyTorch.
    a = x * 1
    b = a * a
    a.t_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()
