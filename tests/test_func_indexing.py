"""vmap of subscripts whose index is a mapped 0-dim integer tensor: each batch element indexes
with its own int, which torch.func takes as an index tensor. Compared with NumPy, element by
element."""

import numpy as np
import pytest

import lamina as lm
from lamina.func import grad, vmap

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5))
IDX = np.array([0, 3, -1])


@pytest.mark.parametrize("name, f, ref", [
    ("t[i]", lambda t, i: t[i], lambda t, i: t[i]),
    ("t[i, 1:]", lambda t, i: t[i, 1:], lambda t, i: t[i, 1:]),
    ("t[:, i]", lambda t, i: t[:, i], lambda t, i: t[:, i]),
    ("t[..., i]", lambda t, i: t[..., i], lambda t, i: t[..., i]),
    ("t[i, [0, 2]]", lambda t, i: t[i, [0, 2]], lambda t, i: t[i, [0, 2]]),
])
def test_getitem_with_a_mapped_0dim_index(name, f, ref):
    idx = IDX % 4 if name == "t[..., i]" else IDX
    out = vmap(f)(lm.tensor(X), lm.tensor(idx))
    np.testing.assert_array_equal(out.numpy(), np.stack([ref(x, i) for x, i in zip(X, idx)]))


def test_mapped_0dim_index_is_an_index_tensor():
    # torch.func: the advanced dims go first when separated by a slice, unlike an eager int
    x = RNG.standard_normal((3, 4, 5, 6, 2))
    out = vmap(lambda t, i: t[:, [0, 1], :, i])(lm.tensor(x), lm.tensor([0, 1, 1]))
    want = np.stack([x[b][:, [0, 1], :, [i]].reshape(2, 4, 6) for b, i in enumerate([0, 1, 1])])
    np.testing.assert_array_equal(out.numpy(), want)


def test_unmapped_tensor_with_a_mapped_index_and_int32():
    idx = lm.tensor(IDX, dtype=lm.int32)
    out = vmap(lambda t, i: t[i], in_dims=(None, 0))(lm.tensor(X[0]), idx)
    np.testing.assert_array_equal(out.numpy(), X[0][IDX])


def test_setitem_with_a_mapped_0dim_index():
    def f(t, i):
        t = t.clone()
        t[i] = 100.0
        t[:, i] = -1.0
        return t
    out = vmap(f)(lm.tensor(X), lm.tensor(IDX))
    want = X.copy()
    for b, i in enumerate(IDX):
        want[b][i] = 100.0
        want[b][:, i] = -1.0
    np.testing.assert_array_equal(out.numpy(), want)
    def g(t, i):
        t[i, 1:] = 7.0
        return t
    y = lm.tensor(X)
    vmap(g)(y, lm.tensor(IDX))  # in place
    np.testing.assert_array_equal(y.numpy()[np.arange(3), IDX, 1:], 7.0)


def test_mapped_0dim_index_errors():
    with pytest.raises(IndexError, match="index 7 is out of bounds"):
        vmap(lambda t, i: t[i])(lm.tensor(X), lm.tensor([0, 1, 7]))
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or "
                                         "bool tensors"):
        vmap(lambda t, i: t[i])(lm.tensor(X), lm.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match="Attempting to batch over indexing with a boolean"):
        vmap(lambda t, i: t[i])(lm.tensor(X), lm.tensor([True, False, True]))


def test_grad_through_an_index_computed_from_the_input():
    g = vmap(grad(lambda x: 2 * x[x.argmax()]))(lm.tensor([[1.0, 3.0, 2.0], [5.0, 0.0, 0.0]]))
    np.testing.assert_array_equal(g.numpy(), [[0, 2, 0], [2, 0, 0]])


# -- argwhere and nonzero: torch.func loops argwhere over the batch (and warns), refuses nonzero --

ARGWHERE_WARNING = "There is a performance drop because we have not yet implemented the " \
                   "batching rule for aten::argwhere"


def test_argwhere_with_equal_counts_per_element():
    x = np.array([[[1.0, 0.0], [0.0, 2.0]], [[0.0, 3.0], [4.0, 0.0]], [[0.0, 0.0], [5.0, 6.0]]])
    with pytest.warns(UserWarning, match=ARGWHERE_WARNING):
        out = vmap(lm.argwhere)(lm.tensor(x))
    np.testing.assert_array_equal(out.numpy(), np.stack([np.argwhere(e) for e in x]))
    with pytest.warns(UserWarning, match=ARGWHERE_WARNING):
        out = vmap(lambda t: t.argwhere(), in_dims=1)(lm.tensor(x.transpose(1, 0, 2)))
    np.testing.assert_array_equal(out.numpy(), np.stack([np.argwhere(e) for e in x]))


def test_argwhere_with_different_counts_and_nonzero():
    x = lm.tensor([[1.0, 0.0, 2.0], [0.0, 0.0, 4.0]])
    with pytest.warns(UserWarning, match=ARGWHERE_WARNING), \
            pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but "
                                              r"got \[2, 1\] at entry 0 and \[1, 1\] at entry 1"):
        vmap(lm.argwhere)(x)
    with pytest.raises(RuntimeError, match="Attempted to vmap over aten::nonzero"):
        vmap(lm.nonzero)(lm.ones(2, 3))
