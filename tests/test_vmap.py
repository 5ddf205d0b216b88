"""Generic vmap sweep over the op table: every op flagged `vmap` against a Python loop of the op
over the batch, with the mapped dim first, last and in the middle, and with operands unmapped.
A flagged op must have a batch rule: the loop fallback's warning fails the test."""

import warnings

import numpy as np
import pytest

import lamina as lm
from opdb import ALL_OPS

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


def _arrays(x):
    if isinstance(x, np.ndarray):
        yield x
    elif isinstance(x, (list, tuple)):
        for e in x:
            yield from _arrays(e)


def _samples(info, dtype):
    rng = np.random.default_rng(0)
    picked = [s for s in info.samples(dtype, rng)
              if all(a.size <= MAX_SIZE for a in _arrays(s.args))
              and not any(isinstance(a, np.ndarray) for a in _arrays(tuple(s.kwargs.values())))]
    return picked[:3]


def _element(x, b):
    """Batch element b of an argument: floating arrays scaled (so elements differ but stay
    valid inputs: SPD stays SPD, a range stays a range), everything else unchanged."""
    if x.dtype.kind in "fc":
        return np.asarray(x * (1.0 + 0.25 * b)).astype(x.dtype)
    return x


def _dims_variants(positions, ndims):
    """in_dims per tensor position: all mapped at 0; all at -1; only the first mapped."""
    yield {p: 0 for p in positions}
    yield {p: -1 for p in positions}
    if len(positions) > 1:
        yield {positions[0]: 0}


def _to_lamina(x):
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
        positions = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]
        for dims in _dims_variants(positions, [args[p].ndim for p in positions]):
            in_dims = tuple(dims.get(i) for i in range(len(args)))
            batched = [_to_lamina(_stacked(a, in_dims[i] if in_dims[i] >= 0 else a.ndim))
                       if in_dims[i] is not None else _to_lamina(a)
                       for i, a in enumerate(args)]
            expected = [info.op(*[_to_lamina(_element(a, b)) if in_dims[i] is not None
                                  else _to_lamina(a) for i, a in enumerate(args)],
                                **sample.kwargs) for b in range(BATCH)]
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
