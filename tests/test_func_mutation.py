"""In-place writes and random ops under lamina.func's transforms (vmap, jvp, grad): values
against a loop, NumPy or finite differences; torch.func's refusals with their messages."""

import numpy as np
import pytest

import lamina as lm
from lamina.func import grad, hessian, jacfwd, jacrev, jvp, vjp, vmap

RNG = np.random.default_rng(0)


def _t(*shape):
    return lm.tensor(RNG.standard_normal(shape))


def _close(a, b, tol=1e-10):
    np.testing.assert_allclose(np.asarray(a.numpy() if hasattr(a, "numpy") else a),
                               np.asarray(b), rtol=tol, atol=tol)


# -- vmap -----------------------------------------------------------------------------------------

def test_vmap_inplace_arithmetic_writes_the_physical_storage():
    x = _t(4, 3)
    before = x.numpy().copy()
    out = vmap(lambda a: a.mul_(2).add_(1))(x)
    _close(x, 2 * before + 1)
    _close(out, 2 * before + 1)


@pytest.mark.parametrize("dims", [(0, 0), (1, 0), (1, None), (0, 1)])
def test_vmap_copy_mapped_dims_anywhere(dims):
    x, y = lm.zeros(4, 3, dtype=lm.float64), _t(4, 3)
    x = x if dims[0] == 0 else x.t().contiguous()
    yy = y if dims[1] in (0, None) else y.t().contiguous()
    src = yy if dims[1] is not None else y[0]
    vmap(lambda a, b: a.copy_(b), in_dims=dims)(x, src)
    want = y.numpy() if dims[1] is not None else np.broadcast_to(y[0].numpy(), (4, 3))
    _close(x if dims[0] == 0 else x.t(), want)


def test_vmap_copy_broadcasts_lower_rank_source_with_batch_in_the_middle():
    x = lm.zeros(2, 5, 3, dtype=lm.float64)  # logical (2, 3) with the batch (5) in the middle
    c = _t(3, 5)                   # logical (3,) with the batch last
    vmap(lambda a, b: a.copy_(b), in_dims=(1, 1))(x, c)
    _close(x, np.broadcast_to(c.numpy().T[None], (2, 5, 3)))


def test_vmap_setitem_into_a_view_reaches_the_storage():
    x = lm.zeros(3, 4, dtype=lm.float64)
    v = _t(3)

    def f(a, b):
        a[1] = b * 2
        a[2:].fill_(7)
        return a

    vmap(f)(x, v)
    want = np.zeros((3, 4))
    want[:, 1] = 2 * v.numpy()
    want[:, 2:] = 7
    _close(x, want)


def test_vmap_integer_target_and_out():
    x = lm.zeros(3, 2, dtype=lm.int64)
    vmap(lambda a, b: a.add_(b))(x, lm.arange(6).reshape(3, 2))
    _close(x, np.arange(6).reshape(3, 2))


def test_vmap_refuses_a_mapped_value_written_into_an_unmapped_target():
    msg = "vmap: inplace arithmetic\\(self, \\*extra_args\\) is not possible"
    with pytest.raises(RuntimeError, match=msg):
        vmap(lambda a, b: a.add_(b), in_dims=(None, 0))(lm.zeros(3), lm.ones(2, 3))
    with pytest.raises(RuntimeError, match=msg):
        vmap(lambda b: lm.zeros(3).copy_(b))(lm.ones(2, 3))
    y = lm.zeros(3)
    with pytest.raises(RuntimeError, match=msg):
        vmap(lambda b: y.__setitem__(0, b.sum()))(lm.ones(2, 3))


def test_vmap_unmapped_value_into_mapped_target_broadcasts():
    x = lm.zeros(2, 3)
    vmap(lambda a, b: a.copy_(b), in_dims=(0, None))(x, lm.tensor([1.0, 2.0, 3.0]))
    _close(x, [[1, 2, 3], [1, 2, 3]])


# -- jvp ------------------------------------------------------------------------------------------

def test_jvp_inplace_writes_primal_and_tangent():
    def f(x):
        y = x * 1
        y.mul_(x)             # y = x**2
        y[0] = y[1] * 3       # a write into a view
        return y

    x, t = _t(3), _t(3)
    p, tan = jvp(f, (x,), (t,))
    xn, tn = x.numpy(), t.numpy()
    _close(p, [3 * xn[1] ** 2, xn[1] ** 2, xn[2] ** 2])
    _close(tan, [6 * xn[1] * tn[1], 2 * xn[1] * tn[1], 2 * xn[2] * tn[2]])


def test_jvp_constant_write_gives_zero_tangent():
    def f(x):
        y = x * 2
        y[0] = 5.0
        y[1:].zero_()
        return y + x

    _, tan = jvp(f, (_t(3),), (lm.ones(3),))
    _close(tan, [1.0, 1.0, 1.0])


def test_jvp_inplace_on_input_mutates_primal_and_tangent_as_pytorch():
    x, t = lm.tensor([1.0, 2.0]), lm.ones(2)
    jvp(lambda a: a.mul_(2), (x,), (t,))
    _close(x, [2.0, 4.0])
    _close(t, [2.0, 2.0])


def test_jvp_of_inplace_matches_finite_differences_complex():
    def f(z):
        w = z * 1
        w.mul_(z).add_(z)
        return w

    z = lm.tensor(RNG.standard_normal(3) + 1j * RNG.standard_normal(3))
    t = lm.tensor(RNG.standard_normal(3) + 1j * RNG.standard_normal(3))
    _, tan = jvp(f, (z,), (t,))
    _close(tan, (2 * z.numpy() + 1) * t.numpy())


# -- grad / jacobians -----------------------------------------------------------------------------

def _h(x):
    y = x * 1
    y.add_(1)
    y[0] = y[1] * 3
    return (y * y).sum()


def _h_grad(x):
    x = np.asarray(x)
    y1 = x[1] + 1
    return np.array([0.0, 2 * 3 * 3 * y1 + 2 * y1, 2 * (x[2] + 1)])


def test_grad_through_inplace_and_setitem():
    x = _t(3)
    _close(grad(_h)(x), _h_grad(x.numpy()))


def test_grad_inplace_on_saved_value_keeps_the_old_value():
    def f(x):
        y = x.sin()
        y.mul_(x)   # mul saved y: the write must not corrupt what its VJP reads
        return y.sum()

    x = _t(4)
    xn = x.numpy()
    _close(grad(f)(x), np.sin(xn) + xn * np.cos(xn))


def test_grad_refusals():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used"):
        grad(lambda a: a.add_(1).sum())(lm.ones(2))


def test_vmap_of_grad_with_inplace():
    x = _t(4, 3)
    _close(vmap(grad(_h))(x), np.stack([_h_grad(r) for r in x.numpy()]))


def test_jacfwd_and_jacrev_of_inplace_agree_with_the_formula():
    def f(x):
        y = x * 1
        y.mul_(x)
        y[0] = y[2]
        return y

    x = _t(3)
    xn = x.numpy()
    want = np.diag(2 * xn)
    want[0] = [0, 0, 2 * xn[2]]
    _close(jacfwd(f)(x), want)
    _close(jacrev(f)(x), want)


# In-place ops under nested transforms. Each f writes into a value made inside; the reference
# is a central difference of its first-order Jacobian (jacrev alone, covered above).

def _nested_mul(x):
    y = x * 1
    y.mul_(x)
    return y.sin()


def _nested_add(x):
    y = x * 2
    y.add_(x * x)
    return y.sin()


def _nested_setitem(x):
    y = lm.zeros(3, dtype=x.dtype)
    y[1:] = x[:2] * x[1:]
    y[0] = x[2]
    return y.sin() * x


def _nested_copy_into_view(x):
    y = x + 1          # its tangent is x's own: the write must not reach x's tangent
    y[:2].copy_(x[1:] ** 2)
    return y.cos() * x


def _nested_mul_into_view(x):
    y = x + 1
    y[1:].mul_(x[:2])
    return y * x


NESTED = {"mul_": _nested_mul, "add_": _nested_add, "setitem": _nested_setitem,
          "copy_view": _nested_copy_into_view, "mul_view": _nested_mul_into_view}


def _second_derivative(f, x, h=1e-6):
    """d J_ij / d x_k by central differences of the Jacobian, shaped (n, n, n)."""
    cols = []
    for k in range(x.shape[0]):
        e = np.zeros(x.shape[0])
        e[k] = h
        cols.append((jacrev(f)(x + lm.tensor(e)).numpy() - jacrev(f)(x - lm.tensor(e)).numpy())
                    / (2 * h))
    return np.stack(cols, -1)


@pytest.mark.parametrize("name", sorted(NESTED))
def test_nested_transforms_of_inplace_ops_match_finite_differences(name):
    f = NESTED[name]
    x, t = lm.tensor([0.5, 1.2, -0.7], dtype=lm.float64), _t(3)
    want = _second_derivative(f, x)
    s = lambda v: f(v).sum()  # noqa: E731
    _close(jacrev(jacfwd(f))(x), want, 1e-7)
    _close(jacfwd(jacrev(f))(x), want, 1e-7)
    _close(jacrev(jacrev(f))(x), want, 1e-7)
    _close(jacfwd(jacfwd(f))(x), want, 1e-7)
    _close(hessian(s)(x), want.sum(0), 1e-7)
    _close(jvp(grad(s), (x,), (t,))[1], want.sum(0) @ t.numpy(), 1e-7)
    _close(grad(lambda v: grad(s)(v).sin().sum())(x),
           want.sum(0) @ np.cos(jacrev(s)(x).numpy()), 1e-7)
    if name != "setitem":  # its zeros are unmapped: vmap refuses the write, as torch.func
        xs = lm.stack([x, x * 2])
        _close(vmap(jacrev(jacrev(f)))(xs), np.stack([want, _second_derivative(f, x * 2)]),
               1e-7)


def test_nested_jvp_write_leaves_the_input_tangent_alone():
    def f(x):
        y = x + 1
        y[:1].copy_(x[1:2] * 2)
        return y * x

    x = lm.tensor([0.5, 1.2, -0.7], dtype=lm.float64)
    e = lm.eye(3, dtype=lm.float64)
    # f_0 = 2 x_0 x_1: its only second derivatives are d2/dx0 dx1 = 2
    got = [[jvp(lambda v, ti=ti: jvp(f, (v,), (ti,))[1], (x,), (tj,))[1][0].item()
            for tj in e] for ti in e]
    _close(np.array(got), [[0, 2, 0], [2, 0, 0], [0, 0, 0]])


def test_nested_write_of_a_value_another_node_saved_is_refused():
    # torch keeps the old value only for the in-place op's own formulas; z's saved y is stale
    def f(x):
        y = x * 1
        z = y * x
        y.mul_(x)
        return z.sin() + y

    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        jacrev(jacfwd(f))(lm.tensor([1.0, 2.0, 3.0]))


def test_eager_writes_unchanged():
    x = lm.ones(3, requires_grad=True)
    y = x * 2
    y[0] = 7.0
    y.sum().backward()
    _close(x.grad, [0.0, 2.0, 2.0])


# -- lifting: a tracked value written into a tensor the transform does not track ---------------
# Each case: f(x) writing x into a plain tensor made inside, and its gradient by hand (NumPy).

def _lift_copy(x):
    y = lm.zeros(3, dtype=x.dtype)
    y.copy_(x)
    return (y * y).sum()


def _lift_setitem(x):
    y = lm.zeros(3, dtype=x.dtype)
    y[0] = x[1]
    return (y * y).sum()


def _lift_add(x):
    y = lm.ones(3, dtype=x.dtype)
    y.add_(x)
    return (y * y).sum()


def _lift_view_mul(x):
    y = lm.ones(3, dtype=x.dtype)
    y[1:].mul_(x[0])
    return (y * y).sum()


def _lift_into_earlier_view(x):
    y = lm.ones(4, dtype=x.dtype)
    v = y[1:]          # made before the write, read after it
    w = v[:2]
    w.copy_(x[:2] * x[2])
    return (v * v.sin()).sum() + y[0]


def _np_into_earlier_view(x):
    a = x[:2] * x[2]
    d = np.sin(a) + a * np.cos(a)   # d/da of a sin a
    return np.array([d[0] * x[2], d[1] * x[2], d[0] * x[0] + d[1] * x[1]])


LIFTS = {
    "copy_": (_lift_copy, lambda x: 2 * x),
    "setitem": (_lift_setitem, lambda x: np.array([0, 2 * x[1], 0])),
    "add_": (_lift_add, lambda x: 2 * (1 + x)),
    "view_mul_": (_lift_view_mul, lambda x: np.array([4 * x[0], 0, 0])),
    "earlier_view": (_lift_into_earlier_view, _np_into_earlier_view),
}


@pytest.mark.parametrize("name", sorted(LIFTS))
def test_lift_grad_jvp_vjp_match_the_gradient(name):
    f, df = LIFTS[name]
    x, t = _t(3), _t(3)
    g = df(x.numpy())
    _close(grad(f)(x), g)
    _close(jvp(f, (x,), (t,))[1], g @ t.numpy())      # the tangent is <grad, t>
    _close(vjp(f, x)[1](lm.tensor(2.0))[0], 2 * g)


def test_lift_returned_tensor_and_jacobians():
    def f(x):
        y = lm.zeros(3, dtype=x.dtype)
        y.copy_(x)
        y[1:].mul_(x[0])
        return y

    x, t = _t(3), _t(3)
    xn = x.numpy()
    want = np.eye(3)
    want[1:, 0] = xn[1:]
    want[1:, 1:] *= xn[0]
    value = [xn[0], xn[1] * xn[0], xn[2] * xn[0]]
    p, tan = jvp(f, (x,), (t,))
    _close(p, value)
    _close(tan, want @ t.numpy())
    _close(jacfwd(f)(x), want)    # the lifted tangent is mapped by jacfwd's vmap
    _close(jacrev(f)(x), want)
    _close(vjp(f, x)[1](t)[0], want.T @ t.numpy())


def test_lift_second_order():
    def f(x):
        y = lm.zeros(2, dtype=x.dtype)
        y[0] = x[0] * x[1]
        return (y ** 3).sum()

    x = _t(2)
    a, b = x.numpy()
    # f = a^3 b^3: its Hessian by hand
    want = np.array([[6 * a * b ** 3, 9 * a ** 2 * b ** 2], [9 * a ** 2 * b ** 2, 6 * a ** 3 * b]])
    _close(hessian(f)(x), want, 1e-8)
    _close(jacfwd(grad(f))(x), want, 1e-8)
    _close(grad(lambda v: grad(f)(v).sum())(x), want.sum(0), 1e-8)


def test_lift_integer_target_keeps_values_without_derivative():
    def f(x):
        y = lm.zeros(3, dtype=lm.int64)
        y.copy_(x)
        return (x * y).sum()

    x, t = lm.tensor([1.5, -2.5, 3.0]), lm.tensor([1.0, 2.0, 3.0])
    _close(grad(f)(x), np.trunc(x.numpy()))
    _close(jvp(f, (x,), (t,))[1], np.trunc(x.numpy()) @ t.numpy())


# -- captured tensors: torch.func refuses any in-place write into one under grad and jvp ---------
# Each case: an in-place write into c (a captured float64 tensor of 3), x the transformed input,
# and the op as torch 2.13 names it in the refusal.

CAPTURED = {
    "copy_": (lambda c, x: c.copy_(x), "aten::copy_"),
    "copy_constant": (lambda c, x: c.copy_(lm.ones(3)), "aten::copy_"),
    "add_": (lambda c, x: c.add_(x), "aten::add_.Tensor"),
    "add_number": (lambda c, x: c.add_(1.0), "aten::add_.Tensor"),
    "subtract_": (lambda c, x: c.subtract_(x), "aten::subtract_.Tensor"),
    "mul_": (lambda c, x: c.mul_(x), "aten::mul_.Tensor"),
    "div_mode": (lambda c, x: c.div_(x, rounding_mode="floor"), "aten::div_.Tensor_mode"),
    "pow_number": (lambda c, x: c.pow_(2), "aten::pow_.Scalar"),
    "clamp_number": (lambda c, x: c.clamp_(0, 1), "aten::clamp_"),
    "clamp_tensor": (lambda c, x: c.clamp_(min=x[0]), "aten::clamp_.Tensor"),
    "lerp_": (lambda c, x: c.lerp_(x, 0.5), "aten::lerp_.Scalar"),
    "sin_": (lambda c, x: c.sin_(), "aten::sin_"),
    "zero_": (lambda c, x: c.zero_(), "aten::zero_"),
    "fill_number": (lambda c, x: c.fill_(2.0), "aten::fill_.Scalar"),
    "fill_tensor": (lambda c, x: c.fill_(x[0]), "aten::fill_.Tensor"),
    "normal_": (lambda c, x: c.normal_(), "aten::normal_"),
    "setitem": (lambda c, x: c.__setitem__(slice(0, 2), x[:2]), "aten::copy_"),
    "setitem_number": (lambda c, x: c.__setitem__(0, 5.0), "aten::copy_"),
    "setitem_broadcast": (lambda c, x: c.__setitem__(Ellipsis, 5.0), "aten::fill_.Tensor"),
    "setitem_index": (lambda c, x: c.__setitem__(lm.tensor([0, 2]), x[:2]), "aten::index_put_"),
    "setitem_mask": (lambda c, x: c.__setitem__(lm.tensor([True, False, True]), 1.0),
                     "aten::index_put_"),
    "index_put_": (lambda c, x: c.index_put_((lm.tensor([1]),), x[:1]), "aten::index_put_"),
    "index_fill_": (lambda c, x: c.index_fill_(0, lm.tensor([1]), 2.0),
                    "aten::index_fill_.int_Scalar"),
    "scatter_": (lambda c, x: c.scatter_(0, lm.tensor([2, 1, 0]), x), "aten::scatter_.src"),
    "masked_fill_": (lambda c, x: c.masked_fill_(lm.tensor([True, False, True]), 0.0),
                     "aten::masked_fill_.Scalar"),
    "cumsum_": (lambda c, x: c.cumsum_(0), "aten::cumsum_"),
    "view_copy_": (lambda c, x: c[:2].copy_(x[:2]), "aten::copy_"),
    "view_of_view_mul_": (lambda c, x: c.view(3)[1:].mul_(x[1:]), "aten::mul_.Tensor"),
    "detached": (lambda c, x: c.detach().copy_(x), "aten::copy_"),
    # in-place changes of metadata alone
    "unsqueeze_": (lambda c, x: c.unsqueeze_(0), "aten::unsqueeze_"),
    "squeeze_dim": (lambda c, x: c.view(1, 3).squeeze_(0), "aten::squeeze_.dim"),
    "t_": (lambda c, x: c.t_(), "aten::t_"),
    "detach_": (lambda c, x: c.detach_(), "aten::detach_"),
}
TRANSFORMS = {
    "grad": lambda f, x: grad(lambda v: f(v).sum())(x),
    "vjp": lambda f, x: vjp(f, x),
    "jvp": lambda f, x: jvp(f, (x,), (x,)),
    "jacrev": lambda f, x: jacrev(f)(x),
    "jacfwd": lambda f, x: jacfwd(f)(x),
    "hessian": lambda f, x: hessian(lambda v: f(v).sum())(x),
}


def _captured_msg(op):
    return (r"During a grad \(vjp, jvp, grad, etc\) transform, the function provided attempted "
            rf"to call in-place operation \({op}\) that would mutate a captured Tensor\. This "
            r"is not supported; please rewrite the function being transformed to explicitly "
            r"accept the mutated Tensor\(s\) as inputs\.")


def _refused(transform, write, op, c):
    before = c.numpy().copy()

    def f(x):
        write(c, x)
        return c * x

    with pytest.raises(RuntimeError, match=_captured_msg(op)):
        TRANSFORMS[transform](f, lm.tensor([0.5, 1.5, 2.5], dtype=lm.float64))
    _close(c, before)   # refused before the write


@pytest.mark.parametrize("name", sorted(CAPTURED))
def test_captured_tensor_write_refused_under_grad(name):
    write, op = CAPTURED[name]
    _refused("grad", write, op, lm.zeros(3, dtype=lm.float64))


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("name", ["copy_", "add_number", "setitem", "view_copy_"])
def test_captured_tensor_write_refused_under_every_transform(transform, name):
    write, op = CAPTURED[name]
    _refused(transform, write, op, lm.zeros(3, dtype=lm.float64))


def test_captured_integer_empty_or_no_grad_write_refused_too():
    _refused("grad", lambda c, x: c.add_(1), "aten::add_.Tensor", lm.zeros(3, dtype=lm.int64))
    _refused("jvp", lambda c, x: c.copy_(lm.zeros(0)), "aten::copy_", lm.zeros(0))

    def under_no_grad(c, x):
        with lm.no_grad():
            c.add_(1.0)
    _refused("grad", under_no_grad, "aten::add_.Tensor", lm.zeros(3, dtype=lm.float64))


MADE_INSIDE = {
    "zeros": lambda c, x: lm.zeros(3, dtype=x.dtype),
    "tensor": lambda c, x: lm.tensor([0.0, 0.0, 0.0], dtype=x.dtype),
    "from_numpy": lambda c, x: lm.from_numpy(np.zeros(3)),
    "zeros_like": lambda c, x: lm.zeros_like(c),
    "computed_from_captured": lambda c, x: c * 2,
    "clone_of_captured": lambda c, x: c.clone(),
    "view_of_made_inside": lambda c, x: lm.zeros(6, dtype=x.dtype)[::2],
    "detached_input": lambda c, x: x.detach(),
    "unsqueezed_in_place": lambda c, x: lm.zeros(1, 3, dtype=x.dtype).squeeze_(0),
}


@pytest.mark.parametrize("transform", ["grad", "jvp"])
@pytest.mark.parametrize("name", sorted(MADE_INSIDE))
def test_tensor_made_inside_still_lifts(transform, name):
    c = lm.zeros(3, dtype=lm.float64)

    def f(x):
        y = MADE_INSIDE[name](c, x)
        y.copy_(x)
        return (y * y).sum()

    x, t = _t(3), _t(3)
    if transform == "grad":
        _close(grad(f)(x), 2 * x.numpy())
    else:
        _close(jvp(f, (x,), (t,))[1], 2 * x.numpy() @ t.numpy())
    _close(c, np.zeros(3))


def test_nested_transform_refuses_what_the_outer_function_made():
    x = lm.tensor([1.0, 2.0, 3.0])

    def made_outside_inner(x):
        y = lm.zeros(3)
        return grad(lambda z: (y.copy_(z) * z).sum())(x).sum()

    def tracked_outside_inner(x):
        y = x * 2
        return grad(lambda z: (y.add_(1.0) * z).sum())(x).sum()

    def view_made_inside_inner(x):
        y = x * 2
        return jvp(lambda z: (y[:2].mul_(2.0) * z[:2]).sum(), (x,), (x,))[1]

    c_outer = lm.ones(3)
    with pytest.raises(RuntimeError, match=_captured_msg("aten::copy_")):
        grad(made_outside_inner)(x)
    with pytest.raises(RuntimeError, match=_captured_msg(r"aten::add_\.Tensor")):
        grad(tracked_outside_inner)(x)
    with pytest.raises(RuntimeError, match=_captured_msg(r"aten::mul_\.Tensor")):
        grad(view_made_inside_inner)(x)
    # vmap hands the write of its physical value down: grad refuses a captured one
    with pytest.raises(RuntimeError, match=_captured_msg(r"aten::add_\.Tensor")):
        grad(lambda v: (vmap(lambda r: r.add_(1.0))(c_outer) * v).sum())(x)
    with pytest.raises(RuntimeError, match=_captured_msg(r"aten::add_\.Tensor")):
        vmap(lambda r: (lambda y: grad(lambda z: (y.add_(1.0) * z).sum())(r))(lm.zeros(3)))(
            lm.ones(2, 3))


def test_nested_writes_torch_allows():
    x = lm.tensor([1.0, 2.0, 3.0])
    # jvp's own input, captured by grad: the jvp level writes its primal, as torch.func lets it
    c = lm.ones(3)
    _close(grad(lambda v: (jvp(lambda p: p.add_(1.0), (c,), (lm.ones(3),))[0] * v).sum())(x),
           [2.0, 2.0, 2.0])
    # a constant written through vmap into a tensor the grad function made
    _close(grad(lambda v: vmap(lambda r: lm.zeros(1).add_(1.0) * r)(v.view(3, 1)).sum())(x),
           [1.0, 1.0, 1.0])


def test_linearize_lifts_a_captured_tensor_as_torch_eager_forward_ad():
    from lamina.func import linearize
    c = lm.zeros(3)

    def f(x):
        c.copy_(x)
        return (c * x).sum()

    x = lm.tensor([1.0, 2.0, 3.0])
    value, jvp_fn = linearize(f, x)
    _close(value, 14.0)
    _close(jvp_fn(x), 28.0)


def test_lift_mapped_value_into_unmapped_tensor_still_refused_by_vmap():
    # the tensor made inside is not mapped, as in torch.func (vmap(grad(f)) refuses it too)
    with pytest.raises(RuntimeError, match="vmap: inplace arithmetic"):
        vmap(lambda b: jvp(_lift_copy, (b,), (b,)))(_t(2, 3))
    with pytest.raises(RuntimeError, match="vmap: inplace arithmetic"):
        vmap(grad(_lift_copy))(_t(2, 3))


def test_eager_copy_of_a_leaf_reaches_the_leaf():
    x = lm.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = lm.zeros(3)
    y.copy_(x)
    (y * y).sum().backward()
    _close(x.grad, [2.0, 4.0, 6.0])


# -- out= under the transforms: refused when the transform tracks the result or out ------------

OUT_ERRORS = {
    "grad": (lambda f, x: grad(lambda v: f(v).sum())(x), RuntimeError,
             "^add\\(\\): functions with out=... arguments don't support automatic "
             "differentiation, but one of the arguments requires grad.$"),
    "jvp": (lambda f, x: jvp(f, (x,), (x,)), NotImplementedError,
            "^Trying to use forward AD with add_out that does not support it because it is an "
            "out= function$"),
    "vmap": (lambda f, x: vmap(f)(x[None]), RuntimeError,
             "^Batching rule not implemented for aten::add.out; the fallback path doesn't work on "
             "out= or view ops.$"),
}


@pytest.mark.parametrize("out_shape", [(0,), (3,), (2,)])
@pytest.mark.parametrize("name", sorted(OUT_ERRORS))
def test_out_of_a_tracked_value_is_refused(name, out_shape):
    run, error, msg = OUT_ERRORS[name]
    out = lm.zeros(out_shape)
    with pytest.raises(error, match=msg):
        run(lambda v: lm.add(v, 1, out=out), _t(3).float())
    with pytest.raises(error, match=msg):   # a tracked out, constant inputs
        run(lambda v: lm.add(lm.ones(3), 1, out=v * 1), _t(3).float())
    assert out.shape == out_shape


@pytest.mark.parametrize("name", sorted(OUT_ERRORS))
def test_out_of_constants_is_written_and_resized_under_the_transforms(name):
    run = OUT_ERRORS[name][0]
    outs = {}

    def f(v):
        for shape in [(0,), (3,), (2,)]:
            outs[shape] = lm.full(shape, 9.0)
            lm.add(lm.ones(3), 1, out=outs[shape])
        return v * outs[(2,)]

    with pytest.warns(UserWarning, match="An output with one or more elements was resized"):
        run(f, _t(3).float())
    for o in outs.values():
        _close(o, [2.0, 2.0, 2.0])


# -- randomness -----------------------------------------------------------------------------------

RANDOM_OPS = {
    "rand": lambda b: lm.rand(2),
    "randn": lambda b: lm.randn(2),
    "randint": lambda b: lm.randint(0, 1000, (2,)),
    "normal": lambda b: lm.normal(0.0, 1.0, (2,)),
    "rand_like": lambda b: lm.rand_like(b),
    "randn_like": lambda b: lm.randn_like(b),
    "randint_like": lambda b: lm.randint_like(b, 1000),
    "randperm": lambda b: lm.randperm(6)[:2],
    "bernoulli_p": lambda b: lm.bernoulli(lm.ones(2), 0.5),  # a mapped input: test_func_random
    "uniform_": lambda b: b.clone().uniform_(),
    "normal_": lambda b: b.clone().normal_(),
    "random_": lambda b: b.clone().random_(0, 1000),
    "exponential_": lambda b: b.clone().exponential_(),
    "bernoulli_": lambda b: b.clone().bernoulli_(0.5),
}


@pytest.mark.parametrize("name", sorted(RANDOM_OPS))
def test_randomness_error(name):
    with pytest.raises(RuntimeError, match="vmap: called random operation while in randomness "
                                           "error mode"):
        vmap(RANDOM_OPS[name])(lm.ones(8, 2))


@pytest.mark.parametrize("name", sorted(RANDOM_OPS))
def test_randomness_same_is_equal_across_the_batch(name):
    out = vmap(RANDOM_OPS[name], randomness="same")(lm.ones(8, 2)).numpy()
    assert out.shape == (8, 2)
    assert (out == out[:1]).all()


@pytest.mark.parametrize("name", sorted(RANDOM_OPS))
def test_randomness_different_draws_independently(name):
    out = vmap(RANDOM_OPS[name], randomness="different")(lm.ones(64, 2)).numpy()
    assert out.shape == (64, 2)
    # 64 rows of independent draws: far from all equal (bernoulli rows agree w.p. 1/4 each)
    assert len({tuple(r) for r in out}) > 3


def test_randomness_different_statistics_and_nesting():
    lm.manual_seed(0)
    out = vmap(lambda b: lm.rand(1000), randomness="different")(lm.ones(4)).numpy()
    corr = np.corrcoef(out)
    assert np.abs(corr[np.triu_indices(4, 1)]).max() < 0.15  # independent rows
    assert abs(out.mean() - 0.5) < 0.03
    inner = vmap(lambda c: lm.randn(3), randomness="different")
    out = vmap(lambda b: inner(lm.ones(5)), randomness="same")(lm.ones(2)).numpy()
    assert out.shape == (2, 5, 3)
    assert (out[0] == out[1]).all() and len({tuple(r) for r in out[0]}) == 5


def test_randomness_bernoulli_with_mapped_probabilities():
    p = lm.tensor([[0.0, 1.0]] * 4)
    out = vmap(lambda q: lm.bernoulli(q), randomness="different")(p)
    _close(out, p.numpy())
    with pytest.raises(RuntimeError, match="Vmap does not currently support same randomness"):
        vmap(lambda q: lm.bernoulli(q), randomness="same")(p)


def test_randomness_different_inplace_into_unmapped_tensor():
    with pytest.raises(RuntimeError, match="vmap: Cannot ask for different inplace randomness"):
        vmap(lambda b: lm.zeros(2).uniform_(), randomness="different")(lm.ones(3, 2))
    out = vmap(lambda b: lm.zeros(2).uniform_(), randomness="same")(lm.ones(3, 2))
    assert out.shape == (3, 2)
