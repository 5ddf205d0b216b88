"""The torch.autograd user interface: flags, accumulation, graphs kept or freed, higher order,
hooks, grad modes, in-place correctness and the version counter, Function, gradcheck, anomaly.

Expected values are computed by hand or with NumPy, never by lamina itself.
"""

import threading

import numpy as np
import pytest

import lamina as lm
from lamina.autograd import Function, GradcheckError, gradcheck, gradgradcheck


def leaf(values, dtype=lm.float64):
    return lm.tensor(values, dtype=dtype, requires_grad=True)


# -- flags and the graph --------------------------------------------------------------------------

def test_requires_grad_spellings_and_propagation():
    a = lm.ones(2, requires_grad=True)
    b = lm.ones(2).requires_grad_()
    c = lm.ones(2)
    c.requires_grad = True
    assert a.requires_grad and b.requires_grad and c.requires_grad
    assert a.is_leaf and a.grad_fn is None
    y = a * b
    assert y.requires_grad and not y.is_leaf
    assert type(y.grad_fn).__name__ == "MulBackward0"
    assert y.grad_fn.name() == "MulBackward0"
    assert not (lm.ones(2) * 2).requires_grad
    with pytest.raises(RuntimeError, match="only Tensors of floating point and complex dtype"):
        lm.ones(2, dtype=lm.int64).requires_grad_()


def test_next_functions_reach_accumulate_grad():
    x = leaf([1.0, 2.0])
    y = (x * 2 + 1).sum()
    add = y.grad_fn.next_functions[0][0]
    assert type(add).__name__ == "AddBackward0"
    mul = add.next_functions[0][0]
    acc = mul.next_functions[0][0]
    assert type(acc).__name__ == "AccumulateGrad" and acc.variable is x
    assert repr(y.grad_fn).startswith("<SumBackward0 object at 0x")


def test_non_leaf_requires_grad_cannot_be_turned_off():
    y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf"):
        y.requires_grad = False


def test_grad_accumulates_across_backward_calls():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([1.0, 2, 3]) + 3)
    x.grad.zero_()
    (x * 1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1, 1])


def test_shared_gradient_is_not_aliased_between_leaves():
    a, b = leaf([1.0]), leaf([2.0])
    (a + b).sum().backward()
    (a + b).sum().backward()
    a.grad.add_(10)
    assert b.grad.item() == 2.0


def test_gradient_dtype_follows_the_leaf():
    x = lm.tensor([1.0, 2.0], requires_grad=True)  # float32
    (x * 2).backward(lm.ones(2, dtype=lm.float64))
    assert x.grad.dtype == lm.float32


def test_implicit_gradient_needs_a_real_scalar():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (x * 2).backward()
    z = lm.tensor([1 + 1j], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for real scalar outputs"):
        (z * 2).sum().backward()
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_tensors\[0\]"):
        (x * 2).backward(lm.ones(3))
    with pytest.raises(RuntimeError, match=r"Mismatch in dtype: .* and output\[0\] has a dtype "
                                           r"of lamina.float64\.$"):
        (x * 2).backward(lm.ones(2, dtype=lm.complex64))


def test_backward_on_a_tensor_outside_the_graph():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        lm.ones(2).sum().backward()


def test_freed_graph_raises_and_retain_graph_keeps_it():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_retain_grad_and_non_leaf_grad():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    (y * y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(x.grad.numpy(), [18.0, 36.0])
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad"):
        lm.ones(1).retain_grad()


def test_backward_inputs_limits_accumulation():
    a, b = leaf([1.0]), leaf([2.0])
    (a * b).sum().backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


# -- autograd.grad --------------------------------------------------------------------------------

def test_grad_returns_without_touching_dot_grad():
    x = leaf([1.0, 2.0])
    (g,) = lm.autograd.grad((x * x).sum(), x)
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    assert x.grad is None and not g.requires_grad


def test_grad_unused_inputs():
    x, y = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="The differentiated Tensor at index 1 appears to not"):
        lm.autograd.grad((x * 2).sum(), [x, y])
    gx, gy = lm.autograd.grad((x * 2).sum(), [x, y], allow_unused=True)
    assert gy is None and gx.item() == 2.0
    gx, gy = lm.autograd.grad((x * 2).sum(), [x, y], materialize_grads=True)
    assert gy.item() == 0.0
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require"):
        lm.autograd.grad((x * 2).sum(), [lm.ones(1)])


def test_grad_with_grad_outputs_and_non_leaf_inputs():
    x = leaf([1.0, 2.0])
    h = x * 3
    (gh,) = lm.autograd.grad(h * h, h, grad_outputs=lm.tensor([1.0, 0.5], dtype=lm.float64))
    np.testing.assert_allclose(gh.numpy(), [6.0, 6.0])


def test_create_graph_gives_higher_derivatives():
    x = leaf([1.0, 2.0, -0.5])
    (g,) = lm.autograd.grad((x * x * x).sum(), x, create_graph=True)
    assert g.requires_grad
    (h,) = lm.autograd.grad(g.sum(), x, create_graph=True)
    np.testing.assert_allclose(h.detach().numpy(), 6 * np.array([1.0, 2.0, -0.5]))
    (t,) = lm.autograd.grad(h.sum(), x)
    np.testing.assert_allclose(t.numpy(), [6.0, 6.0, 6.0])


def test_backward_create_graph_leaves_differentiable_grad():
    x = leaf([2.0])
    (x * x * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (g2,) = lm.autograd.grad(x.grad.sum(), x)
    assert g2.item() == 12.0


# -- grad modes -----------------------------------------------------------------------------------

def test_no_grad_enable_grad_and_set_grad_enabled():
    x = leaf([1.0])
    with lm.no_grad():
        assert not lm.is_grad_enabled()
        assert not (x * 2).requires_grad
        with lm.enable_grad():
            assert (x * 2).requires_grad
    assert lm.is_grad_enabled()
    with lm.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    lm.set_grad_enabled(False)
    assert not lm.is_grad_enabled()
    lm.set_grad_enabled(True)
    with lm.inference_mode():
        assert lm.is_inference_mode_enabled() and not (x * 2).requires_grad
    assert not lm.is_inference_mode_enabled()


def test_grad_modes_as_decorators():
    x = leaf([1.0])

    @lm.no_grad()
    def f(t):
        return t * 2

    @lm.inference_mode()
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad and lm.is_grad_enabled()


def test_no_grad_allows_in_place_updates_of_leaves():
    w = leaf([1.0, 2.0])
    (w * w).sum().backward()
    with lm.no_grad():
        w.sub_(w.grad * 0.5)
    np.testing.assert_allclose(w.detach().numpy(), [0.0, 0.0])


def test_detach_and_freezing():
    x = leaf([1.0, 2.0])
    d = x.detach()
    assert not d.requires_grad and d.is_leaf
    d[0] = 5.0  # shares storage, as in PyTorch
    assert x[0].item() == 5.0
    y = x * 2
    y.detach_()
    assert not y.requires_grad and y.grad_fn is None
    frozen = leaf([1.0])
    frozen.requires_grad = False
    assert not (frozen * 2).requires_grad


# -- hooks ----------------------------------------------------------------------------------------

def test_tensor_hooks_on_leaf_and_non_leaf():
    x = leaf([1.0, 2.0])
    seen = []
    hx = x.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = x * 2
    y.register_hook(lambda g: g * 10)  # replaces the gradient flowing on
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0])
    np.testing.assert_allclose(seen[0], [20.0, 20.0])
    hx.remove()
    (x * 1).sum().backward()
    assert len(seen) == 1
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't"):
        lm.ones(1).register_hook(lambda g: g)


def test_node_hooks():
    x = leaf([1.0, 2.0])
    y = x * 3
    calls = []
    y.grad_fn.register_prehook(lambda go: calls.append("pre"))
    y.grad_fn.register_hook(lambda gi, go: calls.append("post"))
    y.sum().backward()
    assert calls == ["pre", "post"]


# -- in place and the version counter -------------------------------------------------------------

def test_in_place_on_leaf_requiring_grad_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x[0:1].add_(1)


def test_modified_saved_input_raises():
    x = leaf([1.0, 2.0])
    y = x * 1
    z = y * y  # saves y
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: "
                                           r"\[lamina.DoubleTensor \[2\]\], which is output 0 of "
                                           r"Add, is at version 1; expected version 0"):
        z.sum().backward()


def test_modified_unsaved_input_is_fine():
    x = leaf([1.0, 2.0])
    y = x * 1
    z = y + 3  # add saves nothing
    y.mul_(5)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_in_place_on_non_leaf_is_differentiated():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.mul_(y)  # y = (2x)^2: the old y is kept for the multiplication's backward
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 8 * np.array([1.0, 2.0]))


def test_write_into_a_view_of_a_constant():
    x = leaf([1.0, 2.0, 3.0])
    z = lm.zeros(3, dtype=lm.float64)
    z[0] = x[1] * 2
    assert z.requires_grad and type(z.grad_fn).__name__ == "CopySlices"
    (z * lm.tensor([5.0, 6.0, 7.0], dtype=lm.float64)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 10.0, 0.0])


def test_write_into_a_view_of_a_graph_tensor():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    y = x * 1
    y[1:3].mul_(10)  # y = [x0, 10 x1, 10 x2, x3]
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([1.0, 200.0, 300.0, 4.0]))


def test_view_made_before_an_in_place_write_sees_it():
    x = leaf([1.0, 2.0, 3.0])
    a = x * 1
    v = a[1:]
    a.mul_(2)
    v.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 2.0, 2.0])


def test_copy_into_graph_tensor_broadcasts_and_casts():
    w = lm.tensor([2.0], requires_grad=True)  # float32 source
    z = lm.zeros(2, 3, dtype=lm.float64)
    z.copy_(w)
    (z * 3).sum().backward()
    assert w.grad.dtype == lm.float32 and w.grad.item() == 18.0


def test_out_argument_refuses_autograd():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="functions with out=... arguments don't support"):
        lm.mul(x, 2, out=lm.empty(1, dtype=lm.float64))


# -- Function -------------------------------------------------------------------------------------

class Cube(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x * x * scale

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x * ctx.scale, None


def test_function_forward_backward_and_ctx():
    x = leaf([1.0, 2.0])
    y = Cube.apply(x, 2.0)
    assert type(y.grad_fn).__name__ == "CubeBackward"
    assert y.grad_fn.needs_input_grad == (True, False)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.array([1.0, 4.0]))


def test_function_backward_is_differentiable():
    x = leaf([1.5, -2.0])
    assert gradgradcheck(lambda t: Cube.apply(t, 1.0), (x,))


def test_function_saved_tensor_version_check():
    x = leaf([1.0])
    y = x * 1
    out = Cube.apply(y, 1.0)
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


class SplitMax(Function):
    @staticmethod
    def forward(ctx, x):
        i = lm.argmax(x)
        ctx.mark_non_differentiable(i)
        ctx.save_for_backward(i)
        ctx.n = x.shape[0]
        return x.max(), i

    @staticmethod
    def backward(ctx, g, gi):
        assert gi is not None  # materialized as zeros
        (i,) = ctx.saved_tensors
        out = lm.zeros(ctx.n, dtype=g.dtype)
        out[i] = g
        return out


def test_function_non_differentiable_output():
    x = leaf([1.0, 5.0, 2.0])
    m, i = SplitMax.apply(x)
    assert m.requires_grad and not i.requires_grad
    m.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0, 0.0])


def test_function_setup_context_form():
    class Double(Function):
        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.marker = "set"

        @staticmethod
        def backward(ctx, g):
            assert ctx.marker == "set"
            return g * 2

    x = leaf([1.0])
    Double.apply(x).sum().backward()
    assert x.grad.item() == 2.0


def test_function_wrong_gradient_count():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    a, b = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        Bad.apply(a, b).sum().backward()


def test_invalid_gradient_shape_names_the_node():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return lm.ones(5, dtype=g.dtype)

    with pytest.raises(RuntimeError, match=r"Function BadBackward returned an invalid gradient "
                                           r"at index 0 - got \[5\] but expected shape"):
        Bad.apply(leaf([1.0, 2.0])).sum().backward()


# -- gradcheck and anomaly ------------------------------------------------------------------------

class WrongCube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 2 * x * x  # should be 3 x^2


def test_gradcheck_accepts_correct_and_names_the_wrong():
    x = leaf([0.5, -1.0, 2.0])
    assert gradcheck(lambda t: Cube.apply(t, 1.0), (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to "
                                             "input 0"):
        gradcheck(WrongCube.apply, (x,))
    assert gradcheck(WrongCube.apply, (x,), raise_exception=False) is False


def test_gradcheck_complex_inputs():
    z = lm.tensor([1 + 2j, -0.5 + 0.25j], dtype=lm.complex128, requires_grad=True)
    w = lm.tensor([0.5 - 1j, 2 + 0j], dtype=lm.complex128, requires_grad=True)
    assert gradcheck(lambda a, b: a * b, (z, w))
    assert gradgradcheck(lambda a, b: a * b * a, (z, w))


def test_complex_gradient_convention():
    # L = |z|^2 = z conj(z): PyTorch's .grad holds dL/dx + i dL/dy = 2z.
    z = lm.tensor([1 + 2j], dtype=lm.complex128, requires_grad=True)
    (z * z.conj()).real.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [2 + 4j])


def test_gradcheck_requires_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="gradcheck expects at least one input tensor"):
        gradcheck(lambda t: t * 2, (lm.ones(2, dtype=lm.float64),))


def test_detect_anomaly_names_the_node():
    class NanBack(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = leaf([1.0])
    with lm.autograd.detect_anomaly():
        y = NanBack.apply(x)
        with pytest.warns(UserWarning, match="(?s)Error detected in NanBackBackward.*"
                                             "test_autograd_api.py"):
            with pytest.raises(RuntimeError, match="Function 'NanBackBackward' returned nan"):
                y.sum().backward()
    y = NanBack.apply(x)
    y.sum().backward()  # without anomaly mode, NaN passes silently, as in PyTorch
    assert np.isnan(x.grad.item())


def test_several_roots_one_feeding_another():
    x = leaf([1.0, 2.0])
    y = x * 3
    z = y * y
    lm.autograd.backward([z.sum(), y.sum()])  # y is both a root's input and itself summed
    np.testing.assert_allclose(x.grad.numpy(), 18 * np.array([1.0, 2.0]) + 3)
    z = (x * 3) * (x * 3)
    (gx,) = lm.autograd.grad([z.sum(), x.sum()], x)  # a root that is the leaf's own sum
    np.testing.assert_allclose(gx.numpy(), 18 * np.array([1.0, 2.0]) + 1)


def test_view_made_before_its_base_entered_the_graph():
    x = leaf([1.0, 2.0])
    z = lm.zeros(3, dtype=lm.float64)
    v = z[1:]  # made while z was a constant
    z[2] = x[0] * 5  # z enters the graph through another view
    (v * v).sum().backward()  # v = [0, 5 x0]
    np.testing.assert_allclose(x.grad.numpy(), [50.0, 0.0])


def test_grad_mode_is_per_thread():
    """As PyTorch: a thread starts with grad on, and no_grad in one thread leaves the others
    recording. Two threads enter no_grad in turn and leave in the same order: with one shared
    flag, the second restores the "off" it saved from the first, and grad stays off for good."""
    seen = []
    with lm.no_grad():
        t = threading.Thread(target=lambda: seen.append(lm.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first():
        with lm.no_grad():
            first_in.set()
            second_in.wait()
        first_out.set()

    def second():
        first_in.wait()
        with lm.no_grad():
            second_in.set()
            first_out.wait()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lm.is_grad_enabled()
    x = lm.ones(2, requires_grad=True)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
