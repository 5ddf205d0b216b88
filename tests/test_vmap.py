"""Generic vmap sweep over the op table: every op flagged `vmap` against a Python loop of the op
over the batch, with the mapped dim first, last and in the middle, and with operands unmapped.
Every array is mapped, those inside a list or tuple argument too (cat's tensors, index_put's
indices) and integer index arrays (each batch element keeps the sample's in-range values).
A flagged op must have a batch rule: the loop fallback's warning fails the test."""

import warnings

import numpy as np
import pytest

import lamina as lm
from opdb import ALL_OPS, arrays_in

BATCH = 3
MAX_SIZE = 64


def _cases():
    for info in ALL_OPS:
        if info.vmap:
            for dtype in ("float64", "complex128", "int64"):
                if dtype in info.dtypes:
                    yield pytest.param(info, dtype, id=f"{info.name}-{dtype}")
                    if dtype == "float64":
                        break


def _samples(info, dtype):
    rng = np.random.default_rng(0)
    picked = [s for s in info.samples(dtype, rng)
              if all(a.size <= MAX_SIZE for a in arrays_in(s.args))
              and not any(isinstance(a, np.ndarray) for a in arrays_in(tuple(s.kwargs.values())))]
    return picked[:3]


def _element(x, b):
    """Batch element b of an argument: floating arrays scaled (so elements differ but stay
    valid inputs: SPD stays SPD, a range stays a range), everything else unchanged."""
    if x.dtype.kind in "fc":
        return np.asarray(x * (1.0 + 0.25 * b)).astype(x.dtype)
    return x


def _dims_variants(count):
    """in_dims per array leaf (in argument order): all mapped at 0; all at -1; only the first
    mapped; only the last (an index array, a source, the last tensor of a list)."""
    yield [0] * count
    yield [-1] * count
    if count > 1:
        yield [0] + [None] * (count - 1)
        yield [None] * (count - 1) + [0]


def _in_dims(x, dims):
    """The in_dims entry of argument `x`, taking its leaves' dims from the iterator `dims`: an
    int (or None) for an array, a list or tuple for a list or tuple holding arrays."""
    if isinstance(x, np.ndarray):
        return next(dims)
    if isinstance(x, (list, tuple)) and any(True for _ in arrays_in(x)):
        return type(x)(_in_dims(e, dims) for e in x)
    return None


def _map(fn, x, d):
    """fn(array, dim) on each array leaf of argument `x` with its in_dims entry `d`."""
    if isinstance(x, np.ndarray):
        return fn(x, d)
    if isinstance(x, (list, tuple)) and d is not None:
        return type(x)(_map(fn, e, de) for e, de in zip(x, d))
    return x


def _to_lamina(x):
    if isinstance(x, (list, tuple)):
        return type(x)(_to_lamina(e) for e in x)
    return lm.from_numpy(np.array(x, order="C")) if isinstance(x, np.ndarray) else x


def _stacked(x, dim):
    """The batch of `_element(x, b)` stacked at `dim` (a new dim of the array)."""
    return np.stack([_element(x, b) for b in range(BATCH)], axis=dim)


def _as_numpy(out):
    if isinstance(out, (tuple, list)):
        return [_as_numpy(o) for o in out]
    return out.numpy()


@pytest.mark.parametrize("info,dtype", _cases())
def test_vmap_matches_loop(info, dtype):
    for sample in _samples(info, dtype):
        args = list(sample.args)
        for dims in _dims_variants(sum(1 for _ in arrays_in(tuple(args)))):
            leaf_dims = iter(dims)
            in_dims = tuple(_in_dims(a, leaf_dims) for a in args)
            batched = [_to_lamina(_map(lambda x, d: x if d is None else _stacked(
                x, d if d >= 0 else x.ndim), a, d)) for a, d in zip(args, in_dims)]
            expected = [info.op(*[_to_lamina(_map(lambda x, d, b=b: x if d is None else _element(
                x, b), a, d)) for a, d in zip(args, in_dims)], **sample.kwargs)
                for b in range(BATCH)]
            with warnings.catch_warnings():
                warnings.filterwarnings("error", message="There is a performance drop")
                got = lm.vmap(lambda *xs, kw=sample.kwargs: info.op(*xs, **kw),
                              in_dims=in_dims)(*batched)
            ctx = f"{info.name}[{sample.name}] in_dims={in_dims}"
            if isinstance(got, (tuple, list)):
                for k, g in enumerate(got):
                    want = np.stack([_as_numpy(e[k]) for e in expected])
                    np.testing.assert_allclose(g.numpy(), want, rtol=1e-10, atol=1e-12,
                                               err_msg=ctx)
            else:
                want = np.stack([_as_numpy(e) for e in expected])
                np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12,
                                           err_msg=ctx)
