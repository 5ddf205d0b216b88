"""Helpers the VJP rules of several families share. Rules are written in lamina ops (Tensor
methods here), so they are differentiable themselves; these helpers are too."""

import threading

import numpy as np

from .._core._tensor import TensorBase

# Set by a transform level while one of its nodes runs a rule on the values of the level below,
# whose own requires_grad says nothing about this level: `ids`, the ids of the inputs that take
# a gradient there (PyTorch's grad_input_mask). Per thread, as the levels are; unset (None) on
# the eager tape.
_needed = threading.local()


def set_needed(ids):
    """Make `ids` (or None) what `wants` answers from in this thread; returns the previous."""
    previous = getattr(_needed, "ids", None)
    _needed.ids = ids
    return previous


def wants(x):
    """Whether the rule must compute a gradient for input `x`."""
    if not isinstance(x, TensorBase):
        return False
    ids = getattr(_needed, "ids", None)
    return x._requires_grad if ids is None else id(x) in ids


def unbroadcast(g, x):
    """`g` summed down to the shape of operand `x`: the transpose of broadcasting `x` to g's
    shape. Returns None when `x` is not a Tensor (a Python scalar needs no gradient)."""
    shape = getattr(x, "_data", None)
    if shape is None:
        return None
    shape = shape.shape
    gshape = g._data.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, s in enumerate(shape) if s == 1 and gshape[lead + i] != 1)
    return g.sum(dims).reshape(shape) if dims else g.reshape(shape)


def not_implemented(name):
    """The VJP of an op whose outputs are floating but which PyTorch does not differentiate
    either (ldl_factor, geqrf, ...): asking for its gradient raises, naming it."""
    def vjp(ct, out, *args, **params):
        raise NotImplementedError(f"the derivative for '{name}' is not implemented.")
    return vjp


def spectral_gaps(x):
    """E[..., i, j] = x_j - x_i off the diagonal and 1 on it: the denominators of the
    eigen/singular vector rules (the 1 only keeps 0 / 1 on the diagonal finite). Equal values
    give a zero gap, hence inf/nan in the vectors' gradient, as in PyTorch."""
    gaps = x.unsqueeze(-2) - x.unsqueeze(-1)
    return gaps + x.new_ones(x._data.shape[-1]).diag_embed()


def zero_grad(ct, x):
    """The gradient PyTorch gives an input the output is locally constant in (floor, round, a
    rounded division, sign): zeros shaped like `x`; None when `x` takes no gradient."""
    if not wants(x):
        return None
    return ct.new_zeros(x._data.shape)


def readable(x):
    """Whether a rule may look at `x`'s values in Python to take a faster path (a test for zeros,
    say): not when `x` is a transform level's wrapper (func's LevelTensor, which carries its
    `_level`), whose values are not there. PyTorch's rules test `isTensorSubclassLike` alike."""
    return not hasattr(x, "_level")


def linear_tangent(t, x):
    """Operand `x`'s tangent for a JVP linear in it: `t`, or where `x` has none (a constant
    tensor, or a constant array such as a fill value) zeros of x's shape and dtype, which keep
    the primal's type promotion."""
    if t is not None:
        return t
    if isinstance(x, TensorBase):
        return x.new_zeros(x._data.shape)
    return np.zeros_like(x)


# -- JVP helpers -----------------------------------------------------------------------------------

def auto_element_wise(vjp):
    """derivatives.yaml's `result: auto_element_wise`: the JVP of a one-input elementwise op from
    its VJP. A VJP computes ct * conj(f'(x)), so conj(vjp(conj(t))) is t * f'(x), the forward
    derivative of a holomorphic f (`.conj()` of a real tensor is the tensor itself)."""
    def jvp(tangents, out, x, **params):
        return vjp(tangents[0].conj(), out, x, **params)[0].conj()
    jvp.__name__ = vjp.__name__.replace("_vjp", "_jvp")
    return jvp


def tangent_sum(*terms):
    """The sum of the terms that are not None (a term per input with a tangent); None if none."""
    total = None
    for t in terms:
        if t is not None:
            total = t if total is None else total + t
    return total


def fit_tangent(t, out):
    """`t` made the tangent of `out`: cast to its dtype and broadcast to its shape. A formula over
    broadcast operands leaves it smaller where only the smaller operand has a tangent (a + b with
    b's missing), or of another dtype (a float32 tangent of a complex or a promoted result)."""
    if t is None:
        return None
    if t.dtype is not out.dtype:
        t = t.to(out.dtype)
    shape = out._data.shape
    return t if t._data.shape == shape else t.expand(shape)


def zero_tangent(out):
    """The tangent of an output that is locally constant in every input (floor, a rounded
    division): zeros shaped like it, as PyTorch's forward AD gives (its zeros_like formulas)."""
    return out.new_zeros(out._data.shape)
