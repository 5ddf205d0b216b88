"""lamina.func: torch.func's quick-start examples, the compositions issue 7 names, pytrees,
argnums/has_aux, and the errors. Expected values come from NumPy or from calculus by hand; one
test compares the errors with torch.func's and skips without PyTorch."""

import numpy as np
import pytest

import lamina as lm
from lamina.func import (
    functional_call,
    grad,
    grad_and_value,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    linearize,
    vjp,
    vmap,
)


def t64(x):
    return lm.tensor(np.asarray(x, dtype=np.float64))


RNG = np.random.default_rng(0)


# -- the quick start -------------------------------------------------------------------------------

def test_grad_of_sin_is_cos_and_twice_is_minus_sin():
    x = t64(0.7)
    assert grad(lm.sin)(x).item() == pytest.approx(np.cos(0.7))
    assert grad(grad(lm.sin))(x).item() == pytest.approx(-np.sin(0.7))


def test_jacrev_of_sin_is_diag_cos():
    x = t64(RNG.standard_normal(5))
    np.testing.assert_allclose(jacrev(lm.sin)(x).numpy(), np.diag(np.cos(x.numpy())))


def test_vmap_of_jacrev_of_sin():
    x = t64(RNG.standard_normal((64, 5)))
    j = vmap(jacrev(lm.sin))(x)
    assert j.shape == (64, 5, 5)
    want = np.einsum("bi,ij->bij", np.cos(x.numpy()), np.eye(5))
    np.testing.assert_allclose(j.numpy(), want)


def test_jacfwd_of_jacrev_is_the_hessian():
    def f(x):
        return (x.sin() * x).sum()

    x = t64(RNG.standard_normal(4))
    h1 = jacfwd(jacrev(f))(x).numpy()
    h2 = hessian(f)(x).numpy()
    xv = x.numpy()
    want = np.diag(2 * np.cos(xv) - xv * np.sin(xv))
    np.testing.assert_allclose(h1, want, atol=1e-12)
    np.testing.assert_allclose(h2, want, atol=1e-12)


def test_per_sample_gradients_of_a_linear_model():
    w = t64(RNG.standard_normal(3))
    xs = t64(RNG.standard_normal((8, 3)))
    ys = t64(RNG.standard_normal(8))

    def loss(w, x, y):
        return ((x * w).sum() - y) ** 2

    per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(w, xs, ys).numpy()
    r = xs.numpy() @ w.numpy() - ys.numpy()
    np.testing.assert_allclose(per_sample, 2 * r[:, None] * xs.numpy())


# -- compositions ----------------------------------------------------------------------------------

def test_grad_of_vmap():
    x = t64(RNG.standard_normal((4, 3)))
    g = grad(lambda x: vmap(lambda r: (r * r).sum())(x).sum())(x)
    np.testing.assert_allclose(g.numpy(), 2 * x.numpy())


def test_vmap_of_vmap():
    x = t64(RNG.standard_normal((2, 3, 4)))
    out = vmap(vmap(lambda v: v * v.sum()))(x)
    xv = x.numpy()
    np.testing.assert_allclose(out.numpy(), xv * xv.sum(-1, keepdims=True))


def test_jvp_of_grad():
    x, t = t64(RNG.standard_normal(3)), t64(RNG.standard_normal(3))
    _, hvp = jvp(grad(lambda x: (x.sin()).sum()), (x,), (t,))
    np.testing.assert_allclose(hvp.numpy(), -np.sin(x.numpy()) * t.numpy())


def test_no_perturbation_confusion():
    # d/dx [ d/dy (x * y) at y = x ] = d/dx x = 1, not 2.
    x = t64(3.0)
    assert grad(lambda x: grad(lambda y: x * y)(x))(x).item() == 1.0
    x1 = t64(2.0)
    # forward mode nested: d/dx [ x * (d/dy (x + y) at y = 1) ] = 1
    inner = lambda x: jvp(lambda y: x + y, (t64(1.0),), (t64(1.0),))[1]  # noqa: E731
    _, d = jvp(lambda x: x * inner(x), (x1,), (t64(1.0),))
    assert d.item() == 1.0


def test_grad_inside_tape():
    w = lm.tensor([0.5, -1.0], dtype=lm.float64, requires_grad=True)
    g = grad(lambda x: (x * w).sum() ** 2)(t64([1.0, 2.0]))
    g.sum().backward()  # the gradient 2 (x.w) w still depends on w through the eager tape
    # d/dw sum(2 (x.w) w) = 2 x sum(w) + 2 (x.w), with x = [1, 2], w = [0.5, -1]
    np.testing.assert_allclose(w.grad.numpy(), [-4.0, -5.0])


# -- API details -----------------------------------------------------------------------------------

def test_argnums_and_has_aux_and_value():
    def f(a, b):
        return (a * b).sum(), {"b2": [b * 2]}

    a, b = t64([1.0, 2.0]), t64([3.0, 4.0])
    (ga, gb), aux = grad(f, argnums=(0, 1), has_aux=True)(a, b)
    np.testing.assert_allclose(ga.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(gb.numpy(), [1.0, 2.0])
    assert type(aux["b2"][0]) is lm.Tensor and aux["b2"][0].numpy().tolist() == [6.0, 8.0]
    g, v = grad_and_value(lambda a: (a * a).sum())(a)
    assert v.item() == 5.0 and g.numpy().tolist() == [2.0, 4.0]


def test_pytree_inputs_and_outputs():
    params = {"w": t64([1.0, 2.0]), "b": t64(0.5)}
    g = grad(lambda p: (p["w"] * 3).sum() + p["b"])(params)
    assert set(g) == {"w", "b"} and g["b"].item() == 1.0
    out = vmap(lambda d: {"s": d["x"].sum()})({"x": t64(np.ones((3, 2)))})
    np.testing.assert_allclose(out["s"].numpy(), [2.0, 2.0, 2.0])


def test_vjp_and_linearize():
    x = t64([0.1, 0.2])
    out, fn = vjp(lm.sin, x)
    (g,) = fn(t64([1.0, 1.0]))
    np.testing.assert_allclose(g.numpy(), np.cos([0.1, 0.2]))
    out, jfn = linearize(lm.exp, x)
    np.testing.assert_allclose(jfn(t64([1.0, 0.0])).numpy(), [np.exp(0.1), 0.0])


def test_vmap_in_dims_out_dims_chunks():
    x = t64(RNG.standard_normal((3, 5)))
    y = vmap(lambda v: v * 2, in_dims=1, out_dims=1)(x)
    np.testing.assert_allclose(y.numpy(), 2 * x.numpy())
    z = vmap(lambda v, c: v + c, in_dims=(0, None), chunk_size=2)(x, t64(1.0))
    np.testing.assert_allclose(z.numpy(), x.numpy() + 1)
    k = vmap(lambda v: t64(4.0))(x)  # an unbatched output is expanded over the batch
    assert k.shape == (3,)


def test_functional_call():
    class Model:
        def __init__(self):
            self.weight = t64([1.0, 1.0])

        def named_parameters(self):
            return [("weight", self.weight)]

        def __call__(self, x):
            return (self.weight * x).sum()

    m = Model()
    g = grad(lambda p, x: functional_call(m, p, (x,)))({"weight": t64([2.0, 3.0])}, t64([5.0, 7.0]))
    np.testing.assert_allclose(g["weight"].numpy(), [5.0, 7.0])
    assert m.weight.numpy().tolist() == [1.0, 1.0]


# -- errors ----------------------------------------------------------------------------------------

def test_vmap_errors():
    with pytest.raises(ValueError, match="same size in the mapped dimension"):
        vmap(lambda a, b: a + b)(t64(np.ones(3)), t64(np.ones(4)))
    with pytest.raises(ValueError, match="in_dims cannot be all None|at least one input"):
        vmap(lambda a: a, in_dims=None)(t64(np.ones(3)))
    with pytest.raises(ValueError, match="-1 <= in_dim < 1"):
        vmap(lambda a: a, in_dims=2)(t64(np.ones(3)))
    with pytest.raises(RuntimeError, match="data-dependent control flow"):
        vmap(lambda a: a.item())(t64(np.ones(3)))


def test_grad_errors():
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor"):
        grad(lambda x: x * 2)(t64([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="Expected primals and tangents to have the same"):
        jvp(lambda x: x, (t64([1.0]),), (t64([1.0]), t64([2.0])))


def test_complex_values_refused_by_jacobians_as_torch_func():
    x, z = t64([1.0, 2.0, 3.0]), lm.tensor(np.array([1 + 1j, 2 - 1j]))

    def to_complex(v):
        return v * (1 + 2j)

    for name, jac in (("jacrev", jacrev), ("jacfwd", jacfwd)):
        with pytest.raises(RuntimeError, match=f"^{name}: Expected all outputs to be real but "
                                               "received complex tensor at flattened input idx: 0"):
            jac(to_complex)(x)
        with pytest.raises(RuntimeError, match="outputs to be real .* idx: 1$"):
            jac(lambda v: {"b": v * 1, "a": to_complex(v)})(x)  # flattened in insertion order
        with pytest.raises(RuntimeError, match=f"^{name}: Expected all inputs to be real but "
                                               "received complex tensor at flattened input idx: 0"):
            jac(lambda v: v.abs())(z)
        with pytest.raises(RuntimeError, match="inputs to be real .* idx: 1$"):  # every argument
            jac(lambda v, w: v.sum() * w.abs(), argnums=0)(x, z)
    with pytest.raises(RuntimeError, match="^grad can be implicitly created only for real scalar "
                                           "outputs but got lamina.complex128$"):
        grad(lambda v: to_complex(v).sum())(x)


def test_vjp_of_a_complex_output_takes_a_complex_cotangent():
    # vjp stays allowed (torch.func's too): the real input's cotangent is Re(conj(J)^T ct)
    x = t64([1.0, 2.0, 3.0])
    ct = np.array([1 + 1j, 2 - 3j, -1j])
    out, vjp_fn = vjp(lambda v: v * (1 + 2j), x)
    np.testing.assert_allclose(out.numpy(), x.numpy() * (1 + 2j))
    np.testing.assert_allclose(vjp_fn(lm.tensor(ct))[0].numpy(), (np.conj(1 + 2j) * ct).real)


# -- pytrees through the Jacobians -----------------------------------------------------------------

@pytest.mark.parametrize("jac", [jacrev, jacfwd], ids=["jacrev", "jacfwd"])
def test_jacobian_of_a_dict_input_is_a_dict(jac):
    a, b = RNG.standard_normal(3), RNG.standard_normal(3)
    j = jac(lambda d: d["a"].sin() * d["b"])({"a": t64(a), "b": t64(b)})
    assert list(j) == ["a", "b"]
    np.testing.assert_allclose(j["a"].numpy(), np.diag(np.cos(a) * b))
    np.testing.assert_allclose(j["b"].numpy(), np.diag(np.sin(a)))


@pytest.mark.parametrize("jac", [jacrev, jacfwd], ids=["jacrev", "jacfwd"])
def test_jacobian_is_the_outputs_tree_of_the_inputs_tree(jac):
    a, b, z = RNG.standard_normal(3), RNG.standard_normal(2), RNG.standard_normal(2)

    def f(d, z):
        return {"s": d["a"].sin() * z.sum(), "t": [d["b"] * 2]}

    j = jac(f, argnums=(0, 1))({"a": t64(a), "b": t64(b)}, t64(z))
    assert list(j) == ["s", "t"] and isinstance(j["t"], list)
    (s_d, s_z), ((t_d, t_z),) = j["s"], j["t"]  # per output leaf, a tuple over argnums
    np.testing.assert_allclose(s_d["a"].numpy(), np.diag(np.cos(a) * z.sum()))
    np.testing.assert_allclose(s_d["b"].numpy(), np.zeros((3, 2)))
    np.testing.assert_allclose(s_z.numpy(), np.repeat(np.sin(a)[:, None], 2, axis=1))
    np.testing.assert_allclose(t_d["a"].numpy(), np.zeros((2, 3)))
    np.testing.assert_allclose(t_d["b"].numpy(), 2 * np.eye(2))
    np.testing.assert_allclose(t_z.numpy(), np.zeros((2, 2)))
    # a list input and a 0-dim leaf: blocks shaped out.shape + in.shape
    j = jac(lambda xs: (xs[0] * xs[1], xs[1] * 3))([t64(a), t64(0.5)])
    assert isinstance(j, tuple) and isinstance(j[0], list)
    np.testing.assert_allclose(j[0][0].numpy(), 0.5 * np.eye(3))
    np.testing.assert_allclose(j[0][1].numpy(), a)
    assert j[1][0].shape == (3,) and j[1][1].item() == 3.0


@pytest.mark.parametrize("jac", [jacrev, jacfwd], ids=["jacrev", "jacfwd"])
def test_jacobian_has_aux_returns_the_aux_tree(jac):
    x = RNG.standard_normal(3)
    j, aux = jac(lambda v: (v.sin(), {"k": v.cos() * 2, "n": [v]}), has_aux=True)(t64(x))
    np.testing.assert_allclose(j.numpy(), np.diag(np.cos(x)))
    np.testing.assert_allclose(aux["k"].numpy(), 2 * np.cos(x))
    np.testing.assert_allclose(aux["n"][0].numpy(), x)
    assert type(aux["k"]) is lm.Tensor


def test_jacrev_chunks_the_joint_basis_of_several_outputs():
    x = RNG.standard_normal(4)
    j = jacrev(lambda v: {"s": v.sin(), "m": v.sum()}, chunk_size=3)(t64(x))
    np.testing.assert_allclose(j["s"].numpy(), np.diag(np.cos(x)))
    np.testing.assert_allclose(j["m"].numpy(), np.ones(4))


def test_hessian_of_a_dict_input():
    a, b = RNG.standard_normal(3), RNG.standard_normal(3)
    h = hessian(lambda d: (d["a"].sin() * d["b"]).sum())({"a": t64(a), "b": t64(b)})
    np.testing.assert_allclose(h["a"]["a"].numpy(), np.diag(-np.sin(a) * b))
    np.testing.assert_allclose(h["a"]["b"].numpy(), np.diag(np.cos(a)))
    np.testing.assert_allclose(h["b"]["a"].numpy(), np.diag(np.cos(a)))
    np.testing.assert_allclose(h["b"]["b"].numpy(), np.zeros((3, 3)))


def test_vjp_jvp_linearize_of_dicts():
    a, b = RNG.standard_normal(3), RNG.standard_normal(2)
    d = {"a": t64(a), "b": t64(b)}

    def f(d):
        return {"o": d["a"].sin(), "p": [d["b"] * d["a"].sum()]}

    out, fn = vjp(f, d)
    ones = {"o": t64(np.ones(3)), "p": [t64(np.ones(2))]}
    (g,) = fn(ones)
    np.testing.assert_allclose(g["a"].numpy(), np.cos(a) + b.sum())
    np.testing.assert_allclose(g["b"].numpy(), np.full(2, a.sum()))
    td = {"a": t64(np.ones(3)), "b": t64(np.ones(2))}
    _, tangent = jvp(f, (d,), (td,))
    np.testing.assert_allclose(tangent["o"].numpy(), np.cos(a))
    np.testing.assert_allclose(tangent["p"][0].numpy(), a.sum() + 3 * b)
    _, jfn = linearize(f, d)
    np.testing.assert_allclose(jfn(td)["p"][0].numpy(), a.sum() + 3 * b)
    # linearize's jvp_fn differentiates the tensor outputs and passes the others through
    _, jfn = linearize(lambda v: {"t": v * 2, "c": 3.0}, t64(a))
    out = jfn(t64(np.ones(3)))
    assert out["c"] == 3.0
    np.testing.assert_allclose(out["t"].numpy(), np.full(3, 2.0))


# -- what torch.func refuses: dtypes, structures, argnums ------------------------------------------

GRAD_MSG = "^only Tensors of floating point dtype can require gradients$"
INT_OUT_MSG = ("^vjp\\(f, \\.\\.\\.\\): All outputs of f must be floating-point or complex "
               "Tensors, got Tensor with dtype lamina.int64$")


def _sum(v):
    return v.sum()


def test_integer_inputs_are_refused_as_torch_func():
    i, x = lm.tensor([1, 2, 3]), t64([0.5, 1.0, 2.0])
    for call in (lambda: grad(_sum)(i), lambda: grad_and_value(_sum)(lm.tensor([True])),
                 lambda: grad(lambda d: d["x"].sum() + d["i"].sum())({"x": x, "i": i}),
                 lambda: grad(lambda v, w: (v * w).sum(), argnums=1)(x, i),
                 lambda: vjp(lambda v, w: v * w, x, i), lambda: jacrev(lambda v: v * 2)(i)):
        with pytest.raises(RuntimeError, match=GRAD_MSG):
            call()
    for call in (lambda: jacfwd(lambda v: v * 2)(i), lambda: hessian(_sum)(i),
                 lambda: jvp(lambda v: v * 2, (i,), (x,)), lambda: linearize(lambda v: v, i)):
        with pytest.raises(ValueError, match="^Expected primal to be floating point or complex, "
                                             "but got: lamina.int64$"):
            call()
    with pytest.raises(ValueError, match="^Expected tangent to be floating point or complex, "
                                         "but got: lamina.bool$"):
        jvp(lambda v: v * 2, (x,), (lm.tensor([True, False, True]),))
    # an integer argument that is not differentiated is a constant
    np.testing.assert_allclose(grad(lambda v, w: (v * w).sum())(x, i).numpy(), [1.0, 2.0, 3.0])


def test_integer_outputs():
    x = t64([0.5, 3.0, 2.0])
    for call in (lambda: vjp(lambda v: v.long(), x), lambda: jacrev(lambda v: v.argmax())(x),
                 lambda: jacrev(lambda v: (v.sin(), v.long()))(x),
                 lambda: hessian(lambda v: v.sum().long())(x)):
        with pytest.raises(RuntimeError, match=INT_OUT_MSG):
            call()
    # forward mode and grad let them through, with zero derivatives (torch.func's too)
    j = jacfwd(lambda v: (v * 3).long())(x)
    assert j.dtype == lm.int64 and j.numpy().tolist() == [[0] * 3] * 3
    np.testing.assert_allclose(grad(lambda v: v.sum().long())(x).numpy(), np.zeros(3))


def test_non_tensor_inputs_outputs_and_aux():
    x = t64([0.5, 1.0])
    thing = "^Thing passed to transform API must be Tensor, got <class 'float'>$"
    for call in (lambda: grad(lambda d: d["a"].sum() * d["b"])({"a": x, "b": 2.0}),
                 lambda: vjp(lambda v, c: v * c, x, 2.0), lambda: jacrev(lambda c: c * 2)(3.0)):
        with pytest.raises(ValueError, match=thing):
            call()
    with pytest.raises(RuntimeError, match="^jvp\\(f, primals, tangents\\): Expected primals to "
                                           "only contain Tensors, got <class 'float'>$"):
        jvp(lambda v, c: v * c, (x, 2.0), (x, 1.0))
    with pytest.raises(RuntimeError, match="Expected primals to contain at least one Tensor"):
        jvp(lambda: x, (), ())
    for api, call in (("vjp\\(f, \\*primals\\)", lambda f, **kw: vjp(f, x, **kw)),
                      ("jvp\\(f, primals, tangents\\)", lambda f, **kw: jvp(f, (x,), (x,), **kw))):
        with pytest.raises(RuntimeError, match=f"^{api}: expected f\\(\\*primals\\) to return only "
                                               "tensors, got unsupported type <class 'float'>$"):
            call(lambda v: (v * 2, 3.0))
        with pytest.raises(RuntimeError, match=f"^{api}: Expected f to be a function that has "
                                               "non-empty output \\(got output = \\[None\\]\\)$"):
            call(lambda v: None)
        with pytest.raises(RuntimeError, match="^Expected tensors, got unsupported type "
                                               "<class 'str'>$"):
            call(lambda v: (v, "aux"), has_aux=True)
        with pytest.raises(RuntimeError, match=f"^{api}: output of function f should be a tuple: "
                                               "\\(output, aux\\) if has_aux is True$"):
            call(lambda v: v, has_aux=True)
    with pytest.raises(RuntimeError, match="Expected f to be a function that has non-empty "
                                           "output \\(got output = \\[\\]\\)"):
        jacrev(lambda v: ())(x)
    with pytest.raises(RuntimeError, match="^grad_and_value\\(f\\)\\(\\*args\\): Expected "
                                           "f\\(\\*args\\) to return a Tensor, got <class "
                                           "'tuple'>$"):
        grad(lambda v: (v.sum(),))(x)


def test_argnums_checks():
    x = t64([0.5, 1.0])

    def f(a, b):
        return (a * b).sum()

    for transform in (grad, jacrev, jacfwd):
        for argnums, msg in (
                ([0, 1], "^argnums must be int or Tuple\\[int, \\.\\.\\.\\], got: <class 'list'>$"),
                ((), "^argnums must be non-empty$"),
                ((1, -1), "^argnums elements must be unique, got \\(1, 1\\)$"),
                ((0, 3), "^Got argnum=3, but only 2 positional inputs$"),
                (-3, "^Got argnum=-3, but only 2 positional inputs$"),
                ((0, 1.0), "^argnum must be int, got: <class 'float'>$")):
            with pytest.raises(RuntimeError, match=msg):
                transform(f, argnums=argnums)(x, x)
    with pytest.raises(ValueError, match="^jacrev: `chunk_size` should be greater than 0.$"):
        jacrev(f, chunk_size=0)


def test_vjp_cotangent_checks():
    x = t64([0.5, 1.0, 2.0])
    _, fn = vjp(lambda v: {"o": v.sin(), "p": [v * 2]}, x)
    with pytest.raises(RuntimeError, match="^Expected pytree structure of cotangents to be the "
                                           "same as pytree structure of outputs to the function. "
                                           "cotangents: \\(\\*, \\*\\), primal output: "
                                           "{'o': \\*, 'p': \\[\\*\\]}$"):
        fn((x, x))
    with pytest.raises(TypeError, match="^gradients can be either Tensors or None, but got "
                                        "float$"):
        fn({"o": x, "p": [1.0]})
    with pytest.raises(RuntimeError, match="^Mismatch in shape: grad_output\\[1\\] has a shape "
                                           "of lamina.Size\\(\\[2\\]\\) and output\\[1\\] has a "
                                           "shape of lamina.Size\\(\\[3\\]\\).$"):
        fn({"o": x, "p": [t64([1.0, 1.0])]})
    with pytest.raises(RuntimeError, match="^For complex Tensors, both grad_output and output are "
                                           "required to have the same dtype. Mismatch in dtype: "
                                           "grad_output\\[0\\] has a dtype of lamina.complex128 "
                                           "and output\\[0\\] has a dtype of lamina.float64.$"):
        fn({"o": lm.tensor(np.ones(3, complex)), "p": [x]})
    # None stands for ones on a scalar output (autograd.grad's implicit cotangent) alone
    _, fn = vjp(lambda v: (v.sum(), v * 2), x)
    np.testing.assert_allclose(fn((None, x))[0].numpy(), 1 + 2 * x.numpy())
    with pytest.raises(RuntimeError, match="^grad can be implicitly created only for scalar "
                                           "outputs$"):
        fn((t64(1.0), None))


def test_vjp_fn_takes_retain_graph_and_create_graph():
    x, w = t64([0.5, 1.0]), lm.tensor([2.0, 3.0], dtype=lm.float64, requires_grad=True)
    _, fn = vjp(lambda v: (v * w).sin(), x)
    ct = t64([1.0, 1.0])
    want = np.cos(x.numpy() * [2.0, 3.0]) * [2.0, 3.0]
    assert fn(ct)[0].requires_grad  # create_graph=None follows grad mode: w's tape records
    assert not fn(ct, create_graph=False)[0].requires_grad
    with lm.no_grad():
        assert not fn(ct)[0].requires_grad
    np.testing.assert_allclose(fn(ct, retain_graph=False)[0].detach().numpy(), want)
    with pytest.raises(RuntimeError, match="^Trying to backward through the graph a second time"):
        fn(ct)


def test_jvp_and_linearize_structure_checks():
    x, y = t64([0.5, 1.0, 2.0]), t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="^jvp\\(f, primals, tangents\\): Expected primals to "
                                           "be a tuple. E.g. it should be valid to call "
                                           "f\\(\\*primals\\).$"):
        jvp(lambda v: v, [x], [x])
    with pytest.raises(RuntimeError) as e:
        jvp(lambda d: d["a"], ({"a": x},), ({"b": x}, x))
    assert str(e.value).endswith(
        "Got primals with structure TreeSpec(tuple, None, [TreeSpec(dict, ['a'], [*])]) and "
        "tangents with structure TreeSpec(tuple, None, [TreeSpec(dict, ['b'], [*]),\n  *])")
    with pytest.raises(RuntimeError, match="^Trying to set a forward gradient that has a "
                                           "different size than that of the original Tensor, "
                                           "this is not supported. Tensor is of size \\[3\\] "
                                           "while the given forward gradient is of size \\[2\\].$"):
        jvp(lambda v: v, (x,), (y,))
    _, fn = linearize(lambda a, b: a * b.sum(), x, y)
    with pytest.raises(RuntimeError, match="^Expected the tangents TreeSpec\\(tuple, None, "
                                           "\\[\\*\\]\\) to have the same argspec as the primals "
                                           "TreeSpec\\(tuple, None, \\[\\*,\n  \\*\\]\\)$"):
        fn(x)
    with pytest.raises(RuntimeError, match="^tangent:1 with shape lamina.Size\\(\\[3\\]\\) in "
                                           "flattened pytree doesn't match the shape "
                                           "lamina.Size\\(\\[2\\]\\) of the corresponding "
                                           "primal.$"):
        fn(x, x)
    with pytest.raises(RuntimeError, match="^tangent:1 with dtype lamina.float32 in flattened "
                                           "pytree doesn't match the dtype lamina.float64 of the "
                                           "corresponding primal.$"):
        fn(x, lm.ones(2))


# Each call raises in both libraries; the exception type and message must agree (torch. read as
# lamina.). The hand-written tests above hold the expected messages without PyTorch.
FUNC_ERRORS = {
    "grad of an int input": lambda L, x: L.func.grad(_sum)(x.long()),
    "grad of a float leaf": lambda L, x: L.func.grad(lambda d: d["a"].sum())({"a": x, "b": 1.0}),
    "grad returning a tuple": lambda L, x: L.func.grad(lambda v: (v.sum(),))(x),
    "grad argnums list": lambda L, x: L.func.grad(lambda a, b: (a * b).sum(), [0, 1])(x, x),
    "grad argnums unique": lambda L, x: L.func.grad(lambda a, b: (a * b).sum(), (1, -1))(x, x),
    "grad argnums range": lambda L, x: L.func.grad(_sum, (0, 2))(x),
    "vjp of an int output": lambda L, x: L.func.vjp(lambda v: v.long(), x),
    "vjp of a float output": lambda L, x: L.func.vjp(lambda v: (v, 1.0), x),
    "vjp of no output": lambda L, x: L.func.vjp(lambda v: {}, x),
    "vjp aux str": lambda L, x: L.func.vjp(lambda v: (v, "s"), x, has_aux=True),
    "vjp aux pair": lambda L, x: L.func.vjp(lambda v: v, x, has_aux=True),
    "vjp_fn structure": lambda L, x: L.func.vjp(lambda v: {"o": v, "p": [v]}, x)[1]((x, x)),
    "vjp_fn float": lambda L, x: L.func.vjp(lambda v: (v, v), x)[1]((x, 1.0)),
    "jacrev of an int input": lambda L, x: L.func.jacrev(lambda v: v)(x.long()),
    "jacrev of argmax": lambda L, x: L.func.jacrev(lambda v: (v, v.argmax()))(x),
    "jacrev chunk_size": lambda L, x: L.func.jacrev(_sum, chunk_size=0),
    "jacfwd of a bool input": lambda L, x: L.func.jacfwd(lambda v: v)(x > 1),
    "jacfwd argnums empty": lambda L, x: L.func.jacfwd(lambda v: v, ())(x),
    "hessian of an int input": lambda L, x: L.func.hessian(_sum)(x.long()),
    "hessian of an int output": lambda L, x: L.func.hessian(lambda v: v.sum().long())(x),
    "jvp primals list": lambda L, x: L.func.jvp(lambda v: v, [x], [x]),
    "jvp structure": lambda L, x: L.func.jvp(lambda d: d["a"], ({"a": x},), ({"b": x}, x)),
    "jvp float primal": lambda L, x: L.func.jvp(lambda v, c: v * c, (x, 2.0), (x, 1.0)),
    "jvp int tangent": lambda L, x: L.func.jvp(lambda v: v, (x,), (x.long(),)),
    "jvp tangent size": lambda L, x: L.func.jvp(lambda v: v, (x,), (x[:2],)),
    "jvp no primals": lambda L, x: L.func.jvp(lambda: x, (), ()),
    "jvp of None": lambda L, x: L.func.jvp(lambda v: None, (x,), (x,)),
    "jvp aux pair": lambda L, x: L.func.jvp(lambda v: [v, v], (x,), (x,), has_aux=True),
    "linearize of an int input": lambda L, x: L.func.linearize(lambda v: v, x.long()),
    "linearize argspec": lambda L, x: L.func.linearize(lambda a, b: a * b, x, x)[1](x),
    "linearize dtype": lambda L, x: L.func.linearize(lambda v: v, x)[1](x.float()),
}


@pytest.mark.filterwarnings("ignore")  # torch's own: torch.jit on import, torch.fx in linearize
@pytest.mark.parametrize("name", sorted(FUNC_ERRORS))
def test_errors_match_torch_func(name):
    torch = pytest.importorskip("torch")
    seen = []
    for L in (torch, lm):
        with pytest.raises(Exception) as e:
            FUNC_ERRORS[name](L, L.tensor([0.5, 1.0, 2.0], dtype=L.float64))
        seen.append((type(e.value).__name__, str(e.value).replace("torch.", "lamina.")))
    assert seen[1] == seen[0]


# -- threads ---------------------------------------------------------------------------------------

def test_transforms_in_concurrent_threads_are_independent():
    """Each thread has its own transform levels, as in torch.func: 4 threads released together,
    each taking vmap(grad) and vjp of its own function many times, get what calculus says (a
    shared stack would send one thread's ops to another thread's level)."""
    import threading

    workers, iterations = 4, 200
    xs = [RNG.standard_normal((3, 4)) for _ in range(workers)]
    barrier = threading.Barrier(workers)
    errors = [[] for _ in range(workers)]

    def work(i):
        x = t64(xs[i])
        barrier.wait()
        for _ in range(iterations):
            # d/dx sum((i + 1) * sin(x)) per row, and the vjp of x^2 against ones
            g = vmap(grad(lambda r: ((i + 1) * r.sin()).sum()))(x)
            _, pull = vjp(lambda v: v * v, x)
            (gx,) = pull(lm.ones_like(x))
            errors[i].append(max(np.abs(g.numpy() - (i + 1) * np.cos(xs[i])).max(),
                                 np.abs(gx.numpy() - 2 * xs[i]).max()))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(e) == iterations for e in errors)
    assert max(max(e) for e in errors) < 1e-12
