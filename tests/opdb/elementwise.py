"""Op table entries for lamina/_ops/elementwise.py."""

import numpy as np

import lamina as lm
from opdb import NUMERIC, ErrorInput, OpInfo, Sample, make_array

SHAPE_PAIRS = [((), ()), ((5,), (5,)), ((3, 4), (3, 4)), ((2, 3, 4), (3, 4)), ((3, 1), (1, 4)),
               ((0, 3), (3,)), ((4, 3), ())]


def binary_samples(dtype, rng, **kw):
    for sa, sb in SHAPE_PAIRS:
        yield Sample((make_array(sa, dtype, rng, **kw), make_array(sb, dtype, rng, **kw)),
                     name=f"{sa}x{sb}")


def _same_dtype(fn):
    """Reference for an op whose operands share a dtype: NumPy's result, kept in that dtype."""
    return lambda a, b: np.asarray(fn(a, b)).astype(np.result_type(a, b))


OPS = [
    OpInfo("add", lm.add, _same_dtype(np.add), binary_samples, method="add",
           dtypes=("bool",) + NUMERIC,
           errors=lambda: [ErrorInput(Sample((np.ones(3), np.ones(4)), name="broadcast"),
                                      RuntimeError, r"size of tensor a \(3\) must match")]),
    OpInfo("sub", lm.sub, _same_dtype(np.subtract), binary_samples, method="sub"),
    OpInfo("mul", lm.mul, _same_dtype(np.multiply), binary_samples, method="mul",
           dtypes=("bool",) + NUMERIC),
]
