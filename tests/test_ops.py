"""Generic forward tests over the op table: every op, dtype, sample and layout vs its reference."""

import numbers

import numpy as np
import pytest

import lamina as lm
from opdb import ALL_OPS, TOLERANCES, layouts, sentinel_intact


def _cases():
    for info in ALL_OPS:
        for dtype in info.dtypes:
            reason = info.skips.get(dtype)
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            yield pytest.param(info, dtype, id=f"{info.name}-{dtype}", marks=marks)


def _to_lamina(x):
    if isinstance(x, np.ndarray):
        return lm.from_numpy(x)
    if isinstance(x, (list, tuple)) and any(isinstance(e, np.ndarray) for e in x):
        return type(x)(_to_lamina(e) for e in x)
    return x


def _layout_variants(args):
    """The args once per layout: every array argument takes that layout (when it has it)."""
    yield "contig", args
    for name in ("transposed", "strided", "negstride"):
        out, changed = [], False
        for a in args:
            if isinstance(a, np.ndarray):
                alt = dict(layouts(a)).get(name)
                if alt is not None:
                    out.append(alt)
                    changed = True
                    continue
            out.append(a)
        if changed:
            yield name, tuple(out)


def _assert_matches(actual, expected, info, ctx):
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)), f"{ctx}: expected a sequence, got {actual!r}"
        assert len(actual) == len(expected), ctx
        for a, e in zip(actual, expected):
            _assert_matches(a, e, info, ctx)
        return
    if not isinstance(expected, np.ndarray):
        assert not isinstance(actual, lm.Tensor) or actual.dim() == 0, ctx
        got = actual.item() if isinstance(actual, lm.Tensor) else actual
        if isinstance(expected, float) and np.isnan(expected):
            assert np.isnan(got), ctx
        elif isinstance(expected, numbers.Number):
            assert got == pytest.approx(expected, rel=1e-5, abs=1e-6), ctx
        else:  # a dtype, a bool, a shape: compared exactly
            assert got == expected, ctx
        return
    assert isinstance(actual, lm.Tensor), f"{ctx}: expected a Tensor, got {type(actual)}"
    got = actual.numpy()
    assert got.shape == expected.shape, f"{ctx}: shape {got.shape} != {expected.shape}"
    if info.check_dtype:
        assert got.dtype == expected.dtype, f"{ctx}: dtype {got.dtype} != {expected.dtype}"
    rtol, atol = (info.tol or {}).get(expected.dtype.name, TOLERANCES.get(expected.dtype.name,
                                                                         (0, 0)))
    if expected.dtype.kind in "fc":
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=ctx)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=ctx)


@pytest.mark.parametrize("info, dtype", list(_cases()))
def test_forward(info, dtype):
    rng = np.random.default_rng(0)
    n = 0
    for sample in info.samples(dtype, rng):
        expected = info.ref(*[a.copy() if isinstance(a, np.ndarray) else a
                              for a in sample.args], **sample.kwargs)
        # Built before the first call, so an in-place op cannot change the next layout's values.
        variants = (list(_layout_variants(sample.args)) if info.layouts
                    else [("contig", sample.args)])
        for layout, args in variants:
            before = [a.copy() for a in args if isinstance(a, np.ndarray)]
            ctx = f"{info.name}[{sample.name}-{layout}]"
            actual = info.op(*[_to_lamina(a) for a in args], **sample.kwargs)
            _assert_matches(actual, expected, info, ctx)
            arrays = [a for a in args if isinstance(a, np.ndarray)]
            if not info.inplace_first:
                for b, a in zip(before, arrays):
                    np.testing.assert_array_equal(a, b, err_msg=f"{ctx}: input modified")
            for a in arrays:
                assert sentinel_intact(a), f"{ctx}: wrote outside the view"
            n += 1
        if info.method and sample.args and isinstance(sample.args[0], np.ndarray):
            args = [_to_lamina(a) for a in sample.args]
            actual = getattr(args[0], info.method)(*args[1:], **sample.kwargs)
            _assert_matches(actual, expected, info, f"{info.name}[{sample.name}-method]")
    assert n, f"{info.name}: no sample for {dtype}"


def _error_cases():
    for info in ALL_OPS:
        if info.errors is not None:
            for i, err in enumerate(info.errors()):
                yield pytest.param(info, err, id=f"{info.name}-{err.sample.name or i}")


@pytest.mark.parametrize("info, err", list(_error_cases()))
def test_error_inputs(info, err):
    with pytest.raises(err.exc, match=err.match):
        info.op(*[_to_lamina(a) for a in err.sample.args], **err.sample.kwargs)
