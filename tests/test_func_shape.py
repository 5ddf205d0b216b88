"""vmap and jvp of the shape, joining and indexing families where the op-table sweeps cannot
reach: mapped dims in the middle, mixed mapped and unmapped operands of different ranks, lists of
tensors, index tuples, mapped index arrays, integer operands, constant fill values, complex
tangents, and vmap of grad / jacfwd against jacrev. References are NumPy or a loop over NumPy."""

import warnings

import numpy as np
import pytest

import lamina as lm
from lamina._ops.gather_scatter import index_p, index_put_p

B = 3
RNG = np.random.default_rng(7)


def _t(a):
    return lm.from_numpy(np.array(a))


def _normal(*shape, dtype=np.float64):
    a = RNG.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        a = a + 1j * RNG.standard_normal(shape)
    return a.astype(dtype)


def _vmap(fn, in_dims, *args):
    """vmap with the loop fallback's warning made an error: every primitive needs a rule."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="There is a performance drop")
        return lm.vmap(fn, in_dims=in_dims)(*args)


def _element(a, dim, b):
    return a if dim is None else np.take(a, b, axis=dim)


def _check(fn, ref, in_dims, *arrays):
    """vmap(fn) on tensors of `arrays` (mapped at in_dims) against a stack of ref per element."""
    got = _vmap(fn, in_dims, *[_t(a) for a in arrays])
    want = [ref(*[_element(a, d, b) for a, d in zip(arrays, in_dims)]) for b in range(B)]
    if isinstance(got, (tuple, list)):
        for g, *w in zip(got, *want):
            np.testing.assert_allclose(g.numpy(), np.stack(w), rtol=1e-12, atol=1e-12)
    else:
        np.testing.assert_allclose(got.numpy(), np.stack(want), rtol=1e-12, atol=1e-12)


# -- shape ops with the mapped dim in the middle or last ------------------------------------------

@pytest.mark.parametrize("bdim", [0, 1, 3])
@pytest.mark.parametrize("name,fn,ref", [
    ("view", lambda x: x.view(-1, 2), lambda a: a.reshape(-1, 2)),
    ("flatten", lambda x: x.flatten(), lambda a: a.reshape(-1)),
    ("transpose+view", lambda x: x.transpose(0, 2).reshape(12, 2), lambda a: a.transpose(2, 1, 0)
     .reshape(12, 2)),
    ("permute", lambda x: x.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    ("expand", lambda x: x[:, :1].expand(5, 2, 4, 3), lambda a: np.broadcast_to(a[:, :1],
                                                                               (5, 2, 4, 3))),
    ("narrow", lambda x: x.narrow(-1, 1, 2), lambda a: a[..., 1:3]),
    ("select", lambda x: x.select(1, -1), lambda a: a[:, -1]),
    ("unbind", lambda x: x.unbind(2), lambda a: tuple(np.moveaxis(a, 2, 0))),
    ("diagonal", lambda x: x.diagonal(1, 2, 0), lambda a: np.diagonal(a, 1, 2, 0)),
    ("diag_embed", lambda x: lm.diag_embed(x, -1, 0, 2), lambda a: _diag_embed(a, -1, 0, 2)),
    ("tril", lambda x: x.tril(-1), lambda a: np.tril(a, -1)),
    ("triu", lambda x: x.triu(1), lambda a: np.triu(a, 1)),
    ("repeat", lambda x: x.repeat(2, 1, 1, 2), lambda a: np.tile(a, (2, 1, 1, 2))),
    ("flip", lambda x: x.flip(0, -1), lambda a: np.flip(a, (0, -1))),
    ("roll", lambda x: x.roll(2), lambda a: np.roll(a, 2)),
    ("roll_dims", lambda x: x.roll((1, -1), (0, 2)), lambda a: np.roll(a, (1, -1), (0, 2))),
    ("clone", lambda x: x.mT.clone(memory_format=lm.contiguous_format), lambda a: a.swapaxes(-1,
                                                                                          -2)),
    ("contiguous_ravel", lambda x: x.mT.ravel(), lambda a: a.swapaxes(-1, -2).reshape(-1)),
    ("split", lambda x: x.split([1, 3], dim=1), lambda a: (a[:, :1], a[:, 1:])),
    ("chunk", lambda x: x.chunk(2, -1), lambda a: (a[..., :2], a[..., 2:])),
    ("getitem", lambda x: x[None, ..., 1:, None, ::2], lambda a: a[None, ..., 1:, None, ::2]),
    ("getitem_adv", lambda x: x[:, [3, 0, 0]], lambda a: a[:, [3, 0, 0]]),
    ("getitem_split", lambda x: x[[1, 0], :, [0, 2]], lambda a: a[[1, 0], :, [0, 2]]),
    ("getitem_mask", lambda x: x[..., np.array([True, False, True])],
     lambda a: a[..., np.array([True, False, True])]),
])
def test_vmap_shape_ops_any_bdim(name, fn, ref, bdim):
    x = np.moveaxis(_normal(B, 2, 4, 3), 0, bdim)
    _check(fn, ref, (bdim,), x)


def _diag_embed(a, offset, dim1, dim2):
    n = a.shape[-1] + abs(offset)
    out = np.zeros(a.shape[:-1] + (n, n), a.dtype)
    i = np.arange(a.shape[-1])
    out[..., i + max(-offset, 0), i + max(offset, 0)] = a
    return np.moveaxis(out, (-2, -1), (dim1, dim2))


def test_vmap_view_dtype_with_the_batch_last():
    x = _normal(2, 4, B)
    got = _vmap(lambda t: t.view(lm.int64), (2,), _t(x))
    want = np.stack([np.ascontiguousarray(x[..., b]).view(np.int64) for b in range(B)])
    np.testing.assert_array_equal(got.numpy(), want)


def test_vmap_of_integer_tensors():
    x = RNG.integers(-5, 5, (2, B, 3))
    _check(lambda t: t.flip(0).repeat(2, 1).mT, lambda a: np.tile(a[::-1], (2, 1)).T, (1,), x)


def test_nested_vmap_of_shape_ops():
    x = _normal(B, 2, 4, 5)
    got = lm.vmap(lm.vmap(lambda t: t.mT.reshape(-1)[1:], in_dims=1))(_t(x))
    want = np.stack([np.stack([x[b, :, j].T.reshape(-1)[1:] for j in range(4)])
                     for b in range(B)])
    np.testing.assert_allclose(got.numpy(), want)


# -- joining: lists of mapped and unmapped tensors ------------------------------------------------

@pytest.mark.parametrize("in_dims", [(0, None, 1), (None, 2, None), (1, 0, 0)])
@pytest.mark.parametrize("name,fn,ref", [
    ("cat", lambda *ts: lm.cat(ts, dim=-1), lambda *a: np.concatenate(a, axis=-1)),
    ("cat0", lambda *ts: lm.cat(ts), lambda *a: np.concatenate(a)),
    ("stack", lambda *ts: lm.stack(ts, 1), lambda *a: np.stack(a, 1)),
    ("hstack", lambda *ts: lm.hstack(ts), lambda *a: np.hstack(a)),
    ("vstack", lambda *ts: lm.vstack(ts), lambda *a: np.vstack(a)),
    ("dstack", lambda *ts: lm.dstack(ts), lambda *a: np.dstack(a)),
    ("column_stack", lambda *ts: lm.column_stack(ts), lambda *a: np.column_stack(a)),
])
def test_vmap_joining(name, fn, ref, in_dims):
    arrays = [_normal(*np.insert([2, 3], d, B)) if d is not None else _normal(2, 3)
              for d in in_dims]
    _check(fn, ref, in_dims, *arrays)


def test_vmap_cat_promotes_and_skips_empty_vectors():
    x = _normal(B, 2).astype(np.float32)
    i = RNG.integers(0, 9, (3,))
    empty = np.zeros((0,))
    got = _vmap(lambda a, b, e: lm.cat([a, b, e]), (0, None, None), _t(x), _t(i), _t(empty))
    assert got.dtype is lm.float64
    want = np.stack([np.concatenate([x[b], i, empty]) for b in range(B)])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
    got = _vmap(lambda e, f: lm.cat([e, f]), (0, None), _t(np.zeros((B, 0))), _t(empty))
    assert got.shape == (B, 0)


# -- indexing: unmapped index arrays with mapped tensors ------------------------------------------

I0 = np.array([1, 0])
I1 = np.array([2, 0, 2])
I2 = np.array([[0, 1, 2], [2, 2, 0]])


@pytest.mark.parametrize("in_dims", [(0, None), (1, None), (None, 0), (1, 1)])
@pytest.mark.parametrize("name,fn,ref", [
    ("index_select", lambda x, s: lm.index_select(x + s, 1, _t(I1)), lambda x, s: (x + s)[:, I1]),
    ("gather", lambda x, s: lm.gather(x * s, 1, _t(I2)), lambda x, s: np.take_along_axis(x * s,
                                                                                         I2, 1)),
    ("take", lambda x, s: lm.take(x - s, _t(I2)), lambda x, s: (x - s).reshape(-1)[I2]),
    ("take_along_dim", lambda x, s: lm.take_along_dim(x, _t(I2[:, :1]), 1) * s,
     lambda x, s: np.take_along_axis(x, I2[:, :1], 1) * s),
    ("index_add", lambda x, s: lm.index_add(x, 1, _t(I1), s), lambda x, s: _index_add(x, s)),
    ("index_fill", lambda x, s: lm.index_fill(x, 1, _t(I1), s[0, 0]),
     lambda x, s: _index_fill(x, s[0, 0])),
    ("scatter", lambda x, s: lm.scatter(x, 1, _t(I2[:, :2] % 3), s[:, :2]),
     lambda x, s: _scatter(x, I2[:, :2] % 3, s[:, :2], False)),
    ("scatter_add", lambda x, s: lm.scatter_add(x, 1, _t(I2), s),
     lambda x, s: _scatter(x, I2, s, True)),
    ("scatter_value", lambda x, s: lm.scatter(x + s, 1, _t(I2[:, :1]), value=2.5),
     lambda x, s: _scatter(x + s, I2[:, :1], np.full((2, 1), 2.5), False)),
    ("scatter_multiply", lambda x, s: lm.scatter(x, 1, _t(I2), s, reduce="multiply"),
     lambda x, s: _scatter(x, I2, s, "multiply")),
    ("put", lambda x, s: lm.put(x, _t(I2[0]), s[0]), lambda x, s: _put(x, I2[0], s[0], False)),
    ("put_accumulate", lambda x, s: x.put(_t(I1), s[1], accumulate=True),
     lambda x, s: _put(x, I1, s[1], True)),
    ("index_put", lambda x, s: lm.index_put(x, (_t(I0),), s[0]), lambda x, s: _set(x, (I0,),
                                                                                      s[0])),
    ("index_put_pairs", lambda x, s: x.index_put((_t(I0 * 0), _t(I1[1:])), s[0, :2], True),
     lambda x, s: _set(x, (I0 * 0, I1[1:]), s[0, :2], True)),
    ("index_put_mask", lambda x, s: x.index_put((_t(np.eye(2, 3, dtype=bool)),), s[0, 0]),
     lambda x, s: _set(x, (np.eye(2, 3, dtype=bool),), s[0, 0])),
    ("masked_fill", lambda x, s: x.masked_fill(_t(np.eye(2, 3, dtype=bool)), s[1, 1]),
     lambda x, s: np.where(np.eye(2, 3, dtype=bool), s[1, 1], x)),
    ("masked_select", lambda x, s: lm.masked_select(x * s, _t(np.eye(2, 3, dtype=bool))),
     lambda x, s: (x * s)[np.eye(2, 3, dtype=bool)]),
    ("where", lambda x, s: lm.where(_t(np.eye(2, 3, dtype=bool)), x, s[0]),
     lambda x, s: np.where(np.eye(2, 3, dtype=bool), x, s[0])),
])
def test_vmap_indexing_with_unmapped_indices(name, fn, ref, in_dims):
    arrays = [_normal(*np.insert([2, 3], d, B)) if d is not None else _normal(2, 3)
              for d in in_dims]
    _check(fn, ref, in_dims, *arrays)


def _index_add(x, s):
    out = x.copy()
    np.add.at(out, (slice(None), I1), s)
    return out


def _index_fill(x, v):
    out = x.copy()
    out[:, I1] = v
    return out


def _scatter(x, index, src, how):
    out = x.copy()
    for pos in np.ndindex(index.shape):
        target = (pos[0], index[pos])
        if how == "multiply":
            out[target] *= src[pos]
        elif how:
            out[target] += src[pos]
        else:
            out[target] = src[pos]
    return out


def _put(x, index, src, accumulate):
    out = x.copy()
    if accumulate:
        np.add.at(out.reshape(-1), index, src)
    else:
        out.reshape(-1)[index] = src
    return out


def _set(x, key, values, accumulate=False):
    out = x.copy()
    if accumulate:
        np.add.at(out, key, values)
    else:
        out[key] = values
    return out


# -- mapped index arrays (the primitives' rules) --------------------------------------------------

@pytest.mark.parametrize("at", [(0, 1), (1, 2), (0, 2)])
@pytest.mark.parametrize("x_dim,i_dim,v_dim", [(0, 0, 0), (None, 1, 0), (2, None, None),
                                               (1, 0, None), (None, 0, 1)])
def test_vmap_index_primitives_with_mapped_index_arrays(at, x_dim, i_dim, v_dim):
    x = _normal(*np.insert([4, 4, 5], x_dim, B)) if x_dim is not None else _normal(4, 4, 5)
    i = RNG.integers(0, 4, np.insert([2, 1], i_dim, B)) if i_dim is not None else (
        RNG.integers(0, 4, (2, 1)))
    j = np.array([3, 0, 1])

    def key(ib):
        k = [slice(None)] * 3
        k[at[0]], k[at[1]] = ib, j
        return tuple(k)

    def read(xb, ib):
        return xb[key(ib)]

    _check(lambda xt, it: index_p(xt, it, _t(j), at=at), read, (x_dim, i_dim), x, i)
    shape = read(_element(x, x_dim, 0), _element(i, i_dim, 0)).shape
    v = _normal(*np.insert(shape, v_dim, B)) if v_dim is not None else _normal(*shape[1:])

    def write(xb, ib, vb):
        out = xb.copy()
        np.add.at(out, key(ib), vb)
        return out

    _check(lambda xt, it, vt: index_put_p(xt, vt, it, _t(j), at=at, accumulate=True), write,
           (x_dim, i_dim, v_dim), x, i, v)


def test_vmap_index_of_a_0dim_tensor():
    x = _normal(B)
    got = _vmap(lambda a: lm.take(a, _t(np.array([[0], [-1]]))), (0,), _t(x))
    np.testing.assert_array_equal(got.numpy(), np.stack([np.full((2, 1), x[b])
                                                         for b in range(B)]))


# -- what vmap refuses, as torch.func does --------------------------------------------------------

@pytest.mark.parametrize("fn,match", [
    (lambda x: lm.nonzero(x), "Attempted to vmap over aten::nonzero"),
    (lambda x: x.nonzero(as_tuple=True), "Attempted to vmap over aten::nonzero"),
    (lambda x: lm.masked_select(_t(np.ones(3)), x > 0), r"vmap over `mask` in "
     r"lamina.masked_select"),
    (lambda x: _t(np.ones(3))[x > 0], "batch over indexing with a boolean mask"),
])
def test_vmap_refuses_data_dependent_shapes(fn, match):
    with pytest.raises(RuntimeError, match=match):
        lm.vmap(fn)(_t(_normal(B, 3)))


# -- forward mode ---------------------------------------------------------------------------------

def _jvp(fn, *pairs):
    primals = tuple(_t(p) for p, _ in pairs)
    tangents = tuple(_t(t) for _, t in pairs)
    return lm.func.jvp(fn, primals, tangents)[1].numpy()


def test_jvp_of_constant_fill_values_is_zero_where_they_are_written():
    x, t = _normal(2, 3), _normal(2, 3)
    mask = np.eye(2, 3, dtype=bool)
    got = _jvp(lambda a: a.masked_fill(_t(mask), 2.5), (x, t))
    np.testing.assert_array_equal(got, np.where(mask, 0, t))
    got = _jvp(lambda a: a.index_fill(1, _t(I1), -1.0), (x, t))
    np.testing.assert_array_equal(got, _index_fill(t, 0.0))
    got = _jvp(lambda a: lm.where(_t(mask), a, 7.0), (x, t))
    np.testing.assert_array_equal(got, np.where(mask, t, 0))
    got = _jvp(lambda a: lm.scatter(a, 1, _t(I2[:, :1]), value=3.0), (x, t))
    np.testing.assert_array_equal(got, _scatter(t, I2[:, :1], np.zeros((2, 1)), False))


def test_jvp_of_index_put_replaces_the_written_tangents():
    x, tx = _normal(3, 4, dtype=np.complex128), _normal(3, 4, dtype=np.complex128)
    v, tv = _normal(2, 4, dtype=np.complex128), _normal(2, 4, dtype=np.complex128)
    got = _jvp(lambda a, b: a.index_put((_t(np.array([2, 0])),), b), (x, tx), (v, tv))
    np.testing.assert_array_equal(got, _set(tx, (np.array([2, 0]),), tv))
    got = _jvp(lambda b: _t(x).index_put((_t(np.array([2, 2])),), b, accumulate=True), (v, tv))
    np.testing.assert_array_equal(got, _set(np.zeros_like(tx), (np.array([2, 2]),), tv, True))
    # A tensor fill value carries its tangent (masked_fill and index_fill differentiate in it).
    s, ts = _normal(), _normal()
    got = _jvp(lambda a: _t(x.real).masked_fill(_t(np.eye(3, 4, dtype=bool)), a), (s, ts))
    np.testing.assert_array_equal(got, np.where(np.eye(3, 4, dtype=bool), ts, 0))


def test_jvp_of_where_promotes_as_the_primal():
    x, t = _normal(2, 3).astype(np.float32), _normal(2, 3).astype(np.float32)
    other = _t(_normal(2, 3))  # float64, no tangent
    out, tout = lm.func.jvp(lambda a: lm.where(_t(np.eye(2, 3, dtype=bool)), a, other),
                            (_t(x),), (_t(t),))
    assert out.dtype is tout.dtype is lm.float64


def test_jvp_of_view_dtype_and_detach_is_zero():
    x, t = _normal(2, 4), _normal(2, 4)
    out, tout = lm.func.jvp(lambda a: (a.view(lm.int64), a.detach()), (_t(x),), (_t(t),))
    np.testing.assert_array_equal(out[0].numpy(), x.view(np.int64))
    np.testing.assert_array_equal(tout[1].numpy(), np.zeros((2, 4)))


def test_jvp_of_scatter_multiply_is_not_implemented():
    with pytest.raises(NotImplementedError, match="derivative for 'scatter' is not implemented"):
        _jvp(lambda a: lm.scatter(a, 1, _t(I2), a, reduce="multiply"),
             (_normal(2, 3), _normal(2, 3)))


# -- composed transforms --------------------------------------------------------------------------

def _f(x):
    """A vector function through most of the family's primitives (and none of other families',
    whose forward and batch rules are theirs to test)."""
    y = lm.cat([x.mT.reshape(-1), x[:, ::2].flip(0).flatten(), x.diagonal()])
    z = lm.stack(y.split(3)[:2]).tril().roll(1)
    w = lm.gather(z, 1, _t(np.array([[2, 0], [1, 1]])))
    v = lm.where(_t(np.array([True, False, True])), x[0], 0.5).index_put((_t(np.array([1])),),
                                                                         x[1, :1])
    return lm.cat([w.reshape(-1), v, x[..., None].expand(3, 3, 2)[[2, 0], :, 1].reshape(-1),
                   x.index_select(1, _t(I1)).repeat(2, 1).view(-1)])


def test_jacfwd_is_the_linear_map():
    x = _normal(3, 3)
    jf = lm.func.jacfwd(_f)(_t(x)).numpy()
    # _f is linear: its Jacobian, column by column, is _f of the unit matrices.
    want = np.stack([_f(_t(e.reshape(3, 3))).numpy() for e in np.eye(9)], axis=-1)
    np.testing.assert_allclose(jf.reshape(want.shape), want, rtol=1e-12, atol=1e-12)


def test_vmap_of_jvp_matches_a_loop():
    xs, ts = _t(_normal(B, 3, 3)), _t(_normal(B, 3, 3))
    got = _vmap(lambda a, b: lm.func.jvp(_f, (a,), (b,))[1], (0, 0), xs, ts)
    want = np.stack([lm.func.jvp(_f, (xs[b],), (ts[b],))[1].numpy() for b in range(B)])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


def test_jacrev_matches_jacfwd():
    x = _t(_normal(3, 3))
    np.testing.assert_allclose(lm.func.jacrev(_f)(x).numpy(), lm.func.jacfwd(_f)(x).numpy(),
                               rtol=1e-12, atol=1e-12)


# -- transposes of the views (view_scatter_add) under vmap ----------------------------------------

@pytest.mark.parametrize("name,fn", [
    ("slice", lambda x: x.narrow(1, 1, 2)),
    ("select", lambda x: x.select(0, -1)),
    ("diagonal", lambda x: x.diagonal(1)),
    ("getitem", lambda x: x[None, 1:, ::2]),
    ("unbind", lambda x: x.unbind(1)[2] * 2 + x.unbind(1)[0]),
    ("split", lambda x: x.split([1, 3], dim=1)[1]),
    ("tensor_split_overlap", lambda x: lm.cat(lm.tensor_split(x, [3, 1], dim=1), dim=1)),
])
def test_vmap_of_grad_through_views_is_the_transpose(name, fn):
    # grad of sum(w * fn(x)) is fn's transpose applied to w: a loop of the eager tape is the
    # reference, and each w differs, so the cotangent is mapped while the zeros are not.
    x = _t(_normal(3, 4))
    ws = _t(_normal(B, *fn(x).shape))
    got = _vmap(lambda w: lm.func.grad(lambda a: (fn(a) * w).sum())(x), (0,), ws)
    want = []
    for b in range(B):
        a = x.detach().requires_grad_()
        (fn(a) * ws[b]).sum().backward()
        want.append(a.grad.numpy())
    np.testing.assert_allclose(got.numpy(), np.stack(want), rtol=1e-12, atol=1e-12)


def test_vmap_of_the_views_transpose_with_base_and_cotangent_mapped_apart():
    # A mapped base (batch last) with an unmapped src, and both mapped at different dims.
    from lamina._ops.shape import diagonal_p, view_scatter_add_p
    base, src = _normal(3, 4, B), _normal(3, B)
    got = _vmap(lambda g, s: view_scatter_add_p(g, s, view=diagonal_p,
                                                params={"offset": 1, "dim1": 0, "dim2": 1},
                                                pieces=None), (2, 1), _t(base), _t(src))
    want = np.moveaxis(base, 2, 0).copy()
    i = np.arange(3)
    want[:, i, i + 1] += src.T
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    got = _vmap(lambda g, s: view_scatter_add_p(g, s, view=diagonal_p,
                                                params={"offset": 1, "dim1": 0, "dim2": 1},
                                                pieces=None), (None, 1), _t(base[..., 0]),
                _t(src))
    want = np.broadcast_to(base[..., 0], (B, 3, 4)).copy()
    want[:, i, i + 1] += src.T
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


def test_jacrev_and_hessian_through_views_match_numpy():
    x = _normal(3, 3)
    jr = lm.func.jacrev(lambda a: lm.stack(a.unbind(1)[::-1]).diagonal()[1:])(_t(x)).numpy()
    want = np.zeros((2, 3, 3))
    want[0, 1, 1] = want[1, 2, 0] = 1  # stacked[k, j] = x[j, 2 - k], out = its diagonal[1:]
    np.testing.assert_array_equal(jr, want)
    # The hessian of sum(x[1:, ::2] ** 3) is diagonal: 6 x where selected, 0 elsewhere.
    h = lm.func.hessian(lambda a: (a[1:, ::2] ** 3).sum())(_t(x)).numpy().reshape(9, 9)
    sel = np.zeros((3, 3))
    sel[1:, ::2] = 6 * x[1:, ::2]
    np.testing.assert_allclose(h, np.diag(sel.reshape(-1)), rtol=1e-12, atol=1e-12)


# -- mapped index tensors in the public index ops -------------------------------------------------

_X = _normal(3, 4)
_IG = np.array([[[2, 0, 1, 1], [0, 0, 2, 1]], [[1, 1, 1, 1], [2, 2, 0, 0]],
                [[0, 1, 2, 0], [1, 2, 0, 2]]])        # per element: a (2, 4) index along dim 0
_IV = np.array([[2, 0, -1], [1, 1, 0], [0, -3, 2]])    # per element: a vector, negatives too
_IP = _IV % 3


@pytest.mark.parametrize("name,fn,index", [
    ("gather", lambda i, s: lm.gather(_t(_X), 0, i) * s, _IG),
    ("take", lambda i, s: lm.take(_t(_X), i) * s, _IV),
    ("take_along_dim", lambda i, s: lm.take_along_dim(_t(_X), i - 3, 0) * s, _IG),
    ("take_along_dim_flat", lambda i, s: lm.take_along_dim(_t(_X), i) * s, _IP),
    ("index_select", lambda i, s: lm.index_select(_t(_X), 0, i) * s, _IP),
    ("scatter", lambda i, s: lm.scatter(_t(_X), 0, i, s.expand(2, 4)), _IG),
    ("scatter_value", lambda i, s: lm.scatter(_t(_X), 0, i, 1.5) * s, _IG),
    ("scatter_add", lambda i, s: lm.scatter_add(_t(_X), 0, i, s.expand(2, 4)), _IG),
    ("scatter_multiply", lambda i, s: lm.scatter(_t(_X), 0, i, s.expand(2, 4),
                                                 reduce="multiply"), _IG),
    ("put", lambda i, s: lm.put(_t(_X), i, s.reshape(1).expand(3), accumulate=True), _IV),
    ("index_add", lambda i, s: lm.index_add(_t(_X), 0, i, s.expand(3, 4)), _IP),
    ("index_fill", lambda i, s: lm.index_fill(_t(_X), 1, i, 2.0) * s, _IV),
    ("getitem", lambda i, s: _t(_X)[i] * s, _IV),
    ("getitem_split", lambda i, s: _t(_X)[i, :, None][:, :, 0] * s, _IV),
    ("getitem_two", lambda i, s: _t(_X)[i, i.flip(0)] * s, _IP),
    ("index_put", lambda i, s: lm.index_put(_t(_X), (i,), s.expand(3, 4), accumulate=True),
     _IV),
])
@pytest.mark.parametrize("in_dims", [(0, None), (-1, 0), (0, 0)])
def test_vmap_with_mapped_index_tensors(name, fn, index, in_dims):
    # The index mapped (at 0, or last), alone or with a mapped tensor operand; an eager loop
    # (NumPy's index arrays) is the reference.
    s = _normal(B, 1, 1)
    idx = index if in_dims[0] == 0 else np.moveaxis(index, 0, -1)
    args = (_t(np.ascontiguousarray(idx)), _t(s) if in_dims[1] is not None else _t(s[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scatter's reduce= deprecation
        got = _vmap(fn, in_dims, *args)
        want = np.stack([fn(_t(index[b]), _t(s[b] if in_dims[1] is not None else s[0]))
                         .numpy() for b in range(B)])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


def test_vmap_with_a_mapped_index_checks_every_elements_bounds():
    bad = _IV.copy()
    bad[2, 1] = 3
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        _vmap(lambda i: _t(_X)[i], (0,), _t(bad))
    with pytest.raises(RuntimeError, match="index 3 is out of bounds for dimension 0 with size 3"):
        _vmap(lambda i: lm.gather(_t(_X), 0, i), (0,), _t(np.abs(bad)[..., None]))
    with pytest.raises(RuntimeError, match=r"vmap: Attempted to vmap over `mask` in "
                       r"lamina.masked_select"):
        _vmap(lambda m: lm.masked_select(_t(_X), m), (0,), _t(_normal(B, 3, 4) > 0))


def test_vmap_of_grad_with_a_mapped_index():
    # d/dx sum(gather(x, 0, i)) counts how often each element is read, per index.
    x = _normal(3, 4)
    got = _vmap(lambda i: lm.func.grad(lambda a: lm.gather(a, 0, i).sum())(_t(x)), (0,),
                _t(_IG))
    want = np.zeros((B, 3, 4))
    for b in range(B):
        np.add.at(want[b], (_IG[b], np.arange(4)), 1.0)
    np.testing.assert_array_equal(got.numpy(), want)


def test_vmap_of_grad_of_index_fill_in_a_tensor_value_counts_each_slice_once():
    # derivatives.yaml (index_fill.int_Tensor): the value's gradient sums each filled slice
    # once, a repeated index included, per batch element of a mapped index.
    x = _t(_normal(3, 4))
    index = np.array([[1, 1], [0, 2], [-1, 2]])
    got = _vmap(lambda i: lm.func.grad(lambda v: lm.index_fill(x, 0, i, v).sum())(
        _t(np.array(2.0))), (0,), _t(index))
    np.testing.assert_array_equal(got.numpy(), [4.0 * len(set(r % 3)) for r in index])
