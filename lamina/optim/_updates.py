"""The pieces the optimizers' updates share: torch's step counter, its nonnegativity checks, its
addcmul_/addcdiv_, and the real views it updates complex parameters through."""

from .. import get_default_dtype, tensor


def step_counter():
    # torch keeps `step` as a 0-dim CPU tensor of the default float dtype (_get_scalar_dtype), so
    # a state_dict carries it as a tensor and bias corrections read it back with item().
    return tensor(0.0, dtype=get_default_dtype())


def real_views(*tensors):
    """The tensors as torch's updates see them after view_as_real.

    A real tensor stays itself; a complex one becomes its real and imaginary parts, views, so the
    update lands in the tensor. The updates are elementwise, so running one per part is the
    update of the interleaved real view. `None` (an absent state tensor) passes through.
    """
    if not tensors[0].is_complex():
        return [tensors]
    return [tuple(t if t is None else t.real for t in tensors),
            tuple(t if t is None else t.imag for t in tensors)]


# How torch's constructors name each option in "Invalid ...: value".
_OPTION_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def check_nonnegative(**options):
    """torch's `if not 0.0 <= value: raise ValueError(...)`, checked in the order given.

    Written `not 0.0 <= value`, so a NaN is refused too, as in torch.
    """
    for name, value in options.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_OPTION_LABELS.get(name, name + ' value')}: {value}")


# torch's addcmul_/addcdiv_, composed. addcdiv_'s CPU kernel computes self + (value * t1) / t2,
# and this order reproduces it; addcmul_'s fuses a multiply-add that NumPy cannot, so the two agree
# to rounding there.
def addcmul_(t, t1, t2, value):
    return t.add_(t1 * t2, alpha=value)


def addcdiv_(t, t1, t2, value):
    return t.add_(t1.mul(value).div_(t2))
