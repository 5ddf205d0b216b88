"""lamina.optim.lr_scheduler: rate sequences against each schedule's closed form, the step at
construction, epoch-argument steps, state_dict, and torch's warnings and errors."""

import math
import warnings

import pytest

import lamina as lm
from lamina.optim import lr_scheduler

BASE_LRS = [0.1, 0.4]
T_MAX, ETA_MIN = 7, 0.01

# name -> (constructor options, closed form of the rate at epoch e for base rate lr)
SCHEDULES = {
    "StepLR": ({"step_size": 3, "gamma": 0.5}, lambda lr, e: lr * 0.5 ** (e // 3)),
    "ExponentialLR": ({"gamma": 0.9}, lambda lr, e: lr * 0.9**e),
    # Past T_max the chained form keeps following the cosine, with period 2 T_max.
    "CosineAnnealingLR": ({"T_max": T_MAX, "eta_min": ETA_MIN},
                          lambda lr, e: ETA_MIN + (lr - ETA_MIN)
                          * (1 + math.cos(math.pi * e / T_MAX)) / 2),
    "LambdaLR": ({"lr_lambda": lambda e: 1 / (1 + e) ** 0.5}, lambda lr, e: lr / (1 + e) ** 0.5),
}


def _optimizer():
    params = [lm.tensor([1.0], requires_grad=True) for _ in BASE_LRS]
    return lm.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, BASE_LRS)])


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_rates_follow_the_closed_form(name):
    opts, closed_form = SCHEDULES[name]
    opt = _optimizer()
    sched = getattr(lr_scheduler, name)(opt, **opts)
    assert sched.last_epoch == 0
    assert [g["initial_lr"] for g in opt.param_groups] == BASE_LRS
    assert sched.base_lrs == BASE_LRS
    for epoch in range(3 * T_MAX):
        expected = [closed_form(lr, epoch) for lr in BASE_LRS]
        assert sched.last_epoch == epoch
        assert sched.get_last_lr() == pytest.approx(expected, rel=1e-12, abs=1e-15)
        assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()
        opt.step()
        sched.step()


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_step_with_epoch_uses_the_closed_form_and_warns(name):
    opts, closed_form = SCHEDULES[name]
    opt = _optimizer()
    sched = getattr(lr_scheduler, name)(opt, **opts)
    opt.step()
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not "
                                         "necessary"):
        sched.step(5)
    assert sched.last_epoch == 5
    assert sched.get_last_lr() == pytest.approx([closed_form(lr, 5) for lr in BASE_LRS])


@pytest.mark.parametrize("name", ["StepLR", "ExponentialLR", "CosineAnnealingLR"])
def test_chained_schedules_carry_a_rate_changed_by_hand(name):
    # The chainable form multiplies the current rate: halving it by hand halves what follows
    # (for the cosine, the distance to eta_min).
    opts, closed_form = SCHEDULES[name]
    opt = _optimizer()
    sched = getattr(lr_scheduler, name)(opt, **opts)
    opt.step()
    sched.step()
    floor = ETA_MIN if name == "CosineAnnealingLR" else 0.0
    opt.param_groups[0]["lr"] = floor + (opt.param_groups[0]["lr"] - floor) / 2
    for _ in range(4):
        opt.step()
        sched.step()
    expected = floor + (closed_form(BASE_LRS[0], 5) - floor) / 2
    assert sched.get_last_lr()[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_state_dict_round_trip(name):
    opts, _ = SCHEDULES[name]
    opt = _optimizer()
    sched = getattr(lr_scheduler, name)(opt, **opts)
    for _ in range(4):
        opt.step()
        sched.step()
    state = sched.state_dict()
    assert "optimizer" not in state and state["last_epoch"] == 4
    opt2 = _optimizer()
    opt2.load_state_dict(opt.state_dict())
    sched2 = getattr(lr_scheduler, name)(opt2, **opts)
    sched2.load_state_dict(state)
    for _ in range(5):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
    assert sched2.last_epoch == sched.last_epoch == 9
    assert sched2.get_last_lr() == sched.get_last_lr()


def test_lambda_lr_saves_callable_objects_but_not_functions():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate**epoch

    opt = _optimizer()
    sched = lr_scheduler.LambdaLR(opt, [Decay(0.5), lambda e: 1.0])
    assert sched.state_dict()["lr_lambdas"] == [{"rate": 0.5}, None]
    other = lr_scheduler.LambdaLR(_optimizer(), [Decay(0.9), lambda e: 2.0])
    other.load_state_dict(sched.state_dict())
    assert other.lr_lambdas[0].rate == 0.5
    assert other.get_last_lr() == [0.1, 0.4]


def test_scheduler_drives_the_optimizer():
    p = lm.tensor([0.0], requires_grad=True)
    opt = lm.optim.SGD([p], lr=1.0)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        p.grad = lm.tensor([1.0])
        opt.step()
        sched.step()
    assert p.item() == -(1.0 + 0.5 + 0.25)


def test_resume_requires_initial_lr():
    with pytest.raises(KeyError, match="param 'initial_lr' is not specified in param_groups\\[0\\] "
                                       "when resuming scheduler with last_epoch >= 0"):
        lr_scheduler.ExponentialLR(_optimizer(), gamma=0.9, last_epoch=3)
    opt = _optimizer()
    for group in opt.param_groups:
        group["initial_lr"] = 1.0
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert sched.last_epoch == 4 and sched.base_lrs == [1.0, 1.0]
    # ExponentialLR's construction step keeps the current rates.
    assert sched.get_last_lr() == BASE_LRS


def test_cosine_resumed_chains_from_the_current_rate():
    # Resuming (last_epoch >= 0) keeps the groups' rates and chains on from them, as torch does.
    opt = _optimizer()
    for group in opt.param_groups:
        group["initial_lr"] = 1.0
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=T_MAX, eta_min=ETA_MIN, last_epoch=2)
    assert sched.get_last_lr() == BASE_LRS
    opt.step()
    sched.step()
    ratio = (1 + math.cos(math.pi * 4 / T_MAX)) / (1 + math.cos(math.pi * 3 / T_MAX))
    assert sched.get_last_lr() == pytest.approx(
        [ETA_MIN + ratio * (lr - ETA_MIN) for lr in BASE_LRS], rel=1e-12)


def test_a_second_scheduler_keeps_the_first_initial_lr():
    opt = _optimizer()
    lr_scheduler.ExponentialLR(opt, gamma=0.5)
    opt.step()
    for group in opt.param_groups:
        group["lr"] = 7.0
    second = lr_scheduler.LambdaLR(opt, lambda e: 1.0)
    assert second.base_lrs == BASE_LRS
    assert second.get_last_lr() == BASE_LRS


def test_construction_errors():
    with pytest.raises(TypeError, match="^list is not an Optimizer$"):
        lr_scheduler.StepLR([], step_size=1)
    with pytest.raises(ValueError, match="^Expected 2 lr_lambdas, but got 1$"):
        lr_scheduler.LambdaLR(_optimizer(), [lambda e: 1.0])


def test_warnings():
    opt = _optimizer()
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.9)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before "
                                         "`optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()
    opt = _optimizer()
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
        sched.step()
