"""nn layers and their functional forms: forward against NumPy, gradients by hand and by
gradcheck, default initialisation, and per-sample gradients of a module via
func.functional_call + vmap(grad)."""

import math

import numpy as np
import pytest

import lamina as lm
import lamina.nn.functional as F
from lamina import nn
from lamina.autograd import gradcheck
from lamina.func import functional_call, grad, vmap

RNG = np.random.default_rng(0)


def t64(a, requires_grad=False):
    return lm.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def np_log_softmax(x, axis):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def test_linear_forward_backward():
    lin = nn.Linear(3, 2).double()
    assert (lin.in_features, lin.out_features) == (3, 2)
    assert lin.weight.shape == (2, 3) and lin.bias.shape == (2,)
    x = RNG.standard_normal((4, 5, 3))
    W, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    out = lin(t64(x))
    np.testing.assert_allclose(out.detach().numpy(), x @ W.T + b, rtol=1e-12)
    ct = RNG.standard_normal((4, 5, 2))
    out.backward(t64(ct))
    np.testing.assert_allclose(lin.weight.grad.numpy(), np.einsum("abo,abi->oi", ct, x),
                               rtol=1e-12)
    np.testing.assert_allclose(lin.bias.grad.numpy(), ct.sum((0, 1)), rtol=1e-12)
    no_bias = nn.Linear(3, 2, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    assert repr(no_bias) == "Linear(in_features=3, out_features=2, bias=False)"
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied "
                                           r"\(20x2 and 3x2\)"):
        no_bias(lm.ones(4, 5, 2))
    with pytest.raises(RuntimeError, match="mat1 and mat2 must have the same dtype, but got "
                                           "Float and Double"):
        lin(lm.ones(2, 3))
    with pytest.raises(RuntimeError, match="both arguments to linear need to be at least 1D, "
                                           "but they are 0D and 2D"):
        lin(lm.ones(()))
    np.testing.assert_allclose(lin(t64(x[0, 0])).detach().numpy(), x[0, 0] @ W.T + b,
                               rtol=1e-12)  # one unbatched sample


def test_linear_default_init_bounds():
    lm.manual_seed(0)
    lin = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) on fan_in 400
    w, b = lin.weight.detach().numpy(), lin.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.95 * bound
    # U(-bound, bound) has variance bound^2 / 3
    assert abs(w.var() - bound**2 / 3) < 0.02 * bound**2 / 3
    assert lin.weight.dtype == lm.float32
    assert nn.Linear(2, 2, dtype=lm.float64).weight.dtype == lm.float64


def test_linear_gradcheck():
    x, w, b = (t64(RNG.standard_normal(s), True) for s in ((3, 4), (2, 4), (2,)))
    assert gradcheck(F.linear, (x, w, b))


def test_bilinear():
    bil = nn.Bilinear(3, 4, 2).double()
    bound = 1 / math.sqrt(3)
    assert np.abs(bil.weight.detach().numpy()).max() <= bound
    x1, x2 = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 4))
    A, b = bil.weight.detach().numpy(), bil.bias.detach().numpy()
    want = np.einsum("ni,oij,nj->no", x1, A, x2) + b
    np.testing.assert_allclose(bil(t64(x1), t64(x2)).detach().numpy(), want, rtol=1e-12)
    args = (t64(x1, True), t64(x2, True), t64(A, True), t64(b, True))
    assert gradcheck(F.bilinear, args)
    with pytest.raises(RuntimeError, match="batch dimensions do not match"):
        bil(t64(x1), t64(x2[:3]))


def test_identity_and_flatten():
    x = lm.randn(2, 3, 4, 5)
    assert nn.Identity(54, unused=1)(x) is x
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)


@pytest.mark.parametrize("module, fn", [
    (nn.ReLU(), lambda x: np.maximum(x, 0)),
    (nn.Tanh(), np.tanh),
    (nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (nn.Softmax(dim=1), lambda x: np.exp(np_log_softmax(x, 1))),
    (nn.LogSoftmax(dim=0), lambda x: np_log_softmax(x, 0)),
], ids=["ReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax"])
def test_activations(module, fn):
    x = RNG.standard_normal((4, 5)) * 3
    np.testing.assert_allclose(module(t64(x)).numpy(), fn(x), rtol=1e-12, atol=1e-15)
    if not isinstance(module, nn.ReLU):  # relu's kink makes finite differences unreliable
        assert gradcheck(module, (t64(x, True),))


def test_softmax_extremes_and_implicit_dim():
    x = t64([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(F.softmax(x, 1).numpy(), [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(F.log_softmax(x, 1).numpy(), [[0.0, -1000.0, -2000.0]])
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = F.softmax(t64(np.ones((2, 3))))
    np.testing.assert_allclose(y.numpy(), np.full((2, 3), 1 / 3))  # dim 1 for 2-d input
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        y = nn.LogSoftmax()(t64(np.ones((2, 3, 4))))
    np.testing.assert_allclose(y.numpy(), np.full((2, 3, 4), -math.log(2)))  # dim 0 for 3-d
    assert F.softmax(t64([0.0, 0.0]), 0, dtype=lm.float32).dtype == lm.float32


def test_relu_inplace():
    x = lm.tensor([-1.0, 2.0])
    assert nn.ReLU(inplace=True)(x) is x
    assert x.tolist() == [0.0, 2.0]


def test_dropout_scaling_and_grad():
    lm.manual_seed(0)
    x = lm.ones(10000, requires_grad=True)
    y = F.dropout(x, 0.25)
    kept = y.detach().numpy() != 0
    np.testing.assert_allclose(y.detach().numpy()[kept], 1 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.02
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.75)
    assert F.dropout(x, 0.25, training=False) is x
    assert F.dropout(x, 1.0).abs().sum().item() == 0.0
    z = lm.ones(4)
    assert F.dropout(z, 0.5, inplace=True) is z
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but "
                                         "got 1.5"):
        nn.Dropout(1.5)


def test_functional_call_replaces_parameters():
    lin = nn.Linear(2, 1, bias=False)
    out = functional_call(lin, {"weight": lm.tensor([[1.0, 2.0]])}, (lm.tensor([[3.0, 4.0]]),))
    assert out.item() == 11.0
    assert isinstance(lin.weight, nn.Parameter)  # restored afterwards
    assert lin.weight.tolist() != [[1.0, 2.0]]
    seq = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    params = {k: v.detach() for k, v in seq.named_parameters()}
    x = lm.randn(3, 2)
    np.testing.assert_allclose(functional_call(seq, params, (x,)).detach().numpy(),
                               seq(x).detach().numpy())


def test_per_sample_gradients_of_a_module():
    lm.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    params = {k: v.detach() for k, v in model.named_parameters()}
    x = t64(RNG.standard_normal((6, 3)))
    y = lm.tensor(RNG.integers(0, 2, 6))

    def loss(p, xi, yi):
        return F.cross_entropy(functional_call(model, p, (xi.unsqueeze(0),)), yi.unsqueeze(0))

    per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)
    for i in range(6):
        model.zero_grad()
        F.cross_entropy(model(x[i:i + 1]), y[i:i + 1]).backward()
        for name, p in model.named_parameters():
            np.testing.assert_allclose(per_sample[name][i].numpy(), p.grad.numpy(), rtol=1e-10,
                                       atol=1e-14)

