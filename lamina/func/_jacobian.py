"""jacrev, jacfwd and hessian: whole Jacobians, by vmap over the standard basis of the outputs'
joint space (reverse mode, one VJP per row) or of the inputs' (forward mode, one JVP per column).

Inputs and outputs are pytrees, as in torch.func: the Jacobian is the outputs' tree whose every
leaf is the inputs' tree (the argument's tree itself when argnums is an int), each leaf holding
the block d out / d in shaped `out.shape + in.shape`. One basis spans all the leaves (torch.func's
layout: leaf i owns the rows offset_i .. offset_i + numel_i), so one vmap computes every block.
"""

import numpy as np

from .._core._tensor import wrap
from . import _pytree
from ._checks import argnums_positions, of_argnums
from ._forward import jvp
from ._reverse import vjp
from ._vmap import vmap


def _error_if_complex(name, tree, inputs):
    """torch.func's check that jacrev and jacfwd differentiate real functions of real inputs:
    a complex value's Jacobian is not one matrix (it would need the conjugate's too)."""
    for i, x in enumerate(_pytree.flatten(tree)[0]):
        if hasattr(x, "_data") and x._data.dtype.kind == "c":
            raise RuntimeError(f"{name}: Expected all {'inputs' if inputs else 'outputs'} to be "
                               f"real but received complex tensor at flattened input idx: {i}")


def _offsets(leaves):
    """(start, numel) of each leaf's rows in the joint basis."""
    spans, start = [], 0
    for x in leaves:
        n = x.numel()
        spans.append((start, n))
        start += n
    return spans


def _basis(leaves, spans):
    """The standard basis of the leaves' joint space, split by leaf: leaf i's part is shaped
    (N, *leaf_i.shape), eye(numel_i) in its own rows and zero in the others, in its dtype."""
    total = sum(n for _, n in spans)
    parts = []
    for x, (start, n) in zip(leaves, spans):
        a = np.zeros((total, n), dtype=x._data.dtype)
        a[start:start + n] = np.eye(n, dtype=a.dtype)
        parts.append(wrap(a.reshape((total,) + x._data.shape)))
    return parts


def _layout(block, out_leaves, out_spec, in_leaves, in_spec, single):
    """The Jacobian's tree from `block(k, i)`, the block of output leaf k against input leaf i;
    `single` (argnums an int) drops the 1-tuple around the one argument's tree."""
    per_out = []
    for k in range(len(out_leaves)):
        j = _pytree.unflatten([block(k, i) for i in range(len(in_leaves))], in_spec)
        per_out.append(j[0] if single else j)
    return _pytree.unflatten(per_out, out_spec)


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """torch.func.jacrev: the Jacobian by vmap over reverse-mode VJPs of the outputs' basis."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    def wrapper(*args):
        _error_if_complex("jacrev", args, True)
        nums = argnums_positions(argnums, len(args))
        primals = tuple(args[n] for n in nums)
        res = vjp(of_argnums(func, args, nums), *primals, has_aux=has_aux)
        o_leaves, o_spec = _pytree.flatten(res[0])
        _error_if_complex("jacrev", o_leaves, False)
        spans = _offsets(o_leaves)
        basis = _pytree.unflatten(_basis(o_leaves, spans), o_spec)
        rows = _pytree.flatten(vmap(res[1], chunk_size=chunk_size)(basis))[0]  # per input leaf
        p_leaves, p_spec = _pytree.flatten(primals)

        def block(k, i):
            start, n = spans[k]
            shape = o_leaves[k]._data.shape + p_leaves[i]._data.shape
            return rows[i].narrow(0, start, n).reshape(shape)

        result = _layout(block, o_leaves, o_spec, p_leaves, p_spec, isinstance(argnums, int))
        return (result, res[2]) if has_aux else result
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """torch.func.jacfwd: the Jacobian by vmap over forward-mode JVPs of the inputs' basis."""
    def wrapper(*args):
        _error_if_complex("jacfwd", args, True)
        nums = argnums_positions(argnums, len(args))
        primals = tuple(args[n] for n in nums)
        p_leaves, p_spec = _pytree.flatten(primals)
        spans = _offsets(p_leaves)
        f_of = of_argnums(func, args, nums)

        def push(basis):
            out = jvp(f_of, primals, basis, has_aux=has_aux)
            _error_if_complex("jacfwd", out[0], False)
            return out[1:] if has_aux else out[1]

        res = vmap(push, randomness=randomness)(_pytree.unflatten(_basis(p_leaves, spans),
                                                                  p_spec))
        columns, o_spec = _pytree.flatten(res[0] if has_aux else res)  # per output leaf

        def block(k, i):
            start, n = spans[i]
            c = columns[k].movedim(0, -1)
            return c.narrow(-1, start, n).reshape(c._data.shape[:-1] + p_leaves[i]._data.shape)

        result = _layout(block, columns, o_spec, p_leaves, p_spec, isinstance(argnums, int))
        if has_aux:  # each aux leaf came back expanded over the basis: one copy is the value
            return result, _pytree.tree_map(lambda a: a[0], res[1])
        return result
    return wrapper


def hessian(func, argnums=0):
    """torch.func.hessian: jacfwd(jacrev(func))."""
    return jacfwd(jacrev(func, argnums), argnums)
