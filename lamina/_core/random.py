"""Random number generators (lamina.Generator, the default generator) and the sampling kernels.

A Generator wraps a NumPy `Generator` over PCG64. Seeding is deterministic (the same seed gives
the same numbers in lamina) but the streams are NumPy's, not PyTorch's Mersenne Twister. As in
PyTorch, a new Generator starts from the fixed seed 67280421310721 and the default generator is
seeded from OS entropy at import.
"""

import numpy as np

from . import dtype as _dt
from ._tensor import TensorBase, wrap
from .device import CPU, check_cpu

_INITIAL_SEED = 67280421310721
_MASK64 = (1 << 64) - 1
# get_state's layout, as uint64 words: seed, PCG64 state (lo, hi), increment (lo, hi), and the
# buffered half of a 64-bit draw (has_uint32, uinteger) that 32-bit draws leave behind.
_STATE_WORDS = 7
_STATE_BYTES = 8 * _STATE_WORDS


def _entropy_seed():
    return int(np.random.SeedSequence().generate_state(1, np.uint64)[0])


class Generator:
    """lamina.Generator(device='cpu'): a seeded source of random numbers."""

    def __init__(self, device="cpu"):
        self.device = check_cpu(device) or CPU
        self.manual_seed(_INITIAL_SEED)

    def manual_seed(self, seed):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = int(seed)
        if not -(1 << 63) <= seed <= _MASK64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & _MASK64  # negative seeds wrap, as PyTorch's uint64 cast does
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self):
        """Reseed from OS entropy and return the new seed."""
        s = _entropy_seed()
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        st = self._rng.bit_generator.state
        state, inc = st["state"]["state"], st["state"]["inc"]
        words = np.array([self._seed, state & _MASK64, state >> 64, inc & _MASK64, inc >> 64,
                          st["has_uint32"], st["uinteger"]], dtype="<u8")
        return wrap(words.view(np.uint8))

    def set_state(self, new_state):
        if not isinstance(new_state, TensorBase):
            raise TypeError(f"expected a lamina.ByteTensor, but got {type(new_state).__name__}")
        data = new_state._data
        if data.dtype != np.uint8:
            raise TypeError("RNG state must be a lamina.ByteTensor")
        if data.size != _STATE_BYTES:
            raise RuntimeError(f"Expected a lamina Generator state of size {_STATE_BYTES} but "
                               f"found the input RNG state size to be {data.size}")
        w = [int(x) for x in np.ascontiguousarray(data).reshape(-1).view("<u8")]
        self.manual_seed(w[0])
        self._rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": w[1] | (w[2] << 64), "inc": w[3] | (w[4] << 64)},
            "has_uint32": w[5], "uinteger": w[6]}
        return self

    def __repr__(self):
        return f"<lamina.Generator object at {id(self):#x}>"


default_generator = Generator()
default_generator.seed()


def rng_of(generator):
    """The NumPy generator behind `generator=` (None is the default generator)."""
    if generator is None:
        return default_generator._rng
    if not isinstance(generator, Generator):
        raise TypeError(f"expected a lamina.Generator as generator, but got "
                        f"{type(generator).__name__}")
    return generator._rng


def manual_seed(seed):
    """Seed the default generator; returns it, as PyTorch does."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


# -- sampling kernels: arrays of a lamina dtype from a NumPy generator -----------------------------
# float32 draws are made in float32 (no float64 detour); float16, which NumPy's samplers lack, is
# drawn exactly (uniform) or through float32 (normal, exponential). A complex dtype draws its real
# and imaginary parts as a trailing pair of reals, then views them as complex.

def _parts_shape(shape, d):
    return (*shape, 2) if d.category == _dt.COMPLEX else shape


def _as_dtype(parts, d):
    return parts.view(d.np)[..., 0] if d.category == _dt.COMPLEX else parts


def uniform(rng, shape, d, low=0.0, high=1.0):
    """Uniform on [low, high) in float or complex dtype `d` (each part of a complex number)."""
    real = d.to_real().np
    shape2 = _parts_shape(shape, d)
    if real == np.float16:
        # 11 random bits times 2**-11 is exact in float16, so rounding can never reach 1.0.
        parts = rng.integers(0, 2048, size=shape2, dtype=np.uint16).astype(np.float16)
        parts *= np.float16(2.0 ** -11)
    else:
        parts = rng.random(shape2, dtype=real)
    if low != 0.0 or high != 1.0:
        parts *= high - low
        parts += low
    return _as_dtype(parts, d)


def normal(rng, shape, d, mean=0.0, std=1.0):
    """Normal(mean, std) in float or complex dtype `d`.

    A complex sample has total variance std**2, split evenly between its parts (PyTorch's rule),
    and `mean` added to both parts.
    """
    real = d.to_real().np
    parts = rng.standard_normal(_parts_shape(shape, d), dtype=np.float64 if real == np.float64
                                else np.float32).astype(real, copy=False)
    if d.category == _dt.COMPLEX:
        std = std * 0.5 ** 0.5
    if std != 1.0:
        parts *= std
    if mean != 0.0:
        parts += mean
    return _as_dtype(parts, d)


def exponential(rng, shape, d, rate=1.0):
    """Exponential with the given rate, in float dtype `d`."""
    work = np.float64 if d.np == np.float64 else np.float32
    out = rng.standard_exponential(shape, dtype=work).astype(d.np, copy=False)
    if rate != 1.0:
        out /= rate
    return out


def integers(rng, low, high, shape, d):
    """Integers in [low, high] (both included) stored in dtype `d`."""
    return rng.integers(low, high, size=shape, dtype=np.int64, endpoint=True).astype(
        d.np, copy=False)
