"""Hand-written tests for lamina/_ops/contraction.py: how contractions are lowered and ordered
(which the op table cannot see), PyTorch's broadcasting of size-1 labels, dtype rules, views and
warnings. Values and error messages of ordinary calls are in tests/opdb/contraction.py."""

from collections import Counter

import numpy as np
import pytest

import lamina as lm
from lamina._ops import contraction
from lamina._ops.primitive import REGISTRY


def _t(*shape, dtype=np.float64, seed=0):
    return lm.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


@pytest.fixture
def calls(monkeypatch):
    """Counts the forward calls of every primitive, by name, while a test runs."""
    counts = Counter()
    for name, prim in REGISTRY.items():
        slot = "cpu" if prim.cpu is not None else "xp"
        body = getattr(prim, slot)

        def counted(*args, _body=body, _name=name, **kwargs):
            counts[_name] += 1
            return _body(*args, **kwargs)
        monkeypatch.setattr(prim, slot, counted)
    return counts


# -- lowering onto the batched product ------------------------------------------------------------

@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("ijk,lj->kli", [(2, 3, 4), (5, 3)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("iij,jk->ik", [(3, 3, 4), (4, 2)]),
    ("abc,bcd->ad", [(2, 3, 4), (3, 4, 5)]),
])
def test_two_operand_contraction_is_one_batched_product(calls, equation, shapes):
    ops = [_t(*s, seed=k) for k, s in enumerate(shapes)]
    result = lm.einsum(equation, *ops)
    assert calls["gemm"] == 1, dict(calls)
    expected = np.einsum(equation, *[o.numpy() for o in ops])
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_no_contraction_is_a_broadcasting_product(calls):
    lm.einsum("bi,bj->bij", _t(3, 4), _t(3, 5))
    assert calls["gemm"] == 0 and calls["mul"] == 1


def test_pairwise_contraction_of_three_operands(calls):
    lm.einsum("ij,jk,kl->il", _t(2, 3), _t(3, 4), _t(4, 5))
    assert calls["gemm"] == 2


def test_tensordot_is_one_product(calls):
    lm.tensordot(_t(2, 3, 4), _t(3, 4, 5), dims=2)
    assert calls["gemm"] == 1


# -- contraction order ----------------------------------------------------------------------------

def test_greedy_pair_picks_the_small_intermediate():
    # ij,jk,km->im with i = k = 1000 and j = m = 2: (ij,jk) would build a 1000x1000 matrix,
    # (jk,km) a 2x2 one; the other way round with i = k = 2 and j = m = 1000.
    i, j, k, m = range(4)
    sizes = {i: 1000, j: 2, k: 1000, m: 2}
    assert contraction.greedy_pair([[i, j], [j, k], [k, m]], {i, m}, sizes) == (1, 2)
    sizes = {i: 2, j: 1000, k: 2, m: 1000}
    assert contraction.greedy_pair([[i, j], [j, k], [k, m]], {i, m}, sizes) == (0, 1)


def test_greedy_pair_prefers_shared_labels_over_outer_products():
    a, b, c = range(3)
    sizes = {a: 2, b: 2, c: 50}
    # Operands 0 and 1 share nothing (an outer product of size 4); 1 and 2 share c.
    assert contraction.greedy_pair([[a], [b, c], [c]], {a, b}, sizes) == (1, 2)


def test_einsum_follows_the_greedy_order(monkeypatch):
    shapes = []

    def recording(a, b):
        shapes.append((tuple(a.shape), tuple(b.shape)))
        return lm.bmm(a, b)
    monkeypatch.setattr(contraction, "bmm", recording)
    a, b, c = _t(1000, 2), _t(2, 1000), _t(1000, 2)
    result = lm.einsum("ij,jk,kl->il", a, b, c)
    # The 2x1000 @ 1000x2 product comes first, then the thin product with the 1000x2 matrix.
    assert shapes[0] == ((1, 2, 1000), (1, 1000, 2))
    expected = a.numpy() @ (b.numpy() @ c.numpy())
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-10)


@pytest.mark.parametrize("dims, order", [
    ([10, 100, 5, 50], ((0, 1), 2)),                                   # CLRS 15.2
    ([1000, 2, 1000, 2], (0, (1, 2))),
    ([30, 35, 15, 5, 10, 20, 25], ((0, (1, 2)), ((3, 4), 5))),          # CLRS figure 15.5
    ([2, 10, 1, 10, 2], ((0, 1), (2, 3))),
    ([3, 4], 0),
    ([3, 4, 5], (0, 1)),
])
def test_chain_order(dims, order):
    assert contraction.chain_order(dims) == order


def test_multi_dot_multiplies_in_the_chosen_order(monkeypatch):
    shapes = []

    def recording(a, b):
        shapes.append((tuple(a.shape), tuple(b.shape)))
        return lm.mm(a, b)
    monkeypatch.setattr(contraction, "mm", recording)
    mats = [_t(1000, 2, seed=0), _t(2, 1000, seed=1), _t(1000, 2, seed=2)]
    result = lm.linalg.multi_dot(mats)
    assert shapes == [((2, 1000), (1000, 2)), ((1000, 2), (2, 2))]
    expected = np.linalg.multi_dot([m.numpy() for m in mats])
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-10)


def test_multi_dot_vectors_at_the_ends():
    v, m, w = _t(3), _t(3, 4), _t(4)
    assert lm.linalg.multi_dot([v, m, w]).shape == ()
    assert lm.linalg.multi_dot([v, m]).shape == (4,)
    assert lm.linalg.multi_dot([m, w]).shape == (3,)


# -- PyTorch's broadcasting of size-1 labels ------------------------------------------------------

def test_einsum_size_one_label_broadcasts():
    a, b = _t(1), _t(3)
    np.testing.assert_allclose(lm.einsum("i,i->", a, b).item(), a.item() * b.numpy().sum())
    np.testing.assert_allclose(lm.einsum("i,i->i", a, b).numpy(), a.item() * b.numpy())
    x, y = _t(1, 2, 3), _t(4, 3, 5)
    result = lm.einsum("bij,bjk->bik", x, y)
    np.testing.assert_allclose(result.numpy(), x.numpy() @ y.numpy(), rtol=1e-12)


def test_tensordot_size_one_contracted_dim_broadcasts():
    a, b = _t(2, 1, 4), _t(3, 4, 5)
    expected = np.tensordot(a.numpy()[:, 0], b.numpy().sum(0), axes=1)
    np.testing.assert_allclose(lm.tensordot(a, b, dims=2).numpy(), expected, rtol=1e-12)


# -- dtypes ---------------------------------------------------------------------------------------

def test_einsum_dtypes():
    f, d = _t(3, dtype=np.float32), _t(3)
    # A product with nothing summed promotes (PyTorch multiplies there); a contraction does not.
    assert lm.einsum("i,j->ij", f, d).dtype is lm.float64
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        lm.einsum("i,i->", f, d)
    ints = lm.from_numpy(np.arange(6, dtype=np.int32).reshape(2, 3))
    assert lm.einsum("ij->", ints).dtype is lm.int64       # a sum promotes, as torch.sum does
    assert lm.einsum("ij->ji", ints).dtype is lm.int32
    assert lm.einsum("ij,jk->ik", ints, ints.T).dtype is lm.int32


def test_vecdot_conjugates_x():
    x = lm.from_numpy(np.array([1 + 2j]))
    y = lm.from_numpy(np.array([3 + 1j]))
    assert lm.linalg.vecdot(x, y).item() == pytest.approx(5 - 5j)


# -- views, aliases, warnings, out= ---------------------------------------------------------------

def test_einsum_permutation_and_diagonal_are_views():
    a = _t(3, 3)
    assert np.shares_memory(lm.einsum("ij->ji", a).numpy(), a.numpy())
    assert np.shares_memory(lm.einsum("ii->i", a).numpy(), a.numpy())


def test_chain_matmul_is_deprecated():
    a, b = _t(2, 3), _t(3, 4)
    with pytest.warns(UserWarning, match="chain_matmul is deprecated.*linalg.multi_dot"):
        result = lm.chain_matmul(a, b)
    np.testing.assert_allclose(result.numpy(), a.numpy() @ b.numpy())
    with pytest.warns(UserWarning):
        single = lm.chain_matmul(a)
    assert not np.shares_memory(single.numpy(), a.numpy())


def test_aliases_and_methods():
    assert lm.linalg.matmul is lm.matmul
    a, b = _t(2, 3), _t(2)
    np.testing.assert_array_equal(a.kron(b).numpy(), np.kron(a.numpy(), b.numpy()))


def test_out():
    a, b = _t(2, 3), _t(3, 4)
    out = lm.empty(2, 4, dtype=lm.float64)
    assert lm.linalg.multi_dot([a, b], out=out) is out
    np.testing.assert_allclose(out.numpy(), a.numpy() @ b.numpy())
    out = lm.empty(0, dtype=lm.float64)
    lm.tensordot(a, b, dims=1, out=out)
    np.testing.assert_allclose(out.numpy(), a.numpy() @ b.numpy())
    out = lm.empty(4, 9, dtype=lm.float64)
    lm.kron(a, a, out=out)
    np.testing.assert_allclose(out.numpy(), np.kron(a.numpy(), a.numpy()))


# -- messages the table does not reach ------------------------------------------------------------

def test_error_messages():
    a = _t(2, 3)
    with pytest.raises(RuntimeError, match=r"found '\.' for output but an ellipsis \(\.\.\.\) "
                                           "was already found"):
        lm.einsum("ij->......", a)
    with pytest.raises(TypeError, match="linalg_multi_dot\\(\\): argument 'tensors' "
                                        "\\(position 1\\) must be tuple of Tensors, not Tensor"):
        lm.linalg.multi_dot(a)
    with pytest.raises(TypeError, match="expected Tensor as element 1 in argument 0, but got int"):
        lm.linalg.multi_dot([a, 3])
    with pytest.raises(AssertionError, match="dims tensor must have size 2 in first dimension"):
        lm.tensordot(a, a, dims=lm.tensor([[1, 0]]))
    with pytest.raises(TypeError, match="argument 'y' \\(position 2\\) must be Tensor, not int"):
        lm.linalg.vecdot(a, 3)
