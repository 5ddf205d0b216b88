"""lamina.optim next to torch.optim on the same parameters and gradients: trajectories, state_dict
layout, repr, error messages and scheduler rates. Skipped where PyTorch is not installed; the NumPy
references in test_optim.py are the suite's own check, this one catches drift from PyTorch."""

import math
import warnings

import numpy as np
import pytest
from test_optim import (
    CASES,
    CONSTRUCTOR_ERROR_IDS,
    CONSTRUCTOR_ERRORS,
    IDS,
    SHAPES,
    constructor_error,
)

import lamina as lm

torch = pytest.importorskip("torch")

LIBS = (torch, lm)


def _trajectory(lib, name, opts, dtype, steps=8):
    rng = np.random.default_rng(5)
    params = [lib.tensor(rng.standard_normal(s), dtype=getattr(lib, dtype), requires_grad=True)
              for s in SHAPES]
    opt = getattr(lib.optim, name)([{"params": params[:1]}, {"params": params[1:], "lr": 0.02}],
                                   **opts)
    for _ in range(steps):
        for p in params:
            p.grad = lib.tensor(rng.standard_normal(tuple(p.shape)), dtype=p.dtype)
        opt.step()
    return [p.detach().numpy().copy() for p in params], opt


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-13), ("float32", 1e-5)])
@pytest.mark.parametrize("name, opts", CASES, ids=IDS)
def test_trajectory_and_state_dict(name, opts, dtype, rtol):
    (theirs, t_opt), (ours, l_opt) = (_trajectory(lib, name, opts, dtype) for lib in LIBS)
    for a, b in zip(theirs, ours):
        np.testing.assert_allclose(b, a, rtol=rtol, atol=rtol)
    t_sd, l_sd = t_opt.state_dict(), l_opt.state_dict()
    assert l_sd["param_groups"] == t_sd["param_groups"]
    assert l_sd["state"].keys() == t_sd["state"].keys()
    for k, t_state in t_sd["state"].items():
        assert l_sd["state"][k].keys() == t_state.keys()
        for key, t_value in t_state.items():
            l_value = l_sd["state"][k][key]
            assert str(l_value.dtype).split(".")[1] == str(t_value.dtype).split(".")[1]
            assert tuple(l_value.shape) == tuple(t_value.shape)
            np.testing.assert_allclose(l_value.numpy(), t_value.numpy(), rtol=rtol * 10,
                                       atol=rtol)
    assert repr(l_opt) == repr(t_opt)


@pytest.mark.parametrize("name, opts, message", CONSTRUCTOR_ERRORS, ids=CONSTRUCTOR_ERROR_IDS)
def test_constructor_messages(name, opts, message):
    assert constructor_error(torch, name, opts) == message


def _error(call, lib):
    try:
        call(lib, lib.tensor([1.0], requires_grad=True))
    except Exception as e:  # noqa: BLE001  (any exception type is compared, not handled)
        return type(e), str(e).replace("torch", "lamina")
    return None


PARAM_GROUP_CALLS = {
    "duplicate-across-groups": lambda lib, a: lib.optim.SGD([{"params": [a]}, {"params": [a]}]),
    "not-a-dict": lambda lib, a: lib.optim.SGD([a]).add_param_group([a]),
    "set": lambda lib, a: lib.optim.SGD([a]).add_param_group({"params": {a}}),
    "not-a-tensor": lambda lib, a: lib.optim.SGD([a, 3.0]),
    "non-leaf": lambda lib, a: lib.optim.SGD([a * 2]),
    "empty": lambda lib, a: lib.optim.SGD([]),
    "a-tensor": lambda lib, a: lib.optim.SGD(a),
    "names-missing": lambda lib, a: lib.optim.SGD([("w", a), a * 1]),
    "state-groups": lambda lib, a: lib.optim.SGD([a]).load_state_dict(
        lib.optim.SGD([{"params": [a]}, {"params": [a.detach().requires_grad_()]}]).state_dict()),
    "nan-lr": lambda lib, a: lib.optim.Adagrad([a], lr=math.nan),
    "fused-and-foreach": lambda lib, a: lib.optim.Adam([a], fused=True, foreach=True),
}


@pytest.mark.parametrize("case", sorted(PARAM_GROUP_CALLS))
def test_param_group_messages(case):
    call = PARAM_GROUP_CALLS[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        errors = [_error(call, lib) for lib in LIBS]
    assert errors[0] is not None
    assert errors[1][0].__name__ == errors[0][0].__name__ and errors[1][1] == errors[0][1]


SCHEDULES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 6, "eta_min": 0.01}),
    ("LambdaLR", {"lr_lambda": lambda e: 1 / (1 + e)}),
]


def _rates(lib, name, opts):
    params = [lib.tensor([1.0], requires_grad=True) for _ in range(2)]
    opt = lib.optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.3}], lr=0.1)
    sched = getattr(lib.optim.lr_scheduler, name)(opt, **opts)
    rates = [sched.get_last_lr()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(20):
            opt.step()
            sched.step(15 if i == 16 else None)
            if i == 5:
                opt.param_groups[0]["lr"] = 0.05
            rates.append(sched.get_last_lr() + [sched.last_epoch])
    return rates, sched.state_dict(), opt.param_groups


@pytest.mark.parametrize("name, opts", SCHEDULES, ids=[n for n, _ in SCHEDULES])
def test_scheduler_rates_and_state(name, opts):
    (t_rates, t_state, t_groups), (l_rates, l_state, l_groups) = (
        _rates(lib, name, opts) for lib in LIBS)
    assert l_rates == t_rates
    assert l_state.keys() == t_state.keys()
    assert [g["initial_lr"] for g in l_groups] == [g["initial_lr"] for g in t_groups]
