"""lamina.sparse: COO construction, coalescing, conversions, arithmetic, products and their
gradients against SciPy and NumPy; reprs and error messages as PyTorch prints them."""

import numpy as np
import pytest
import scipy.sparse

import lamina as lm

# Row 1, col 0 appears twice: an uncoalesced pattern, out of lexicographic order.
IDX = np.array([[1, 0, 1, 2], [0, 2, 0, 1]])
VAL = np.array([1.0, 2.0, 3.0, 4.0])
SHAPE = (3, 4)


def _scipy(idx=IDX, val=VAL, shape=SHAPE):
    return scipy.sparse.coo_matrix((val, (idx[0], idx[1])), shape=shape)


def _sparse(**kwargs):
    return lm.sparse_coo_tensor(IDX, VAL, SHAPE, **kwargs)


# -- construction and metadata ------------------------------------------------------------------

def test_construction_keeps_indices_values_and_metadata():
    s = _sparse()
    np.testing.assert_array_equal(s._indices().numpy(), IDX)
    np.testing.assert_array_equal(s._values().numpy(), VAL)
    assert s.shape == lm.Size(SHAPE) and s.size() == s.shape and s.size(-1) == 4
    assert (s.ndim, s.dim(), s._nnz(), s.sparse_dim(), s.dense_dim()) == (2, 2, 4, 2, 0)
    assert s.dtype is lm.float64 and s.device == lm.device("cpu")
    assert s.is_sparse and s.layout is lm.sparse_coo and not s.is_coalesced()
    assert not lm.zeros(2).is_sparse and lm.zeros(2).layout is lm.strided


def test_construction_copies_arrays_and_shares_tensors():
    idx, val = IDX.copy(), VAL.copy()
    s = lm.sparse_coo_tensor(idx, val, SHAPE)
    s._values().mul_(2)
    s._indices().zero_()
    np.testing.assert_array_equal(val, VAL)
    np.testing.assert_array_equal(idx, IDX)
    tidx, tval = lm.tensor(IDX), lm.tensor(VAL)
    s = lm.sparse_coo_tensor(tidx, tval, SHAPE)
    s._values().mul_(2)
    np.testing.assert_array_equal(tval.numpy(), 2 * VAL)
    assert s._indices() is tidx


def test_layout_reprs():
    assert (repr(lm.strided), repr(lm.sparse_coo)) == ("lamina.strided", "lamina.sparse_coo")


def test_size_is_inferred_from_indices_and_dense_dims():
    s = lm.sparse_coo_tensor(IDX, VAL)
    assert s.shape == lm.Size([3, 3])
    hybrid = lm.sparse_coo_tensor([[0, 4]], np.ones((2, 5)))
    assert hybrid.shape == lm.Size([5, 5]) and hybrid.sparse_dim() == 1
    assert hybrid.dense_dim() == 1


def test_dtype_and_is_coalesced_arguments():
    s = lm.sparse_coo_tensor(IDX, VAL, SHAPE, dtype=lm.float32, is_coalesced=True)
    assert s.dtype is lm.float32 and s._values().dtype is lm.float32 and s.is_coalesced()
    assert s._indices().dtype is lm.int64


def test_indices_and_values_require_a_coalesced_tensor():
    s = _sparse()
    for method in (s.indices, s.values):
        with pytest.raises(RuntimeError, match=r"^Cannot get (indices|values) on an uncoalesced "
                                               r"tensor, please call \.coalesce\(\) first$"):
            method()
    c = s.coalesce()
    assert c.indices() is c._indices() and c.values() is c._values()


# -- coalesce and conversions -------------------------------------------------------------------

def test_coalesce_sums_duplicates_in_lexicographic_order():
    c = _sparse().coalesce()
    ref = _scipy().tocsr()
    ref.sum_duplicates()
    ref = ref.tocoo()   # CSR order is row-major, i.e. lexicographic
    np.testing.assert_array_equal(c.indices().numpy(), np.stack([ref.row, ref.col]))
    np.testing.assert_allclose(c.values().numpy(), ref.data)
    assert c.is_coalesced() and c._nnz() == 3
    assert c.coalesce() is c


def test_to_dense_sums_duplicates():
    np.testing.assert_allclose(_sparse().to_dense().numpy(), _scipy().toarray())


def test_hybrid_to_dense_and_back():
    dense = np.zeros((4, 3, 2))
    dense[1] = np.arange(6.0).reshape(3, 2)
    dense[3, 2, 1] = 7.0
    x = lm.tensor(dense)
    for sparse_dim, nnz in ((1, 2), (2, 4), (3, 6)):
        s = x.to_sparse(sparse_dim)
        assert (s.sparse_dim(), s.dense_dim(), s._nnz()) == (sparse_dim, 3 - sparse_dim, nnz)
        assert s.is_coalesced()
        np.testing.assert_array_equal(s.to_dense().numpy(), dense)
    np.testing.assert_array_equal(x.to_sparse().indices().numpy(), np.stack(np.nonzero(dense)))


def test_to_sparse_of_a_matrix_matches_scipy():
    dense = _scipy().toarray()
    s = lm.tensor(dense).to_sparse()
    ref = scipy.sparse.coo_matrix(dense)
    np.testing.assert_array_equal(s.indices().numpy(), np.stack([ref.row, ref.col]))
    np.testing.assert_array_equal(s.values().numpy(), ref.data)
    assert s.to_sparse() is s


def test_transpose():
    t = _sparse().t()
    assert t.shape == lm.Size([4, 3]) and not t.is_coalesced()
    np.testing.assert_allclose(t.to_dense().numpy(), _scipy().T.toarray())
    vec = lm.sparse_coo_tensor([[0, 2]], [1.0, 2.0])
    assert vec.t() is vec


# -- arithmetic -----------------------------------------------------------------------------------

def test_add_of_uncoalesced_operands_concatenates():
    other = lm.sparse_coo_tensor([[2], [3]], [5.0], SHAPE)
    r = _sparse() + other
    assert r._nnz() == 5 and not r.is_coalesced()
    np.testing.assert_allclose(r.to_dense().numpy(),
                               (_scipy() + _scipy([[2], [3]], [5.0])).toarray())


def test_add_of_coalesced_operands_is_coalesced():
    a, b = _sparse().coalesce(), (_sparse() * 2).coalesce()
    r = a + b
    assert r.is_coalesced() and r._nnz() == 3
    np.testing.assert_allclose(r.to_dense().numpy(), 3 * _scipy().toarray())


def test_add_alpha_sub_and_self_addition():
    s = _sparse()
    np.testing.assert_allclose(s.add(s.t().t(), alpha=3).to_dense().numpy(),
                               4 * _scipy().toarray())
    assert (s - s.t().t()).to_dense().abs().max().item() == 0
    twice = s + s
    assert twice._nnz() == 4 and not twice.is_coalesced()
    np.testing.assert_allclose(twice.to_dense().numpy(), 2 * _scipy().toarray())


def test_scalar_multiplication_division_and_negation():
    s = _sparse()
    ref = _scipy().toarray()
    for result, expected in ((s * 2.5, ref * 2.5), (3 * s, 3 * ref), (s / 4, ref / 4),
                             (-s, -ref)):
        np.testing.assert_allclose(result.to_dense().numpy(), expected)
        assert result._nnz() == 4
    assert (s.coalesce() * 2).is_coalesced()


def test_sum_over_everything_and_over_dims():
    s = _sparse()
    ref = _scipy().toarray()
    total = lm.sparse.sum(s)
    assert isinstance(total, lm.Tensor) and total.item() == ref.sum()
    for dim in (0, 1, -1):
        r = lm.sparse.sum(s, dim)
        assert r.is_sparse and r.is_coalesced()
        np.testing.assert_allclose(r.to_dense().numpy(), ref.sum(dim))
    np.testing.assert_allclose(lm.sparse.sum(s, (0, 1)).numpy(), ref.sum())
    assert s.sum().item() == ref.sum()


def test_sum_of_a_hybrid_tensor_over_a_dense_dim():
    dense = np.arange(24.0).reshape(2, 3, 4) * (np.arange(2) == 1)[:, None, None]
    s = lm.tensor(dense).to_sparse(2)
    np.testing.assert_allclose(lm.sparse.sum(s, 2).to_dense().numpy(), dense.sum(2))
    np.testing.assert_allclose(lm.sparse.sum(s, (0, 2)).to_dense().numpy(), dense.sum((0, 2)))
    np.testing.assert_allclose(lm.sparse.sum(s, (0, 1)).numpy(), dense.sum((0, 1)))


# -- products -------------------------------------------------------------------------------------

D = np.arange(8.0).reshape(4, 2) - 3.0


@pytest.mark.parametrize("form", ["sparse.mm", "mm", "matmul", "operator", "method"])
def test_products_match_scipy(form):
    s, d = _sparse(), lm.tensor(D)
    fn = {"sparse.mm": lm.sparse.mm, "mm": lm.mm, "matmul": lm.matmul,
          "operator": lambda a, b: a @ b, "method": lambda a, b: a.mm(b)}[form]
    np.testing.assert_allclose(fn(s, d).numpy(), _scipy() @ D)


def test_products_of_random_patterns_match_scipy():
    """Unsorted rows, duplicates, empty rows and columns, complex values; coalesced or not."""
    rng = np.random.default_rng(1)
    for m, k, nnz in [(7, 5, 20), (1, 9, 3), (6, 1, 4), (5, 5, 0)]:
        idx = np.vstack([rng.integers(0, m, nnz), rng.integers(0, k, nnz)])
        val = rng.standard_normal(nnz) + 1j * rng.standard_normal(nnz)
        d = rng.standard_normal((k, 3)) + 1j * rng.standard_normal((k, 3))
        s = lm.sparse_coo_tensor(idx, val, (m, k))
        expected = _scipy(idx, val, (m, k)) @ d
        for sparse in (s, s.coalesce(), s.t().t()):
            np.testing.assert_allclose(lm.sparse.mm(sparse, lm.tensor(d)).numpy(), expected)


@pytest.mark.parametrize("threads", [1, 2, 3])
@pytest.mark.parametrize("m, k, nnz", [(300, 200, 9000), (1, 5000, 20000), (4000, 2, 16000)])
def test_large_products_split_into_row_blocks_match_scipy(threads, m, k, nnz):
    """Big enough to be split over lamina's threads: blocks of equal entries, a block of one
    row (or none), unsorted duplicates, a non-contiguous dense operand, float32."""
    rng = np.random.default_rng(m)
    idx = np.vstack([rng.integers(0, m, nnz), rng.integers(0, k, nnz)])
    val = rng.standard_normal(nnz).astype(np.float32)
    d = rng.standard_normal((64, k)).astype(np.float32).T
    before = lm.get_num_threads()
    lm.set_num_threads(threads)
    try:
        s = lm.sparse_coo_tensor(idx, val, (m, k))
        expected = _scipy(idx, val.astype(np.float64), (m, k)) @ d.astype(np.float64)
        for sparse in (s, s.coalesce()):
            r = lm.sparse.mm(sparse, lm.from_numpy(d))
            assert r.dtype == lm.float32
            np.testing.assert_allclose(r.numpy(), expected, rtol=1e-4, atol=1e-4)
    finally:
        lm.set_num_threads(before)


def test_products_see_values_and_indices_changed_in_place():
    """The CSR pattern kept between products must follow the indices; values are read afresh."""
    s, d = _sparse(), lm.tensor(D)
    lm.sparse.mm(s, d)
    s._values().mul_(2)
    np.testing.assert_allclose(lm.sparse.mm(s, d).numpy(), _scipy(val=2 * VAL) @ D)
    s._indices()[0].copy_(lm.tensor([2, 2, 0, 1]))
    idx = np.array([[2, 2, 0, 1], [0, 2, 0, 1]])
    np.testing.assert_allclose(lm.sparse.mm(s, d).numpy(), _scipy(idx, 2 * VAL) @ D)


def test_matrix_vector_product():
    v = np.array([1.0, -2.0, 0.5, 3.0])
    r = lm.matmul(_sparse(), lm.tensor(v))
    assert r.shape == lm.Size([3])
    np.testing.assert_allclose(r.numpy(), _scipy() @ v)


@pytest.mark.parametrize("addmm", [lm.addmm, lm.sparse.addmm,
                                   lambda m, a, b, **kw: m.addmm(a, b, **kw)])
def test_addmm_with_a_sparse_operand(addmm):
    m = np.full((3, 2), 0.5)
    r = addmm(lm.tensor(m), _sparse(), lm.tensor(D), beta=2, alpha=-3)
    np.testing.assert_allclose(r.numpy(), 2 * m - 3 * (_scipy() @ D))
    nan = lm.full((3, 2), float("nan"), dtype=lm.float64)
    np.testing.assert_allclose(lm.addmm(nan, _sparse(), lm.tensor(D), beta=0).numpy(),
                               _scipy() @ D)


def test_dense_products_still_work():
    a = lm.tensor(D.T)
    np.testing.assert_allclose(lm.mm(a, lm.tensor(D)).numpy(), D.T @ D)
    np.testing.assert_allclose(lm.addmm(lm.zeros(2, 2, dtype=lm.float64), a,
                                        lm.tensor(D)).numpy(), D.T @ D)


# -- gradients -------------------------------------------------------------------------------------

def _loss_grads(make_sparse, product=lm.sparse.mm):
    """Gradients of sum((S @ D)**2): dL/dY = 2 Y, dL/dD = S^T (2 Y), dL/dS = (2 Y) D^T."""
    d = lm.tensor(D, requires_grad=True)
    s = make_sparse()
    (product(s, d) ** 2).sum().backward()
    g = 2 * (_scipy() @ D)
    return s, d, g


def test_gradient_wrt_the_dense_operand():
    _, d, g = _loss_grads(_sparse)
    np.testing.assert_allclose(d.grad.numpy(), _scipy().T @ g)


def test_gradient_of_a_sparse_leaf_is_masked_to_its_pattern():
    s, _, g = _loss_grads(lambda: _sparse(requires_grad=True))
    assert s.requires_grad and s.is_leaf and s.grad_fn is None
    full = g @ D.T
    grad = s.grad
    assert grad.is_sparse and grad.is_coalesced() and grad._nnz() == 3
    pattern = _scipy().toarray() != 0
    np.testing.assert_allclose(grad.to_dense().numpy(), np.where(pattern, full, 0))


def test_gradient_of_a_leaf_without_duplicates_keeps_its_indices():
    idx, val = IDX[:, 1:], VAL[1:]
    s = lm.sparse_coo_tensor(idx, val, SHAPE, requires_grad=True)
    (lm.mm(s, lm.tensor(D)) ** 2).sum().backward()
    g = 2 * (_scipy(idx, val) @ D)
    np.testing.assert_array_equal(s.grad._indices().numpy(), idx)
    np.testing.assert_allclose(s.grad._values().numpy(), (g @ D.T)[idx[0], idx[1]])
    s.grad = None
    assert s.grad is None


def test_gradient_reaches_values_that_require_grad():
    v = lm.tensor(VAL, requires_grad=True)
    s, d, g = _loss_grads(lambda: lm.sparse_coo_tensor(IDX, v, SHAPE))
    assert s.requires_grad and not s.is_leaf and s.grad is None
    # Each stored entry, duplicates included, gets dL/dS at its position.
    np.testing.assert_allclose(v.grad.numpy(), (g @ D.T)[IDX[0], IDX[1]])
    np.testing.assert_allclose(d.grad.numpy(), _scipy().T @ g)


def test_gradients_through_coalesce_sum_and_to_dense():
    v = lm.tensor(VAL, requires_grad=True)
    s = lm.sparse_coo_tensor(IDX, v, SHAPE)
    weights = np.arange(12.0).reshape(3, 4)
    ((s.coalesce() * 2).to_dense() * lm.tensor(weights)).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), 2 * weights[IDX[0], IDX[1]])
    v.grad = None
    lm.sparse.sum(s, 0).to_dense().sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), np.ones(4))


def test_second_derivative_through_the_product():
    # L = sum((S D)^2) is quadratic in D: d/dD of <dL/dD, 1> = 2 S^T S 1.
    d = lm.tensor(D, requires_grad=True)
    (gd,) = lm.autograd.grad((lm.sparse.mm(_sparse(), d) ** 2).sum(), d, create_graph=True)
    gd.sum().backward()
    a = _scipy().toarray()
    np.testing.assert_allclose(d.grad.numpy(), 2 * a.T @ a @ np.ones((4, 2)))


# -- reprs ----------------------------------------------------------------------------------------

def test_repr():
    assert repr(_sparse()) == (
        "tensor(indices=tensor([[1, 0, 1, 2],\n"
        "                       [0, 2, 0, 1]]),\n"
        "       values=tensor([1., 2., 3., 4.]),\n"
        "       size=(3, 4), nnz=4, dtype=lamina.float64, layout=lamina.sparse_coo)")


def test_repr_of_hybrid_float32_and_requires_grad():
    s = lm.sparse_coo_tensor([[0, 1]], [[1.0, 2.0], [3.0, 4.0]], dtype=lm.float32,
                             requires_grad=True)
    assert repr(s) == (
        "tensor(indices=tensor([[0, 1]]),\n"
        "       values=tensor([[1., 2.],\n"
        "                      [3., 4.]]),\n"
        "       size=(2, 2), nnz=2, layout=lamina.sparse_coo, requires_grad=True)")


def test_repr_of_an_empty_tensor():
    s = lm.sparse_coo_tensor(lm.zeros(2, 0, dtype=lm.int64), lm.zeros(0), (2, 3))
    assert repr(s) == (
        "tensor(indices=tensor([], size=(2, 0)),\n"
        "       values=tensor([], size=(0,)),\n"
        "       size=(2, 3), nnz=0, layout=lamina.sparse_coo)")
    assert s.to_dense().abs().sum().item() == 0


# -- errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("indices, values, size, message", [
    ([[0, 5], [0, 1]], [1.0, 2.0], (2, 3),
     "size is inconsistent with indices: for dim 0, size is 2 but found index 5"),
    (IDX, VAL, (3, 2), "size is inconsistent with indices: for dim 1, size is 2 but found index 2"),
    ([[-1, 0]], [1.0, 2.0], None, "found negative index -1 for dim 0"),
    ([[-1, 0]], [1.0, 2.0], (2,), "found negative index -1 for dim 0"),
    (IDX, VAL[:2], SHAPE, "indices and values must have same nnz, but got nnz from indices: 4, "
                          "nnz from values: 2"),
    (IDX[0], VAL, None, "indices must be sparse_dim x nnz, but got: [4]"),
    (IDX, VAL, (3, 4, 5), "'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) = 3, "
                          "sparse_dim = 2, dense_dim = 0"),
    ([[0, 1]], np.ones((2, 3)), (2, 4), "values has incorrect size, expected [2, 4], got [2, 3]"),
])
def test_construction_errors(indices, values, size, message):
    with pytest.raises(RuntimeError) as info:
        lm.sparse_coo_tensor(indices, values, size)
    assert str(info.value) == message


def test_integer_values_cannot_require_grad():
    with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype "
                                           "can require gradients$"):
        lm.sparse_coo_tensor([[0]], [1], requires_grad=True)


def test_arithmetic_and_conversion_errors():
    s = _sparse()
    with pytest.raises(RuntimeError, match=r"^add: expected sizes of 'self' and 'other' to "
                                           r"match, but \[3, 4\] != \[3, 3\]$"):
        s + lm.sparse_coo_tensor(IDX, VAL)
    with pytest.raises(RuntimeError, match=r"^add\(sparse, dense\) is not supported. Use "
                                           r"add\(dense, sparse\) instead.$"):
        s + lm.ones(3, 4)
    with pytest.raises(RuntimeError, match=r"^dense_to_sparse: sparse_dim argument must be in "
                                           r"\[0,2\] range, but 3 is given$"):
        lm.ones(2, 2).to_sparse(3)
    hybrid = lm.sparse_coo_tensor([[0, 1]], np.ones((2, 2)))
    with pytest.raises(RuntimeError, match=r"^t\(\) expects a tensor with <= 2 sparse and 0 "
                                           r"dense dimensions, but got 1 sparse and 1 dense "
                                           r"dimensions$"):
        hybrid.t()


def test_product_errors():
    s = _sparse()
    with pytest.raises(RuntimeError, match=r"^addmm: Argument #3 \(dense\): Expected dim 0 size "
                                           r"4, got 3$"):
        lm.sparse.mm(s, lm.ones(3, 2, dtype=lm.float64))
    with pytest.raises(RuntimeError, match="^expected scalar type Double but found Float$"):
        lm.mm(s, lm.ones(4, 2))


@pytest.mark.parametrize("name, kind, message", [
    ("view", NotImplementedError, "Could not run 'aten::view' with arguments from the "
                                  "'SparseCPU' backend."),
    ("exp", NotImplementedError, "Could not run 'aten::exp' with arguments from the 'SparseCPU' "
                                 "backend."),
    ("reshape", RuntimeError, "reshape is not implemented for sparse tensors"),
    ("numpy", TypeError, "can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() "
                         "first."),
    ("data_ptr", RuntimeError, "Cannot access data pointer of Tensor that doesn't have storage"),
])
def test_dense_only_operations_name_the_op_and_the_layout(name, kind, message):
    with pytest.raises(kind) as info:
        getattr(_sparse(), name)
    assert str(info.value).startswith(message)
    with pytest.raises(AttributeError):
        _sparse().no_such_attribute  # noqa: B018


def test_products_write_into_out():
    out = lm.empty(3, 2, dtype=lm.float64)
    assert lm.mm(_sparse(), lm.tensor(D), out=out) is out
    np.testing.assert_allclose(out.numpy(), _scipy() @ D)
    out = lm.empty(3, 2, dtype=lm.float64)
    lm.addmm(lm.ones(3, 2, dtype=lm.float64), _sparse(), lm.tensor(D), out=out)
    np.testing.assert_allclose(out.numpy(), 1 + _scipy() @ D)
