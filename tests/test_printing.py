"""Tensor printing: repr/str strings checked character by character against PyTorch 2.13's
(with `lamina` where torch prints `torch`), and the print options that steer them."""

import numpy as np
import pytest

import lamina as lm

nan, inf = np.nan, np.inf


@pytest.fixture(autouse=True)
def _restore_printing():
    yield
    lm.set_printoptions(profile="default")
    lm.set_default_dtype(lm.float32)


def _t(arr):
    return lm.from_numpy(np.array(arr))


# (id, array, print options, PyTorch's repr)
CASES = [
    ("scalar-float", np.float32(3.5), {},
     "tensor(3.5000)"),
    ("scalar-int", np.int64(3), {},
     "tensor(3)"),
    ("scalar-bool", np.bool_(True), {},
     "tensor(True)"),
    ("scalar-float64", np.float64(2.5), {},
     "tensor(2.5000, dtype=lamina.float64)"),
    ("scalar-int-valued", np.float32(-7), {},
     "tensor(-7.)"),
    ("scalar-complex", np.complex64(1.5 - 2j), {},
     "tensor(1.5000-2.j)"),
    ("vector-float64", np.array([2.9502, 1.7852]), {},
     "tensor([2.9502, 1.7852], dtype=lamina.float64)"),
    ("vector-int", np.array([1, 2, 3]), {},
     "tensor([1, 2, 3])"),
    ("vector-int32", np.int32([-1, 20, 300]), {},
     "tensor([ -1,  20, 300], dtype=lamina.int32)"),
    ("vector-uint8", np.uint8([0, 255]), {},
     "tensor([  0, 255], dtype=lamina.uint8)"),
    ("vector-int8", np.int8([-128, 5]), {},
     "tensor([-128,    5], dtype=lamina.int8)"),
    ("vector-int16", np.int16([7]), {},
     "tensor([7], dtype=lamina.int16)"),
    ("vector-bool", np.array([True, False]), {},
     "tensor([ True, False])"),
    ("vector-int-valued", np.float32([1, 2, 3]), {},
     "tensor([1., 2., 3.])"),
    ("vector-mixed", np.float32([1.5, -2, 0]), {},
     "tensor([ 1.5000, -2.0000,  0.0000])"),
    ("negative-zero", np.float32([-0.0, 0.0]), {},
     "tensor([-0., 0.])"),
    ("float16", np.float16([0.1, 2.5]), {},
     "tensor([0.1000, 2.5000], dtype=lamina.float16)"),
    ("complex64", np.complex64([1 + 2j, 3 - 1j]), {},
     "tensor([1.+2.j, 3.-1.j])"),
    ("complex128-fraction", np.complex128([0.5 + 1j, -2.25 - 0.125j]), {},
     "tensor([ 0.5000+1.0000j, -2.2500-0.1250j], dtype=lamina.complex128)"),
    ("complex-sci", np.complex64([1e-6 + 1j, 2 + 3e5j]), {},
     "tensor([1.0000e-06+1.0000e+00j, 2.0000e+00+3.0000e+05j])"),
    ("matrix", np.float32(np.arange(6).reshape(2, 3) / 3), {},
     "tensor([[0.0000, 0.3333, 0.6667],\n"
     "        [1.0000, 1.3333, 1.6667]])"),
    ("matrix-int", np.arange(-4, 8).reshape(3, 4) * 7, {},
     "tensor([[-28, -21, -14,  -7],\n"
     "        [  0,   7,  14,  21],\n"
     "        [ 28,  35,  42,  49]])"),
    ("3d", np.arange(24).reshape(2, 3, 4), {},
     "tensor([[[ 0,  1,  2,  3],\n"
     "         [ 4,  5,  6,  7],\n"
     "         [ 8,  9, 10, 11]],\n"
     "\n"
     "        [[12, 13, 14, 15],\n"
     "         [16, 17, 18, 19],\n"
     "         [20, 21, 22, 23]]])"),
    ("4d", np.float32(np.arange(16).reshape(2, 2, 2, 2) - 8.5), {},
     "tensor([[[[-8.5000, -7.5000],\n"
     "          [-6.5000, -5.5000]],\n"
     "\n"
     "         [[-4.5000, -3.5000],\n"
     "          [-2.5000, -1.5000]]],\n"
     "\n"
     "\n"
     "        [[[-0.5000,  0.5000],\n"
     "          [ 1.5000,  2.5000]],\n"
     "\n"
     "         [[ 3.5000,  4.5000],\n"
     "          [ 5.5000,  6.5000]]]])"),
    ("transposed", np.float32(np.arange(6).reshape(2, 3)).T, {},
     "tensor([[0., 3.],\n"
     "        [1., 4.],\n"
     "        [2., 5.]])"),
    ("negative-stride", np.arange(10)[::-3], {},
     "tensor([9, 6, 3, 0])"),
    ("empty", np.zeros(0, np.float32), {},
     "tensor([])"),
    ("empty-matrix", np.zeros((0, 3), np.float32), {},
     "tensor([], size=(0, 3))"),
    ("empty-int", np.zeros(0, np.int64), {},
     "tensor([], dtype=lamina.int64)"),
    ("empty-bool-3d", np.zeros((2, 0, 1), bool), {},
     "tensor([], size=(2, 0, 1), dtype=lamina.bool)"),
    ("empty-float64", np.zeros((1, 0)), {},
     "tensor([], size=(1, 0), dtype=lamina.float64)"),
    ("sci-small", np.float32([1e-5, 1.0]), {},
     "tensor([1.0000e-05, 1.0000e+00])"),
    ("sci-large", np.float32([1e9, 1.0]), {},
     "tensor([1.0000e+09, 1.0000e+00])"),
    ("sci-ratio", np.float32([1.0, 2000.0]), {},
     "tensor([1.0000e+00, 2.0000e+03])"),
    ("no-sci-ratio", np.float32([1.0, 999.5]), {},
     "tensor([  1.0000, 999.5000])"),
    ("sci-int-valued", np.float64([1e10, -3.0]), {},
     "tensor([ 1.0000e+10, -3.0000e+00], dtype=lamina.float64)"),
    ("nan-inf", np.float32([nan, inf, -inf, 1.0]), {},
     "tensor([nan, inf, -inf, 1.])"),
    ("nan-fraction", np.float32([nan, 1.25]), {},
     "tensor([   nan, 1.2500])"),
    ("all-nan", np.float32([nan, nan]), {},
     "tensor([nan, nan])"),
    ("inf-scalar", np.float32(-inf), {},
     "tensor(-inf)"),
    ("nan-sci", np.float32([nan, 1e-7, 2.0]), {},
     "tensor([       nan, 1.0000e-07, 2.0000e+00])"),
    ("zeros", np.zeros((2, 2), np.float32), {},
     "tensor([[0., 0.],\n"
     "        [0., 0.]])"),
    ("summarised-int", np.arange(2000), {},
     "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    ("summarised-float", np.float32(np.arange(1001) / 8), {},
     "tensor([  0.0000,   0.1250,   0.2500,  ..., 124.7500, 124.8750, 125.0000])"),
    ("summarised-matrix", np.arange(40 * 40).reshape(40, 40), {},
     "tensor([[   0,    1,    2,  ...,   37,   38,   39],\n"
     "        [  40,   41,   42,  ...,   77,   78,   79],\n"
     "        [  80,   81,   82,  ...,  117,  118,  119],\n"
     "        ...,\n"
     "        [1480, 1481, 1482,  ..., 1517, 1518, 1519],\n"
     "        [1520, 1521, 1522,  ..., 1557, 1558, 1559],\n"
     "        [1560, 1561, 1562,  ..., 1597, 1598, 1599]])"),
    ("summarised-3d", np.float32(np.arange(1200).reshape(100, 3, 4) % 7 - 3.5), {},
     "tensor([[[-3.5000, -2.5000, -1.5000, -0.5000],\n"
     "         [ 0.5000,  1.5000,  2.5000, -3.5000],\n"
     "         [-2.5000, -1.5000, -0.5000,  0.5000]],\n"
     "\n"
     "        [[ 1.5000,  2.5000, -3.5000, -2.5000],\n"
     "         [-1.5000, -0.5000,  0.5000,  1.5000],\n"
     "         [ 2.5000, -3.5000, -2.5000, -1.5000]],\n"
     "\n"
     "        [[-0.5000,  0.5000,  1.5000,  2.5000],\n"
     "         [-3.5000, -2.5000, -1.5000, -0.5000],\n"
     "         [ 0.5000,  1.5000,  2.5000, -3.5000]],\n"
     "\n"
     "        ...,\n"
     "\n"
     "        [[-1.5000, -0.5000,  0.5000,  1.5000],\n"
     "         [ 2.5000, -3.5000, -2.5000, -1.5000],\n"
     "         [-0.5000,  0.5000,  1.5000,  2.5000]],\n"
     "\n"
     "        [[-3.5000, -2.5000, -1.5000, -0.5000],\n"
     "         [ 0.5000,  1.5000,  2.5000, -3.5000],\n"
     "         [-2.5000, -1.5000, -0.5000,  0.5000]],\n"
     "\n"
     "        [[ 1.5000,  2.5000, -3.5000, -2.5000],\n"
     "         [-1.5000, -0.5000,  0.5000,  1.5000],\n"
     "         [ 2.5000, -3.5000, -2.5000, -1.5000]]])"),
    ("wrap-vector", np.float32(np.arange(30) * 1.5), {},
     "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
     "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n"
     "        24.0000, 25.5000, 27.0000, 28.5000, 30.0000, 31.5000, 33.0000, 34.5000,\n"
     "        36.0000, 37.5000, 39.0000, 40.5000, 42.0000, 43.5000])"),
    ("wrap-matrix", np.float32(np.arange(40).reshape(2, 20) / 4), {},
     "tensor([[0.0000, 0.2500, 0.5000, 0.7500, 1.0000, 1.2500, 1.5000, 1.7500, 2.0000,\n"
     "         2.2500, 2.5000, 2.7500, 3.0000, 3.2500, 3.5000, 3.7500, 4.0000, 4.2500,\n"
     "         4.5000, 4.7500],\n"
     "        [5.0000, 5.2500, 5.5000, 5.7500, 6.0000, 6.2500, 6.5000, 6.7500, 7.0000,\n"
     "         7.2500, 7.5000, 7.7500, 8.0000, 8.2500, 8.5000, 8.7500, 9.0000, 9.2500,\n"
     "         9.5000, 9.7500]])"),
    ("wrap-suffix", np.arange(20, dtype=np.int32) * 100000, {},
     "tensor([      0,  100000,  200000,  300000,  400000,  500000,  600000,  700000,\n"
     "         800000,  900000, 1000000, 1100000, 1200000, 1300000, 1400000, 1500000,\n"
     "        1600000, 1700000, 1800000, 1900000], dtype=lamina.int32)"),
    ("precision-2", np.float32([1.12345, -2.5]), {'precision': 2},
     "tensor([ 1.12, -2.50])"),
    ("precision-6", np.float64([1 / 3]), {'precision': 6},
     "tensor([0.333333], dtype=lamina.float64)"),
    ("threshold-5", np.arange(10), {'threshold': 5},
     "tensor([0, 1, 2,  ..., 7, 8, 9])"),
    ("edgeitems-1", np.arange(20).reshape(4, 5), {'threshold': 10, 'edgeitems': 1},
     "tensor([[ 0,  ...,  4],\n"
     "        ...,\n"
     "        [15,  ..., 19]])"),
    ("edgeitems-0", np.arange(20).reshape(4, 5), {'threshold': 10, 'edgeitems': 0},
     "tensor([...], size=(4, 5))"),
    ("profile-short", np.float32(np.arange(1001) / 3), {'profile': 'short'},
     "tensor([0.00e+00, 3.33e-01,  ..., 3.33e+02, 3.33e+02])"),
    ("sci-forced", np.float32([1.5, 2.0]), {'sci_mode': True},
     "tensor([1.5000e+00, 2.0000e+00])"),
    ("sci-off", np.float32([1e-5, 1.0]), {'sci_mode': False},
     "tensor([0.0000, 1.0000])"),
    ("linewidth-40", np.float32(np.arange(12) / 2), {'linewidth': 40},
     "tensor([0.0000, 0.5000, 1.0000, 1.5000,\n"
     "        2.0000, 2.5000, 3.0000, 3.5000,\n"
     "        4.0000, 4.5000, 5.0000, 5.5000])"),
]


@pytest.mark.parametrize("arr, opts, expected", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_repr(arr, opts, expected):
    lm.set_printoptions(**opts)
    t = _t(arr)
    assert repr(t) == expected
    assert str(t) == expected


def test_requires_grad_suffix():
    t = _t(np.float32([1.5, -2.0]))
    t.requires_grad = True
    assert repr(t) == "tensor([ 1.5000, -2.0000], requires_grad=True)"


def test_suffixes_wrap_past_linewidth():
    t = _t(np.arange(12.0).reshape(3, 4) / 7)
    t.requires_grad = True
    assert repr(t) == ("tensor([[0.0000, 0.1429, 0.2857, 0.4286],\n"
                       "        [0.5714, 0.7143, 0.8571, 1.0000],\n"
                       "        [1.1429, 1.2857, 1.4286, 1.5714]], dtype=lamina.float64,\n"
                       "       requires_grad=True)")


class MulBackward0:
    pass


class _NamedNode:
    def name(self):
        return "AddBackward0"


def test_grad_fn_suffix():
    t = _t(np.float32([2.0, 4.0]))
    t.grad_fn = MulBackward0()
    assert repr(t) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    t.grad_fn = _NamedNode()
    assert repr(t) == "tensor([2., 4.], grad_fn=<AddBackward0>)"


@pytest.mark.parametrize("arr, expected", [
    (np.float64([1.5, 2]), "tensor([1.5000, 2.0000])"),
    (np.float32([1.5, 2]), "tensor([1.5000, 2.0000], dtype=lamina.float32)"),
    (np.complex128([1j]), "tensor([0.+1.j])"),
    (np.complex64([1j]), "tensor([0.+1.j], dtype=lamina.complex64)"),
    (np.zeros(0, np.float32), "tensor([], dtype=lamina.float32)"),
    (np.zeros(0), "tensor([])"),
], ids=["float64", "float32", "complex128", "complex64", "empty-float32", "empty-float64"])
def test_default_dtype_float64(arr, expected):
    lm.set_default_dtype(lm.float64)
    assert repr(_t(arr)) == expected


def test_profile_full_prints_everything():
    lm.set_printoptions(profile="full")
    assert lm.get_printoptions()["threshold"] == inf
    s = repr(_t(np.arange(1001)))
    assert "..." not in s
    assert s.startswith("tensor([   0,    1,    2,    3,    4,    5,    6,    7,    8")
    assert s.endswith("         996,  997,  998,  999, 1000])")
    assert (len(s), s.count("\n")) == (6678, 83)


def test_printoptions():
    assert lm.get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3,
                                     "linewidth": 80, "sci_mode": None}
    lm.set_printoptions(profile="short", precision=3, sci_mode=True)
    assert lm.get_printoptions() == {"precision": 3, "threshold": 1000, "edgeitems": 2,
                                     "linewidth": 80, "sci_mode": True}
    # As in PyTorch: every call resets sci_mode, and an unknown profile changes nothing else.
    lm.set_printoptions(profile="nonsense")
    assert lm.get_printoptions() == {"precision": 3, "threshold": 1000, "edgeitems": 2,
                                     "linewidth": 80, "sci_mode": None}
    opts = lm.get_printoptions()
    opts["precision"] = 9
    assert lm.get_printoptions()["precision"] == 3
    lm.set_printoptions(**opts)
    assert repr(_t(np.float64([1 / 3]))) == "tensor([0.333333333], dtype=lamina.float64)"
