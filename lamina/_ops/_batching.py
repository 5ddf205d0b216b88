"""Helpers the batch rules share. A rule is `batch(bdims, *values, **params) -> (out,
out_bdims)`: `bdims[i]` is the mapped dim of positional input i (None where it is unmapped),
`out_bdims` mirrors `out` (an int per batched output, None for an unbatched one). Rules call
primitives on the values, so a rule runs once for the whole batch; the level wraps the result.
"""

import numpy as np

from .._core._tensor import result_type_of


def to_front(v, bdim):
    """`v` with its mapped dim first; unchanged when it already is (or is unmapped)."""
    return v if not bdim else v.movedim(bdim, 0)


def logical_ndim(v, bdim):
    return v._data.ndim - (bdim is not None)


def elementwise(prim, bdims, values, params):
    """The ELEMENTWISE marker's rule: mapped dims first, each batched value padded with size-1
    dims up to the highest logical rank among the tensors, so broadcasting lines up the logical
    dims and the batch dim alike."""
    rank = max(logical_ndim(v, b) for v, b in zip(values, bdims) if hasattr(v, "_data"))
    if rank and any(b is not None and v._data.ndim == 1 for v, b in zip(values, bdims)):
        values = _weak_zero_dims(values, bdims)
    moved = []
    for v, b in zip(values, bdims):
        if b is not None:
            v = to_front(v, b)
            pad = rank - (v._data.ndim - 1)
            if pad:
                shape = v._data.shape
                v = v.reshape((shape[0],) + (1,) * pad + shape[1:])
        moved.append(v)
    return prim(*moved, **params), 0


def _weak_zero_dims(values, bdims):
    """A logical 0-dim tensor promotes weakly (PyTorch's rule), but its batch makes it a 1-dim
    one: cast such operands to the dtype the logical operands promote to, so the physical op
    computes in the same dtype as the per-example one."""
    logical = tuple(np.empty((1,) * logical_ndim(v, b), v._data.dtype) if hasattr(v, "_data")
                    else v for v, b in zip(values, bdims))
    common = result_type_of(logical)
    out = []
    for v, b in zip(values, bdims):
        if (b is not None and v._data.ndim == 1 and v.dtype is not common
                and v.dtype.category == common.category):
            v = v.to(common)
        out.append(v)
    return out


def leading(prim):
    """A rule for primitives whose leading dims are batch dims of every tensor operand and which
    broadcast them (the matmul and linalg families' `(*, m, n)` operands): mapped dims first, an
    unmapped operand left as is (a logical rank-r operand must then have rank r for each
    operand's core dims to line up: pad the mapped ones to the highest logical rank)."""
    def rule(bdims, *values, **params):
        return elementwise(prim, bdims, values, params)
    return rule


def shift_dim(d):
    """A logical dim param as a physical one once the mapped dim is at the front: a
    non-negative dim moves up by one, a negative one counts from the end and stays."""
    return d + 1 if d >= 0 else d


def batch_size(values, bdims):
    """The size of the mapped dim, read from the first mapped value."""
    return next(v._data.shape[b] for v, b in zip(values, bdims) if b is not None)


def batch_first(bdims, values, cores):
    """The operands of a primitive that broadcasts leading batch dims over `(*, core)` operands
    whose cores differ in rank (`cores[i]` for operand i: LU (*, n, n) beside its pivots (*, n)):
    mapped dims first, each mapped operand padded with size-1 dims up to the highest batch rank
    among the operands, so that broadcasting lines up the batch dims; unmapped ones as they are.
    Equal core ranks make this `leading`'s alignment."""
    rank = max(logical_ndim(v, b) - c for v, b, c in zip(values, bdims, cores))
    moved = []
    for v, b, c in zip(values, bdims, cores):
        if b is not None:
            v = to_front(v, b)
            shape = v._data.shape
            pad = rank - (len(shape) - 1 - c)
            if pad:
                v = v.reshape((shape[0],) + (1,) * pad + shape[1:])
        moved.append(v)
    return moved


def same_batch(bdims, values):
    """Operands of a primitive that takes equal batch dims and does not broadcast them
    (householder_product, ormqr): mapped dims first, each unmapped tensor expanded along a new
    leading dim of the batch's size (a zero-stride view, nothing copied)."""
    size = batch_size(values, bdims)
    return tuple(to_front(v, b) if b is not None
                 else v.expand(size, *v._data.shape) if hasattr(v, "_data") else v
                 for v, b in zip(values, bdims))


def physical(x):
    """The eager tensor under every transform level's wrapper of `x`: what a public function
    reads to turn LAPACK's `info` (or another status) into an error. Under vmap that is the
    whole batch's status, so the error names the physical batch element, as torch.func's
    (its _linalg_check_errors runs on the physical tensor)."""
    while hasattr(x, "_level"):
        x = x._value
    return x
