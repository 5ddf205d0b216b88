"""lamina.optim's optimizers against NumPy float64 implementations of the published update rules,
and the Optimizer API: param groups, closures, zero_grad, state_dict, frozen parameters, errors."""

import copy
import math
import warnings

import numpy as np
import pytest

import lamina as lm


# References: one step of each rule on float64 arrays. `st` is the per-parameter state (created
# empty), `p` and `g` the parameter and its gradient; each returns the new parameter. Written from
# the algorithms in torch.optim's documentation (which cite the papers), in their textbook form.
def _sgd(p, g, st, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
         maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    if momentum:
        st["b"] = g.copy() if "b" not in st else momentum * st["b"] + (1 - dampening) * g
        g = g + momentum * st["b"] if nesterov else st["b"]
    return p - lr * g


def _adam(p, g, st, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
          maximize=False, decoupled=False):
    b1, b2 = betas
    t = st["t"] = st.get("t", 0) + 1
    g = -g if maximize else g
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    m = st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    v = st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    if amsgrad:
        v = st["vmax"] = np.maximum(st.get("vmax", 0), v)
    m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps)


def _adamw(p, g, st, weight_decay=1e-2, **opts):
    return _adam(p, g, st, weight_decay=weight_decay, decoupled=True, **opts)


def _rmsprop(p, g, st, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
             centered=False, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    v = st["v"] = alpha * st.get("v", 0) + (1 - alpha) * g * g
    if centered:
        ga = st["ga"] = alpha * st.get("ga", 0) + (1 - alpha) * g
        v = v - ga * ga
    scaled = g / (np.sqrt(v) + eps)
    if momentum > 0:
        scaled = st["b"] = momentum * st.get("b", 0) + scaled
    return p - lr * scaled


def _adagrad(p, g, st, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
             eps=1e-10, maximize=False):
    t = st["t"] = st.get("t", 0) + 1
    g = -g if maximize else g
    g = g + weight_decay * p
    s = st["s"] = st.get("s", initial_accumulator_value) + g * g
    return p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)


REFERENCES = {"SGD": _sgd, "Adam": _adam, "AdamW": _adamw, "RMSprop": _rmsprop,
              "Adagrad": _adagrad}

# (optimizer, options): every option of every optimizer is exercised at least once.
CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "maximize": True}),
    ("Adam", {"lr": 0.1}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-3, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "maximize": True}),
    ("AdamW", {"lr": 0.1}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True, "betas": (0.5, 0.7)}),
    ("AdamW", {"lr": 0.05, "maximize": True, "eps": 1e-2}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-3, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "maximize": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.2, "weight_decay": 0.1,
                 "initial_accumulator_value": 0.5, "eps": 1e-3}),
    ("Adagrad", {"lr": 0.1, "maximize": True}),
]
IDS = [f"{name}-" + "-".join(f"{k}={v}" for k, v in opts.items()) for name, opts in CASES]
OPTIMIZERS = sorted(REFERENCES)
SHAPES = [(3, 4), (5,)]


def _params(seed=0, dtype=lm.float64):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s) for s in SHAPES]
    return values, [lm.tensor(v, dtype=dtype, requires_grad=True) for v in values]


def _grads(steps, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]


def _set_grads(params, grads):
    for p, g in zip(params, grads):
        p.grad = lm.tensor(g, dtype=p.dtype)


def _assert_params(params, expected, rtol=1e-12, atol=1e-14):
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=rtol, atol=atol)


@pytest.mark.parametrize("name, opts", CASES, ids=IDS)
def test_update_matches_reference(name, opts):
    values, params = _params()
    opt = getattr(lm.optim, name)(params, **opts)
    states = [{} for _ in params]
    for grads in _grads(6):
        _set_grads(params, grads)
        opt.step()
        values = [REFERENCES[name](v, g, st, **opts) for v, g, st in zip(values, grads, states)]
        _assert_params(params, values)
        assert all(p.is_leaf and p.grad_fn is None and p.requires_grad for p in params)


@pytest.mark.parametrize("name, opts", CASES, ids=IDS)
def test_complex_params_update_as_their_real_view(name, opts):
    # torch updates a complex parameter through view_as_real: the real rule on (re, im) pairs.
    rng = np.random.default_rng(2)
    values = [rng.standard_normal(s) + 1j * rng.standard_normal(s) for s in SHAPES]
    params = [lm.tensor(v, requires_grad=True) for v in values]
    opt = getattr(lm.optim, name)(params, **opts)
    states = [{} for _ in params]
    real = [v.view(np.float64) for v in values]
    for grads in _grads(4):
        grads = [g + 1j * g[::-1] for g in grads]
        _set_grads(params, grads)
        opt.step()
        real = [REFERENCES[name](v, g.view(np.float64), st, **opts)
                for v, g, st in zip(real, grads, states)]
    _assert_params(params, [r.view(np.complex128) for r in real])
    if name == "Adagrad":
        accumulator = opts.get("initial_accumulator_value", 0)
        fresh = lm.optim.Adagrad([lm.tensor([1j], requires_grad=True)], **opts)
        assert next(iter(fresh.state.values()))["sum"].item() == complex(accumulator, accumulator)


@pytest.mark.parametrize("name, opts", CASES, ids=IDS)
def test_float32_state_and_step_counter(name, opts):
    _, params = _params(dtype=lm.float32)
    opt = getattr(lm.optim, name)(params, **opts)
    for grads in _grads(2):
        _set_grads(params, grads)
        opt.step()
    for p in params:
        assert p.dtype is lm.float32
        for key, value in opt.state[p].items():
            if key == "step":
                # torch counts steps in a 0-dim tensor of the default dtype.
                assert value.shape == () and value.dtype is lm.float32 and value.item() == 2.0
            else:
                assert value.dtype is lm.float32 and value.shape == p.shape


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_lr_change_between_steps_takes_effect(name):
    values, params = _params()
    opt = getattr(lm.optim, name)(params, lr=0.1)
    states = [{} for _ in params]
    for i, grads in enumerate(_grads(5)):
        lr = 0.1 if i < 2 else 0.01 * i
        opt.param_groups[0]["lr"] = lr
        _set_grads(params, grads)
        opt.step()
        values = [REFERENCES[name](v, g, st, lr=lr) for v, g, st in zip(values, grads, states)]
    _assert_params(params, values)


@pytest.mark.parametrize("name, opts", CASES, ids=IDS)
def test_param_groups_take_their_own_options(name, opts):
    values, params = _params()
    # Group 0 takes the case's options from the defaults; group 1 overrides lr and keeps the rest.
    opt = getattr(lm.optim, name)([{"params": [params[0]]},
                                   {"params": [params[1]], "lr": 0.003}], **opts)
    assert opt.param_groups[1]["lr"] == 0.003
    assert {k: opt.param_groups[1][k] for k in opts if k != "lr"} == {
        k: v for k, v in opts.items() if k != "lr"}
    states = [{} for _ in params]
    group_opts = [opts, {**opts, "lr": 0.003}]
    for grads in _grads(4):
        _set_grads(params, grads)
        opt.step()
        values = [REFERENCES[name](v, g, st, **o)
                  for v, g, st, o in zip(values, grads, states, group_opts)]
    _assert_params(params, values)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_closure_is_evaluated_with_grad_and_its_loss_returned(name):
    # loss = sum(c * p^2) / 2, so the gradient is c * p.
    rng = np.random.default_rng(3)
    values, params = _params()
    coeffs = [rng.uniform(0.5, 2.0, s) for s in SHAPES]
    opt = getattr(lm.optim, name)(params, lr=0.05)

    def closure():
        opt.zero_grad()
        loss = sum(((lm.tensor(c) * p * p).sum() / 2 for c, p in zip(coeffs, params)))
        loss.backward()
        return loss

    states = [{} for _ in params]
    with lm.no_grad():
        for _ in range(4):
            expected_loss = sum((c * v * v).sum() / 2 for c, v in zip(coeffs, values))
            loss = opt.step(closure)
            np.testing.assert_allclose(loss.item(), expected_loss, rtol=1e-12)
            values = [REFERENCES[name](v, c * v, st, lr=0.05)
                      for v, c, st in zip(values, coeffs, states)]
    _assert_params(params, values)
    assert opt.step() is None


def test_step_runs_without_recording_a_graph():
    p = lm.tensor([1.0, 2.0], requires_grad=True)
    q = lm.tensor([3.0], requires_grad=True)
    opt = lm.optim.SGD([p], lr=0.5, momentum=0.9)
    (p * q).sum().backward()
    opt.step()
    assert p.is_leaf and p.grad_fn is None
    assert opt.state[p]["momentum_buffer"].requires_grad is False


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    p = lm.tensor([1.0, 2.0], requires_grad=True)
    unused = lm.tensor([1.0], requires_grad=True)
    opt = lm.optim.SGD([p, unused], lr=0.1)
    (p * p).sum().backward()
    grad = p.grad
    opt.zero_grad(set_to_none=set_to_none)
    assert unused.grad is None
    if set_to_none:
        assert p.grad is None
    else:
        # The same tensor, zeroed in place, as torch does it.
        assert p.grad is grad
        np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])
    assert lm.optim.Adam([p]).zero_grad() is None


def test_zero_grad_detaches_a_grad_with_history():
    p = lm.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward(create_graph=True)
    assert p.grad.grad_fn is not None
    lm.optim.SGD([p]).zero_grad(set_to_none=False)
    assert p.grad.grad_fn is None and not p.grad.requires_grad
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_frozen_and_gradless_params_are_skipped(name):
    frozen = lm.tensor([1.0, 2.0], requires_grad=False)
    gradless = lm.tensor([3.0], requires_grad=True)
    live = lm.tensor([4.0, 5.0], requires_grad=True)
    opt = getattr(lm.optim, name)([frozen, gradless, live], lr=0.1, weight_decay=0.1)
    for _ in range(3):
        live.grad = lm.tensor([1.0, -1.0])
        opt.step()
    np.testing.assert_array_equal(frozen.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(gradless.detach().numpy(), [3.0])
    assert not np.allclose(live.detach().numpy(), [4.0, 5.0])
    if name == "Adagrad":
        # torch's Adagrad creates all state at construction; skipped params keep step 0.
        assert opt.state[frozen]["step"].item() == 0 and opt.state[gradless]["step"].item() == 0
        assert opt.state[live]["step"].item() == 3
    else:
        assert frozen not in opt.state and gradless not in opt.state


def test_sgd_without_momentum_keeps_no_state():
    p = lm.tensor([1.0], requires_grad=True)
    opt = lm.optim.SGD([p], lr=0.1)
    p.grad = lm.tensor([1.0])
    opt.step()
    assert opt.state_dict()["state"] == {}


def _two_group_optimizer(name, params, opts):
    return getattr(lm.optim, name)([{"params": params[:1]}, {"params": params[1:], "lr": 0.02}],
                                   **opts)


@pytest.mark.parametrize("name, opts", CASES, ids=IDS)
def test_state_dict_round_trip_continues_identically(name, opts):
    _, params = _params()
    opt = _two_group_optimizer(name, params, opts)
    steps = _grads(6)
    for grads in steps[:3]:
        _set_grads(params, grads)
        opt.step()
    saved = copy.deepcopy(opt.state_dict())
    twins = [p.detach().clone().requires_grad_(True) for p in params]
    twin_opt = _two_group_optimizer(name, twins, {**opts, "lr": 123.0})
    twin_opt.load_state_dict(saved)
    assert twin_opt.param_groups[0]["lr"] == opts["lr"]
    assert twin_opt.param_groups[0]["params"][0] is twins[0]
    for grads in steps[3:]:
        for ps, o in ((params, opt), (twins, twin_opt)):
            _set_grads(ps, grads)
            o.step()
    for p, t in zip(params, twins):
        np.testing.assert_array_equal(p.detach().numpy(), t.detach().numpy())
    for p, t in zip(params, twins):
        assert opt.state[p].keys() == twin_opt.state[t].keys()
        assert all(opt.state[p][k] is not twin_opt.state[t][k] for k in opt.state[p])


def test_state_dict_layout():
    a = lm.tensor([1.0, 2.0], requires_grad=True)
    b = lm.tensor([3.0], requires_grad=True)
    c = lm.tensor([4.0], requires_grad=True)
    opt = lm.optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}], amsgrad=True)
    for p in (a, c):
        p.grad = lm.ones_like(p)
    opt.step()
    sd = opt.state_dict()
    assert sd.keys() == {"state", "param_groups"}
    # params are numbered across groups; only params that stepped have state.
    assert sorted(sd["state"]) == [0, 2]
    assert sd["state"][0].keys() == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert sd["state"][0]["exp_avg"] is opt.state[a]["exp_avg"]
    assert sd["param_groups"] == [
        {"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0, "amsgrad": True,
         "maximize": False, "foreach": None, "capturable": False, "differentiable": False,
         "fused": None, "decoupled_weight_decay": False, "params": [0, 1]},
        {"lr": 0.5, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0, "amsgrad": True,
         "maximize": False, "foreach": None, "capturable": False, "differentiable": False,
         "fused": None, "decoupled_weight_decay": False, "params": [2]},
    ]


def test_load_state_dict_casts_state_to_the_param_dtype_but_not_step():
    p64 = lm.tensor([1.0, 2.0], dtype=lm.float64, requires_grad=True)
    opt = lm.optim.Adam([p64])
    p64.grad = lm.ones_like(p64)
    opt.step()
    p32 = lm.tensor([1.0, 2.0], dtype=lm.float32, requires_grad=True)
    opt32 = lm.optim.Adam([p32])
    opt32.load_state_dict(opt.state_dict())
    state = opt32.state[p32]
    assert state["exp_avg"].dtype is lm.float32 and state["exp_avg_sq"].dtype is lm.float32
    assert state["step"] is opt.state[p64]["step"]


def test_load_state_dict_mismatch_errors():
    a, b = (lm.tensor([1.0], requires_grad=True) for _ in range(2))
    sd = lm.optim.SGD([a, b]).state_dict()
    with pytest.raises(ValueError, match="^loaded state dict has a different number of "
                                         "parameter groups$"):
        lm.optim.SGD([{"params": [a]}, {"params": [b]}]).load_state_dict(sd)
    with pytest.raises(ValueError, match="^loaded state dict contains a parameter group that "
                                         "doesn't match the size of optimizer's group$"):
        lm.optim.SGD([a]).load_state_dict(sd)


def test_adamw_keeps_decoupled_weight_decay_when_loading_an_adam_state():
    p = lm.tensor([1.0], requires_grad=True)
    opt = lm.optim.AdamW([p])
    opt.load_state_dict(lm.optim.Adam([p]).state_dict())
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


def test_defaults_fill_groups_and_add_param_group():
    a, b = lm.tensor([1.0], requires_grad=True), lm.tensor([2.0], requires_grad=True)
    opt = lm.optim.SGD([a], lr=0.3, momentum=0.5)
    opt.add_param_group({"params": b, "momentum": 0.1})
    assert opt.param_groups[1]["params"] == [b]
    assert opt.param_groups[1]["lr"] == 0.3 and opt.param_groups[1]["momentum"] == 0.1
    assert opt.defaults["momentum"] == 0.5


def test_named_params():
    a, b = lm.tensor([1.0], requires_grad=True), lm.tensor([2.0], requires_grad=True)
    opt = lm.optim.SGD([("w", a), ("b", b)])
    assert opt.param_groups[0]["params"] == [a, b]
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    with pytest.raises(ValueError, match="^all optimizer params should be with/without names. "
                                         "Some param names are missing$"):
        lm.optim.SGD([("w", a), b])
    with pytest.raises(ValueError, match="^all optimizer param groups should be with/without "
                                         "names. cannot add param group without names to the "
                                         "optimizer$"):
        opt.add_param_group({"params": [lm.tensor([3.0], requires_grad=True)]})


def test_param_group_errors():
    a = lm.tensor([1.0], requires_grad=True)
    opt = lm.optim.SGD([a])
    with pytest.raises(ValueError, match="^some parameters appear in more than one parameter "
                                         "group$"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="^some parameters appear in more than one parameter "
                                         "group$"):
        lm.optim.Adam([{"params": [a]}, {"params": [a]}])
    with pytest.raises(TypeError, match="^param_group must be a dict, but got <class 'list'>$"):
        opt.add_param_group([a])
    with pytest.raises(TypeError, match="^optimizer parameters need to be organized in ordered "
                                        "collections"):
        opt.add_param_group({"params": {lm.tensor([2.0])}})
    with pytest.raises(TypeError, match="^optimizer can only optimize Tensors, but one of the "
                                        "params is int$"):
        lm.optim.SGD([a, 3])
    with pytest.raises(ValueError, match="^can't optimize a non-leaf Tensor$"):
        lm.optim.SGD([a * 2])
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        lm.optim.Adam([])
    with pytest.raises(TypeError, match=r"^params argument given to the optimizer should be an "
                                        r"iterable of Tensors or dicts, but got "
                                        r"lamina\.FloatTensor$"):
        lm.optim.SGD(a)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        lm.optim.SGD([a, a])
    retained = a * 2
    retained.retain_grad()
    assert lm.optim.SGD([retained]).param_groups[0]["params"] == [retained]


CONSTRUCTOR_ERRORS = [
    ("SGD", {"lr": -0.1}, "Invalid learning rate: -0.1"),
    ("SGD", {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("SGD", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
    ("SGD", {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
     "Nesterov momentum requires a momentum and zero dampening"),
    ("Adam", {"lr": -1e-3}, "Invalid learning rate: -0.001"),
    ("Adam", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("Adam", {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
    ("Adam", {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
    ("Adam", {"weight_decay": -0.1}, "Invalid weight_decay value: -0.1"),
    ("Adam", {"betas": (0, 0.999)}, "betas must be either both floats or both Tensors"),
    ("AdamW", {"betas": (0.9, 1.5)}, "Invalid beta parameter at index 1: 1.5"),
    ("AdamW", {"lr": -2.0}, "Invalid learning rate: -2.0"),
    ("RMSprop", {"alpha": -0.5}, "Invalid alpha value: -0.5"),
    ("RMSprop", {"momentum": -0.5}, "Invalid momentum value: -0.5"),
    ("RMSprop", {"eps": -1e-8}, "Invalid epsilon value: -1e-08"),
    ("RMSprop", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
    ("Adagrad", {"lr_decay": -1.0}, "Invalid lr_decay value: -1.0"),
    ("Adagrad", {"initial_accumulator_value": -1.0},
     "Invalid initial_accumulator_value value: -1.0"),
    ("Adagrad", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
    ("Adagrad", {"weight_decay": -1.0}, "Invalid weight_decay value: -1.0"),
]


def test_nan_lr_is_refused_except_by_sgd():
    # torch's SGD checks `lr < 0.0`, the others `not 0.0 <= lr`.
    p = lm.tensor([1.0], requires_grad=True)
    assert math.isnan(lm.optim.SGD([p], lr=math.nan).param_groups[0]["lr"])
    for name in ("Adam", "AdamW", "RMSprop", "Adagrad"):
        with pytest.raises(ValueError, match="^Invalid learning rate: nan$"):
            getattr(lm.optim, name)([p], lr=math.nan)


CONSTRUCTOR_ERROR_IDS = [f"{n}-{list(o)[-1]}" for n, o, _ in CONSTRUCTOR_ERRORS]


def constructor_error(lib, name, opts):
    """The message of the ValueError that lib.optim.<name>(..., **opts) raises."""
    with pytest.raises(ValueError) as info:
        getattr(lib.optim, name)([lib.tensor([1.0], requires_grad=True)], **opts)
    return str(info.value)


@pytest.mark.parametrize("name, opts, message", CONSTRUCTOR_ERRORS, ids=CONSTRUCTOR_ERROR_IDS)
def test_constructor_errors(name, opts, message):
    assert constructor_error(lm, name, opts) == message


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_kernel_choices_are_accepted_and_differentiable_refused(name):
    p = lm.tensor([1.0], requires_grad=True)
    cls = getattr(lm.optim, name)
    choices = {"foreach": True} if name == "RMSprop" else {"foreach": False, "fused": True}
    assert cls([p], **choices).param_groups[0].items() >= choices.items()
    with pytest.raises(NotImplementedError, match=f"^{name}: differentiable=True is not "
                                                  "supported"):
        cls([p], differentiable=True)
    if name != "RMSprop":
        with pytest.raises(RuntimeError, match="^`fused` and `foreach` cannot be `True` "
                                               "together.$"):
            cls([p], fused=True, foreach=True)


def test_a_user_optimizer_subclass():
    # torch's documented pattern: defaults to the base, a step of one's own over param_groups.
    class SignSGD(lm.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        @lm.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    self.state[p]["count"] = self.state[p].get("count", 0) + 1
                    p.add_(p.grad.sign(), alpha=-group["lr"])

    p = lm.tensor([1.0, -1.0], requires_grad=True)
    opt = SignSGD([p], lr=0.25)
    p.grad = lm.tensor([3.0, -0.5])
    opt.step()
    np.testing.assert_array_equal(p.detach().numpy(), [0.75, -0.75])
    assert opt.state_dict()["state"] == {0: {"count": 1}}
    assert repr(opt) == "SignSGD (\nParameter Group 0\n    lr: 0.25\n)"
    with pytest.raises(NotImplementedError):
        lm.optim.Optimizer([p], {}).step()


def test_repr():
    a, b = lm.tensor([1.0], requires_grad=True), lm.tensor([2.0], requires_grad=True)
    opt = lm.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    group = ("    dampening: 0\n    differentiable: False\n    foreach: None\n    fused: None\n"
             "    lr: {}\n    maximize: False\n    momentum: 0.9\n    nesterov: False\n"
             "    weight_decay: 0\n")
    assert repr(opt) == ("SGD (\nParameter Group 0\n" + group.format(0.1)
                         + "\nParameter Group 1\n" + group.format(0.5) + ")")


def test_no_warnings_on_a_plain_step():
    p = lm.tensor([1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt = lm.optim.Adam([p])
        p.grad = lm.tensor([1.0])
        opt.step()
