"""vmap: the batching level. A batched value is a wrapper of the physical tensor that carries
the mapped dim (`_bdim`); a primitive meeting one runs once on the whole batch through its batch
rule: `batch(bdims, *values, **params) -> (out, out_bdims)`, written in lamina ops. The ELEMENTWISE
marker needs no function: the mapped dims go to the front and broadcasting does the rest. A
primitive without a rule falls back to a Python loop over the batch, and warns, naming it.
An in-place write into a batched value writes the physical value (`BatchLevel.write`); random
ops ask the level for its `randomness` (lamina._ops.primitive.draw).
"""

import warnings

import numpy as np

from .._ops import _batching
from .._ops.joining import cat, stack
from .._ops.primitive import ELEMENTWISE, Level, _maps
from . import _pytree
from ._wrapper import LevelTensor, aged, is_at, make, unwrap

INPLACE_MSG = (
    "vmap: inplace arithmetic(self, *extra_args) is not possible because there exists a Tensor "
    "`other` in extra_args that has more elements than `self`. This happened due to `other` "
    "being vmapped over but `self` not being vmapped over in a vmap. Please try to use "
    "out-of-place operators instead of inplace arithmetic. If said operator is being called "
    "inside the PyTorch framework, please file a bug report instead.")


class Batched(LevelTensor):
    def __repr__(self):
        return f"BatchedTensor(lvl={self._level.index}, bdim={self._bdim}, value={self._value!r})"


def _stack(outs):
    if isinstance(outs[0], tuple):
        return tuple(None if outs[0][k] is None else stack([o[k] for o in outs])
                     for k in range(len(outs[0])))
    return stack(outs)


def loop_batch(level, prim, values, bdims, params):
    """The fallback: one call per batch element, stacked along a new dim 0."""
    warnings.warn(
        f"There is a performance drop because we have not yet implemented the batching rule "
        f"for {prim.name}. lamina runs it in a Python loop over the batch.", UserWarning,
        stacklevel=4)
    outs = []
    for i in range(level.size):
        outs.append(prim(*[v if b is None else v.select(b, i) for v, b in zip(values, bdims)],
                         **params))
    out = _stack(outs)
    return out, (0,) * len(out) if isinstance(out, tuple) else 0


class BatchLevel(Level):
    prim = None  # the last primitive the level saw, named by an out= refusal (`out_error`)

    def __init__(self, size, randomness="error"):
        self.size = size
        self.randomness = randomness

    def wrap(self, value, bdim):
        shape = value._data.shape
        t = make(Batched, value, self, shape[:bdim] + shape[bdim + 1:])
        t._bdim = bdim
        return t

    def _wrap_out(self, out, bdims):
        if isinstance(out, tuple):
            return tuple(self._wrap_out(o, b) for o, b in zip(out, bdims))
        if out is None or bdims is None:
            return out
        return self.wrap(out, bdims)

    def process(self, prim, args, params):
        values, bdims, mine = unwrap(self, args, "_bdim")
        if not mine:
            out = self.lower(prim, args, params)
            self.prim = prim  # a constant op: named if it writes a tracked out=
            return out
        rule = prim.batch
        if rule is ELEMENTWISE:
            out, out_bdims = _batching.elementwise(prim, bdims, values, params)
        elif rule is None:
            out, out_bdims = loop_batch(self, prim, values, bdims, params)
        else:
            out, out_bdims = rule(tuple(bdims), *values, **params)
        if isinstance(out, tuple) and not isinstance(out_bdims, tuple):
            out_bdims = (out_bdims,) * len(out)
        self.prim = prim  # after the rule's own calls: the op an out= refusal names
        return aged(self._wrap_out(out, out_bdims), prim, args[0])

    def out_error(self, result, out):
        if _maps(result, self) or _maps(out, self):
            name = self.prim.name if self.prim is not None else "out"
            return RuntimeError(f"Batching rule not implemented for aten::{name}.out; the "
                                "fallback path doesn't work on out= or view ops.")
        return None

    def inplace_target(self, target, op):
        return target._value if is_at(target, self) else target

    def write(self, target, src, eager, op):
        # `op` goes down with the physical value: torch.func's grad refuses a write through
        # vmap into a tensor it captured.
        mapped = is_at(src, self)
        if not is_at(target, self):
            if mapped:  # each batch element would write its own value into the one target
                raise RuntimeError(INPLACE_MSG)
            return self.lower_write(target, src, eager, op)
        # `src` broadcasts to target's logical shape: pad it to target's logical rank with its
        # mapped dim (or a size-1 one) at the target's, so it broadcasts to the physical value.
        rank, bdim = target._data.ndim, target._bdim
        if mapped:
            v = _batching.to_front(src._value, src._bdim)
            shape = v._data.shape
            v = v.reshape(shape[:1] + (1,) * (rank - len(shape) + 1) + shape[1:])
            src = v.movedim(0, bdim) if bdim else v
        elif hasattr(src, "_data") or isinstance(src, np.ndarray):
            shape = np.shape(src)
            shape = (1,) * (rank - len(shape)) + shape
            shape = shape[:bdim] + (1,) + shape[bdim:]
            src = src.reshape(shape)
        self.lower_write(target._value, src, eager, op)


def _call_repr(func, in_dims, out_dims):
    name = getattr(func, "__name__", repr(func))
    return f"vmap({name}, in_dims={in_dims}, out_dims={out_dims}, ...)(<inputs>)"


def _batch_size(leaves, dims, where):
    sizes = []
    for x, d in zip(leaves, dims):
        if d is None:
            continue
        if not hasattr(x, "_data"):
            raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type "
                             f"{type(x).__name__}. We cannot vmap over non-Tensor arguments, "
                             "please use None as the respective in_dim")
        n = x._data.ndim
        if not -n <= d < n:
            raise ValueError(f"{where}: Got in_dim={d} for some input, but that input is a "
                             f"Tensor of dimensionality {n} so expected in_dim to satisfy "
                             f"-{n} <= in_dim < {n}.")
        sizes.append(x._data.shape[d])
    if not sizes:
        raise ValueError(f"{where}: at least one input must be batched (in_dims cannot be all "
                         "None)")
    if len(set(sizes)) > 1:
        raise ValueError(f"{where}: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0]


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """torch.func.vmap: `func` mapped over a dim of its inputs, each primitive run once."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")

    def wrapped(*args, **kwargs):
        where = _call_repr(func, in_dims, out_dims)
        if isinstance(in_dims, (tuple, list)) and len(in_dims) != len(args):
            raise ValueError(f"{where}: in_dims is not compatible with the structure of "
                             f"`inputs`. in_dims has structure {in_dims} but inputs has "
                             f"{len(args)} arguments")
        leaves, spec = _pytree.flatten(args)
        dims = _pytree.broadcast_prefix(tuple(in_dims) if isinstance(in_dims, list) else in_dims,
                                        args, "in_dims")
        size = _batch_size(leaves, dims, where)
        dims = [d if d is None else d % x._data.ndim for x, d in zip(leaves, dims)]
        if chunk_size is not None and chunk_size < size:
            return _chunked(func, leaves, spec, dims, size, kwargs, out_dims, randomness,
                            chunk_size, where)
        return _run(func, leaves, spec, dims, size, kwargs, out_dims, randomness, where)

    wrapped.__name__ = getattr(func, "__name__", "vmapped")
    return wrapped


def _run(func, leaves, spec, dims, size, kwargs, out_dims, randomness, where):
    with BatchLevel(size, randomness) as level:
        inputs = [x if d is None else level.wrap(x, d) for x, d in zip(leaves, dims)]
        out = func(*_pytree.unflatten(inputs, spec), **kwargs)
    out_leaves, out_spec = _pytree.flatten(out)
    odims = _pytree.broadcast_prefix(out_dims, out, "out_dims")
    results = []
    for o, d in zip(out_leaves, odims):
        if not hasattr(o, "_data"):
            raise ValueError(f"{where}: `func` must only return Tensors, got type "
                             f"{type(o).__name__}. Did you mean to set out_dims= to None for "
                             "output?")
        if is_at(o, level):
            v = o._value if d is None else o._value.movedim(o._bdim, d % o._value._data.ndim)
            if d is None:
                raise ValueError(f"{where}: can not return a BatchedTensor when out_dim is None")
        elif d is None:
            v = o
        else:
            shape = list(o._data.shape)
            d = d % (len(shape) + 1)
            v = o.unsqueeze(d).expand(*shape[:d], size, *shape[d:])
        results.append(v)
    return _pytree.unflatten(results, out_spec)


def _chunked(func, leaves, spec, dims, size, kwargs, out_dims, randomness, chunk_size, where):
    parts = []
    for start in range(0, size, chunk_size):
        n = min(chunk_size, size - start)
        sliced = [x if d is None else x.narrow(d, start, n) for x, d in zip(leaves, dims)]
        parts.append(_run(func, sliced, spec, dims, n, kwargs, out_dims, randomness, where))
    first_leaves, out_spec = _pytree.flatten(parts[0])
    odims = _pytree.broadcast_prefix(out_dims, parts[0], "out_dims")
    per_part = [_pytree.flatten(p)[0] for p in parts]
    joined = [cat([p[k] for p in per_part], dim=d) if d is not None else per_part[0][k]
              for k, d in enumerate(odims)]
    return _pytree.unflatten(joined, out_spec)
