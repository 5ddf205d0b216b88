"""End to end: lamina.nn models fitted with each lamina.optim optimizer to solutions known in
advance (a least-squares fit NumPy solves exactly, labels of separable data), and the seed
walk-through, an nn.Linear trained with SGD while other parameters stay frozen."""

import numpy as np
import pytest

import lamina as lm
from lamina import nn

# Options that let each optimizer reach the solution in the step count given.
OPTIMIZERS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.2, "momentum": 0.5, "nesterov": True}),
    ("Adam", {"lr": 0.05}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.0}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("Adagrad", {"lr": 0.5}),
]
IDS = [f"{name}-{'-'.join(opts)}" for name, opts in OPTIMIZERS]


def _fit(model, loss_fn, x, y, name, opts, steps):
    opt = getattr(lm.optim, name)(model.parameters(), **opts)

    def closure():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss

    for _ in range(steps):
        loss = opt.step(closure)
    return loss.item()


@pytest.mark.parametrize("name, opts", OPTIMIZERS, ids=IDS)
def test_linear_regression_reaches_the_least_squares_solution(name, opts):
    """Noisy targets, so the solution is NumPy's least-squares fit, not the generating weights."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((128, 4))
    y = X @ np.array([[1.5], [-2.0], [0.5], [0.0]]) + 0.7 + 0.1 * rng.standard_normal((128, 1))
    solution = np.linalg.lstsq(np.hstack([X, np.ones((128, 1))]), y, rcond=None)[0][:, 0]
    lm.manual_seed(0)
    model = nn.Linear(4, 1, dtype=lm.float64)
    _fit(model, nn.MSELoss(), lm.tensor(X), lm.tensor(y), name, opts, 600)
    fitted = np.append(model.weight.detach().numpy()[0], model.bias.item())
    np.testing.assert_allclose(fitted, solution, atol=2e-3)


def _xor_blobs(rng, n):
    """Four clusters at (+-1, +-1), labelled by the sign of x0 * x1: no linear model separates
    them, a hidden layer does."""
    centers = rng.choice([-1.0, 1.0], size=(n, 2))
    x = centers + 0.15 * rng.standard_normal((n, 2))
    return x.astype(np.float32), (centers[:, 0] * centers[:, 1] > 0).astype(np.int64)


@pytest.mark.parametrize("name, opts", OPTIMIZERS, ids=IDS)
def test_two_layer_classifier_learns_the_labels(name, opts):
    rng = np.random.default_rng(5)
    x, labels = _xor_blobs(rng, 200)
    lm.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 2))
    loss = _fit(model, nn.CrossEntropyLoss(), lm.tensor(x), lm.tensor(labels), name, opts, 400)
    assert loss < 0.05
    x_new, labels_new = _xor_blobs(rng, 200)
    with lm.no_grad():
        predicted = model(lm.tensor(x_new)).argmax(dim=1).numpy()
    np.testing.assert_array_equal(predicted, labels_new)


def test_linear_layer_trained_with_sgd_while_others_stay_frozen():
    """The seed walk-through: a frozen random feature layer under a trained nn.Linear head whose
    bias is frozen too; the optimizer is handed every parameter and must skip the frozen ones."""
    rng = np.random.default_rng(7)
    lm.manual_seed(2)
    features, head = nn.Linear(8, 4, dtype=lm.float64), nn.Linear(4, 1, dtype=lm.float64)
    model = nn.Sequential(features, nn.Tanh(), head)
    features.requires_grad_(False)
    head.bias.requires_grad_(False)
    frozen = {name: p.detach().numpy().copy() for name, p in model.named_parameters()
              if not p.requires_grad}
    assert sorted(frozen) == ["0.bias", "0.weight", "2.bias"]

    X = rng.standard_normal((64, 8))
    hidden = np.tanh(X @ features.weight.detach().numpy().T + features.bias.detach().numpy())
    y = hidden @ rng.standard_normal((4, 1)) + head.bias.item()
    w0 = head.weight.detach().numpy().copy()
    opt = lm.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.MSELoss()
    Xt, yt = lm.tensor(X), lm.tensor(y)

    # The first step by hand: d/dW mean((hW^T + b - y)^2) = 2/N (hW^T + b - y)^T h.
    loss_fn(model(Xt), yt).backward()
    grad = 2 / 64 * (hidden @ w0.T + head.bias.item() - y).T @ hidden
    np.testing.assert_allclose(head.weight.grad.numpy(), grad, rtol=1e-12)
    assert all(p.grad is None for p in model.parameters() if not p.requires_grad)
    opt.step()
    np.testing.assert_allclose(head.weight.detach().numpy(), w0 - 0.1 * grad, rtol=1e-12)

    for _ in range(300):
        opt.zero_grad()
        loss = loss_fn(model(Xt), yt)
        loss.backward()
        opt.step()
    assert loss.item() < 1e-10
    solution = np.linalg.lstsq(hidden, y - head.bias.item(), rcond=None)[0].T
    np.testing.assert_allclose(head.weight.detach().numpy(), solution, atol=1e-5)
    for name, p in model.named_parameters():
        if name in frozen:
            np.testing.assert_array_equal(p.detach().numpy(), frozen[name])
            assert p.grad is None and p not in opt.state
