"""nn.init: gains, fans, and the bounds and moments of each initialiser with a seeded
generator; initialisers write leaf parameters in place without being recorded."""

import math

import numpy as np
import pytest

import lamina as lm
from lamina import nn
from lamina.nn import init


def gen(seed=0):
    return lm.Generator().manual_seed(seed)


def test_calculate_gain():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == 5.0 / 3
    assert init.calculate_gain("relu") == math.sqrt(2.0)
    assert init.calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01**2))
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope a not a valid number"):
        init.calculate_gain("leaky_relu", "a")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(lm.empty(3, 5, 2, 2)) == (20, 12)
    assert init._calculate_fan_in_and_fan_out(lm.empty(7, 4)) == (4, 7)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(lm.empty(3))
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of "
                                         r"\['fan_in', 'fan_out'\]"):
        init.kaiming_uniform_(lm.empty(3, 3), mode="fan_avg")


def test_uniform_and_normal_with_a_generator():
    a = init.uniform_(lm.empty(200, 100), -2.0, 3.0, generator=gen()).numpy()
    assert a.min() >= -2.0 and a.max() < 3.0
    assert abs(a.mean() - 0.5) < 0.05 and abs(a.var() - 25 / 12) < 0.05
    b = init.normal_(lm.empty(200, 100), 1.0, 2.0, generator=gen()).numpy()
    assert abs(b.mean() - 1.0) < 0.05 and abs(b.std() - 2.0) < 0.05
    again = init.normal_(lm.empty(200, 100), 1.0, 2.0, generator=gen()).numpy()
    np.testing.assert_array_equal(b, again)


def test_constants_and_eye():
    t = lm.empty(2, 3)
    assert init.constant_(t, 0.5) is t and t.tolist() == [[0.5] * 3] * 2
    assert init.ones_(t).tolist() == [[1.0] * 3] * 2
    assert init.zeros_(t).tolist() == [[0.0] * 3] * 2
    np.testing.assert_array_equal(init.eye_(t).numpy(), np.eye(2, 3))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(lm.empty(2, 2, 2))


def test_xavier():
    fan_in, fan_out = 300, 200
    a = init.xavier_uniform_(lm.empty(fan_out, fan_in), gain=2.0, generator=gen()).numpy()
    bound = 2.0 * math.sqrt(6.0 / (fan_in + fan_out))
    assert np.abs(a).max() <= bound and np.abs(a).max() > 0.99 * bound
    b = init.xavier_normal_(lm.empty(fan_out, fan_in), generator=gen()).numpy()
    assert abs(b.std() / math.sqrt(2.0 / (fan_in + fan_out)) - 1) < 0.02


def test_kaiming():
    w = lm.empty(200, 300)  # fan_in 300, fan_out 200
    a = init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu", generator=gen()).numpy()
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 200)
    assert np.abs(a).max() <= bound and np.abs(a).max() > 0.99 * bound
    b = init.kaiming_normal_(w, a=0.3, generator=gen()).numpy()  # leaky_relu, fan_in
    assert abs(b.std() / (math.sqrt(2.0 / 1.09) / math.sqrt(300)) - 1) < 0.02
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        empty = lm.empty(0, 3)
        assert init.kaiming_normal_(empty) is empty


def test_initialisers_are_not_recorded():
    p = nn.Parameter(lm.empty(3, 4))
    for fn in (init.uniform_, init.normal_, init.zeros_, init.ones_, init.eye_,
               init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_,
               init.kaiming_normal_):
        assert fn(p) is p
        assert p.is_leaf and p.requires_grad and p.grad_fn is None
