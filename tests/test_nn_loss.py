"""Losses (modules and functions) against NumPy formulas, for each reduction: ignore_index,
class weights and the weighted-mean denominator, label smoothing, probability targets,
pos_weight, and the numerically stable forms."""

import numpy as np
import pytest

import lamina as lm
import lamina.nn.functional as F
from lamina import nn
from lamina.autograd import gradcheck
from lamina.func import vmap

RNG = np.random.default_rng(1)
REDUCTIONS = ["mean", "sum", "none"]


def t64(a, requires_grad=False):
    return lm.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def reduce(loss, reduction, denominator=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (loss.size if denominator is None else denominator)


def log_softmax(x, axis=1):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def close(got, want):
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_and_l1(reduction):
    x, y = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    close(nn.MSELoss(reduction=reduction)(t64(x), t64(y)), reduce((x - y) ** 2, reduction))
    close(nn.L1Loss(reduction=reduction)(t64(x), t64(y)), reduce(np.abs(x - y), reduction))
    w = RNG.random((3, 4))
    close(F.mse_loss(t64(x), t64(y), reduction=reduction, weight=t64(w)),
          reduce(w * (x - y) ** 2, reduction, w.sum()))


def test_mse_gradient_and_broadcast_warning():
    x, y = t64(RNG.standard_normal((3, 4)), True), RNG.standard_normal((3, 4))
    F.mse_loss(x, t64(y)).backward()
    close(x.grad, 2 * (x.detach().numpy() - y) / 12)
    with pytest.warns(UserWarning, match="Using a target size .* that is different to the input "
                                         "size"):
        F.l1_loss(t64(np.ones((3, 4))), t64(np.ones(4)))


def nll_reference(logp, target, weight, ignore_index, reduction):
    """NumPy NLL over (N, C): -w[t] logp[t]; the mean divides by the kept targets' weights."""
    w = np.ones(logp.shape[1]) if weight is None else weight
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    wt = np.where(keep, w[safe], 0.0)
    loss = -wt * logp[np.arange(len(target)), safe]
    return reduce(loss, reduction, wt.sum())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_nll_loss(reduction, weighted):
    logp = log_softmax(RNG.standard_normal((6, 4)))
    target = np.array([0, 3, -100, 2, 1, 3])
    weight = RNG.random(4) + 0.5 if weighted else None
    loss = nn.NLLLoss(weight=None if weight is None else t64(weight), reduction=reduction)
    close(loss(t64(logp), lm.tensor(target)),
          nll_reference(logp, target, weight, -100, reduction))
    # another ignore_index
    target2 = np.array([0, 3, 1, 2, 1, 3])
    close(F.nll_loss(t64(logp), lm.tensor(target2), ignore_index=3, reduction=reduction,
                     weight=None if weight is None else t64(weight)),
          nll_reference(logp, target2, weight, 3, reduction))


def ce_reference(x, target, weight, ignore_index, smoothing, reduction):
    """PyTorch's definition for class indices: (1 - eps) * NLL + eps / C * (the loss summed over
    every class), both means divided by the kept targets' weights."""
    n, c = x.shape
    logp = log_softmax(x)
    w = np.ones(c) if weight is None else weight
    keep = target != ignore_index
    wt = np.where(keep, w[np.where(keep, target, 0)], 0.0)
    nll = nll_reference(logp, target, weight, ignore_index, reduction)
    smooth = np.where(keep, -(logp * w).sum(1), 0.0)
    return (1 - smoothing) * nll + smoothing / c * reduce(smooth, reduction, wt.sum())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_cross_entropy_class_indices(reduction, smoothing, weighted):
    x = RNG.standard_normal((6, 4)) * 2
    target = np.array([0, 3, -100, 2, 1, 3])
    weight = RNG.random(4) + 0.5 if weighted else None
    loss = nn.CrossEntropyLoss(weight=None if weight is None else t64(weight),
                               reduction=reduction, label_smoothing=smoothing)
    close(loss(t64(x), lm.tensor(target)),
          ce_reference(x, target, weight, -100, smoothing, reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_cross_entropy_probabilities(reduction, smoothing, weighted):
    x = RNG.standard_normal((5, 3))
    p = RNG.random((5, 3))
    p /= p.sum(1, keepdims=True)
    weight = RNG.random(3) + 0.5 if weighted else None
    q = p * (1 - smoothing) + smoothing / 3
    w = np.ones(3) if weight is None else weight
    want = reduce(-(w * q * log_softmax(x)).sum(1), reduction)  # mean over samples, unweighted
    close(F.cross_entropy(t64(x), t64(p), weight=None if weight is None else t64(weight),
                          reduction=reduction, label_smoothing=smoothing), want)


def test_cross_entropy_spatial_and_unbatched():
    x = RNG.standard_normal((2, 3, 4))  # (N, C, d)
    target = RNG.integers(0, 3, (2, 4))
    flat_x = x.transpose(0, 2, 1).reshape(-1, 3)
    close(F.cross_entropy(t64(x), lm.tensor(target), label_smoothing=0.1),
          ce_reference(flat_x, target.reshape(-1), None, -100, 0.1, "mean"))
    close(F.cross_entropy(t64(x), lm.tensor(target), reduction="none"),
          ce_reference(flat_x, target.reshape(-1), None, -100, 0.0, "none")
          .reshape(2, 4, order="C"))
    v = RNG.standard_normal(5)
    close(F.cross_entropy(t64(v), lm.tensor(2)), -log_softmax(v[None])[0, 2])
    # every target ignored: the weighted mean is 0 / 0
    assert np.isnan(F.cross_entropy(t64(x[:, :, 0]), lm.full((2,), -100)).item())


def test_cross_entropy_gradients():
    x = RNG.standard_normal((4, 3))
    target = np.array([0, 2, -100, 1])
    w = RNG.random(3) + 0.5

    def f(x, w):
        return F.cross_entropy(x, lm.tensor(target), weight=w, label_smoothing=0.2)

    assert gradcheck(f, (t64(x, True), t64(w, True)))
    # unweighted, unsmoothed: (softmax - onehot) / kept count, zero on ignored rows
    xt = t64(x, True)
    F.cross_entropy(xt, lm.tensor(target)).backward()
    onehot = np.eye(3)[np.where(target >= 0, target, 0)]
    want = (np.exp(log_softmax(x)) - onehot) / 3
    want[2] = 0
    close(xt.grad, want)


def test_class_loss_errors():
    x = t64(np.zeros((3, 4)))
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        F.cross_entropy(x, lm.tensor([0, 7, 1]))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target "
                                         r"batch_size \(2\)."):
        F.nll_loss(x, lm.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="0D or 1D target tensor expected, multi-target not "
                                           "supported"):
        F.nll_loss(x, lm.zeros(3, 2, dtype=lm.int64))
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        F.nll_loss(x, lm.zeros(3))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 4 "
                                           "classes or no classes"):
        F.nll_loss(x, lm.tensor([0, 1, 2]), weight=t64(np.ones(3)))
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F.cross_entropy(x, lm.tensor([0, 1, 2]), reduction="bad")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    p, y, w = RNG.random((3, 4)), (RNG.random((3, 4)) > 0.5) * 1.0, RNG.random(4)
    want = -w * (y * np.log(p) + (1 - y) * np.log(1 - p))
    close(nn.BCELoss(weight=t64(w), reduction=reduction)(t64(p), t64(y)),
          reduce(want, reduction))


def test_binary_cross_entropy_clamps_and_grad():
    # log(0) clamped at -100, as PyTorch does
    close(F.binary_cross_entropy(t64([0.0, 1.0]), t64([1.0, 0.0]), reduction="none"),
          [100.0, 100.0])
    # PyTorch's gradients: (x - t) / max(x (1 - x), 1e-12) in x, log(1 - x) - log(x) in t
    x = np.array([0.2, 0.7, 0.0, 1.0, 1.0, 0.0, 1e-13, 0.5])
    t = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.3])
    p, y = t64(x, True), t64(t, True)
    F.binary_cross_entropy(p, y, reduction="sum").backward()
    close(p.grad, (x - t) / np.maximum(x * (1 - x), 1e-12))
    with np.errstate(divide="ignore"):
        close(y.grad, np.maximum(np.log1p(-x), -100) - np.maximum(np.log(x), -100))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(t64([1.5]), t64([1.0]))
    with pytest.raises(ValueError, match="Using a target size .* is deprecated"):
        F.binary_cross_entropy(t64([0.5, 0.5]), t64([1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits(reduction):
    x, y = RNG.standard_normal((3, 4)) * 3, RNG.random((3, 4))
    w, pw = RNG.random(4), RNG.random(4) * 3
    s = 1 / (1 + np.exp(-x))
    want = -w * (pw * y * np.log(s) + (1 - y) * np.log(1 - s))
    loss = nn.BCEWithLogitsLoss(weight=t64(w), pos_weight=t64(pw), reduction=reduction)
    np.testing.assert_allclose(loss(t64(x), t64(y)).numpy(), reduce(want, reduction), rtol=1e-12)
    plain = -(y * np.log(s) + (1 - y) * np.log(1 - s))
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(t64(x), t64(y), reduction=reduction).numpy(),
        reduce(plain, reduction), rtol=1e-12)


def test_bce_with_logits_is_stable_and_its_gradient():
    # log(sigmoid(-1000)) is -1000, not -inf
    close(F.binary_cross_entropy_with_logits(t64([1000.0, -1000.0]), t64([0.0, 1.0]),
                                             reduction="none"), [1000.0, 1000.0])
    x, y, pw = np.array([-2.0, 0.0, 3.0]), np.array([1.0, 0.3, 0.0]), np.array([2.0, 0.5, 1.0])
    xt = t64(x, True)
    F.binary_cross_entropy_with_logits(xt, t64(y), pos_weight=t64(pw), reduction="sum").backward()
    s = 1 / (1 + np.exp(-x))
    close(xt.grad, s * (pw * y + 1 - y) - pw * y)  # exact at x = 0 too
    with pytest.raises(ValueError, match="must be the same as input size"):
        F.binary_cross_entropy_with_logits(xt, t64([1.0]))


def test_legacy_reduction_arguments():
    x, y = t64([1.0, 2.0]), t64([0.0, 0.0])
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, "
                                         "please use reduction='sum' instead."):
        loss = nn.MSELoss(size_average=False)
    assert loss.reduction == "sum" and loss(x, y).item() == 5.0
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert F.l1_loss(x, y, reduce=False).tolist() == [1.0, 2.0]


def test_loss_modules_hold_weights_as_buffers():
    w = t64([1.0, 2.0])
    ce = nn.CrossEntropyLoss(weight=w, ignore_index=1, label_smoothing=0.1)
    assert ce.weight is w and list(ce.state_dict()) == ["weight"]
    assert (ce.ignore_index, ce.label_smoothing, ce.reduction) == (1, 0.1, "mean")
    bce = nn.BCEWithLogitsLoss(pos_weight=w)
    assert [n for n, _ in bce.named_buffers()] == ["pos_weight"]


def test_losses_under_vmap_match_a_loop():
    # The data checks (target bounds, input range) are skipped under a transform; the losses
    # themselves batch.
    x = t64(RNG.standard_normal((4, 5, 3)))
    target = lm.tensor(np.where(RNG.random((4, 5)) < 0.2, -100, RNG.integers(0, 3, (4, 5))))
    w = t64([1.0, 2.0, 3.0])

    def ce(xi, ti):
        return F.cross_entropy(xi, ti, weight=w, label_smoothing=0.1)

    close(vmap(ce)(x, target), np.array([ce(x[i], target[i]).item() for i in range(4)]))
    p, y = t64(RNG.random((4, 3))), t64(RNG.random((4, 3)))
    close(vmap(F.binary_cross_entropy)(p, y),
          np.array([F.binary_cross_entropy(p[i], y[i]).item() for i in range(4)]))
