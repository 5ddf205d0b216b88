"""Hypothesis inputs for the fuzz suite (tests/test_fuzz.py): dtypes, sizes, batch shapes,
well-conditioned values of a few matrix kinds, special values, and memory layouts cut from a
parent buffer filled with a sentinel.

A layout is built in NumPy (lamina's from_numpy shares any whole-element strides, negative ones
included, and misaligned memory), so each view's parent can be snapshotted and compared byte for
byte after the op.
"""

import os

import numpy as np
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("LAMINA_FUZZ_EXAMPLES", "1000"))
SEED = int(os.environ.get("LAMINA_FUZZ_SEED", "0"))

DTYPES = (np.float32, np.float64, np.complex64, np.complex128)
# "misaligned": C order in a parent one byte past an aligned address, as an array deserialised
# from a byte stream can be (dask's workers hand those over).
LAYOUTS = ("C", "T", "step2", "neg1", "neg3", "expand", "offset", "misaligned")
# NaN, +-Inf, +-0, a subnormal of each precision, +-1e300 (Inf in float32).
SPECIALS = (np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, 5e-324, 1e300, -1e300)
SENTINEL = 12345.678

# Sizes 0 and 1 are weighted up: they are where loops and strides go wrong first.
sizes = st.one_of(st.sampled_from((0, 1)), st.integers(0, 6))


@st.composite
def batch_shapes(draw, nargs):
    """A broadcast batch shape (<= 8 matrices) and each argument's own batch shape: leading dims
    dropped or set to 1 where broadcasting allows."""
    full = tuple(draw(st.lists(st.sampled_from((0, 1, 2, 3)), max_size=2)))
    if int(np.prod(full)) > 8:
        full = full[1:]
    own = []
    for _ in range(nargs):
        drop = draw(st.integers(0, len(full)))
        own.append(tuple(1 if draw(st.booleans()) and draw(st.booleans()) else s
                         for s in full[drop:]))
    return own


def random_values(rng, shape, dtype):
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x


def matrix_of_kind(rng, kind, shape, dtype):
    """Finite values of `kind` with condition numbers near 1, so a reference within a few ulps
    times n holds for every dtype: gen (diagonally boosted), spd, herm, sym (complex symmetric,
    not hermitian), any (plain random)."""
    x = random_values(rng, shape, dtype)
    if kind in ("gen", "spd", "herm", "sym") and len(shape) >= 2:
        m, n = shape[-2], shape[-1]
        boost = 3.0 * max(m, n, 1) * np.eye(m, n)
        if kind == "gen":
            x = x + boost
        elif kind == "spd":
            x = x @ x.conj().swapaxes(-1, -2) + boost
        elif kind == "herm":
            x = (x + x.conj().swapaxes(-1, -2)) / 2 + boost
        else:
            x = (x + x.swapaxes(-1, -2)) / 2 + boost
    return x.astype(dtype)


def sprinkle_specials(rng, x):
    """`x` with a few entries replaced by special values (hermitian structure is not kept)."""
    x = x.copy()
    flat = x.reshape(-1)
    if flat.size:
        count = rng.integers(1, min(3, flat.size) + 1)
        with np.errstate(over="ignore"):     # 1e300 is Inf in single precision, as intended
            for i in rng.choice(flat.size, count, replace=False):
                flat[i] = SPECIALS[rng.integers(len(SPECIALS))]
    return x


class Placed:
    """`values` (an ndarray) written into a view of a sentinel-filled parent; `tensor` is the
    lamina view, `snapshot` the parent's bytes right after the write."""

    def __init__(self, values, layout, rng, lm):
        nd = values.ndim
        if layout == "expand" and nd >= 3 and values.shape[0] > 1:
            values = np.broadcast_to(values[:1], values.shape).copy()
        order = list(range(nd))
        if layout == "T" and nd >= 2:
            order[-2], order[-1] = order[-1], order[-2]
        steps = [1] * nd
        if nd and layout in ("step2", "neg1", "neg3"):
            steps[-1 if layout != "neg3" else 0] = {"step2": 2, "neg1": -1, "neg3": -3}[layout]
        strides = [0] * nd
        extent = 1
        for d in reversed(order):
            strides[d] = steps[d] * extent
            extent *= max(values.shape[d] * abs(steps[d]), 1)
        if layout == "expand" and nd >= 3:
            strides[0] = 0
        offset = int(rng.integers(0, 4)) if layout == "offset" else 0
        start = offset + sum((s - 1) * -st_ for s, st_ in zip(values.shape, strides)
                             if st_ < 0 and s > 0)
        item = values.itemsize
        if layout == "misaligned":
            raw = np.empty((start + extent + 3) * item + 1, np.uint8)
            self.parent = raw[1:].view(values.dtype)
            self.parent[...] = SENTINEL
        else:
            self.parent = np.full(start + extent + 3, SENTINEL, dtype=values.dtype)
        view = np.lib.stride_tricks.as_strided(self.parent[start:], values.shape,
                                               [s * item for s in strides])
        view[...] = values
        self.values = values
        self.view = view
        self.start, self.strides = start, strides
        self.tensor = lm.from_numpy(view)
        self.snapshot = self.parent.tobytes()

    def intact(self):
        return self.parent.tobytes() == self.snapshot

    def intact_outside(self):
        """True if the parent still holds the sentinel everywhere outside the view."""
        rest = self.parent.copy()
        np.lib.stride_tricks.as_strided(rest[self.start:], self.values.shape,
                                        [s * rest.itemsize for s in self.strides])[...] = SENTINEL
        return rest.tobytes() == np.full_like(rest, SENTINEL).tobytes()
