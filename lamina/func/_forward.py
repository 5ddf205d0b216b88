"""jvp and linearize: the forward-mode level. A dual value wraps a primal of the level below and
carries its tangent; a primitive meeting one runs on the primals and pushes the tangents through
its JVP rule `jvp(tangents, out, *primals, **params)` (tangents: one per input, None where the
input has none), written in lamina ops so that the rule itself can be transformed. LINEAR
primitives apply themselves to the tangents; NONDIFF ones give outputs without tangent.
An in-place write into a dual value writes its primal and its tangent (`ForwardLevel.write`);
one of a dual value into a plain tensor lifts that tensor (func/_lift.py) with a zero tangent.
"""

import numpy as np

from .._core._tensor import TensorBase, wrap
from .._ops.creation import zeros_like
from .._ops.primitive import LEVELS, LINEAR, NONDIFF, levels_mapping, mapped
from .._ops.shape import clone
from ..autograd.graph import _SEQUENCE
from . import _pytree
from ._checks import check_outputs, split_aux, unwrap_aux
from ._lift import LiftingLevel
from ._wrapper import LevelTensor, aged, is_at, make, storage, unwrap

JVP = "jvp(f, primals, tangents)"


class Dual(LevelTensor):
    def __repr__(self):
        return (f"DualTensor(lvl={self._level.index}, primal={self._value!r}, "
                f"tangent={self._tangent!r})")


def _floating(x):
    return hasattr(x, "_data") and x._data.dtype.kind in "fc"


def _constant_tangent(p):
    """A LINEAR primitive's operand without a tangent: a floating constant (tensor, array or
    number) contributes zero; an integer or boolean one (indices, masks, a condition) is
    structure, passed as it is."""
    if hasattr(p, "_data"):
        return zeros_like(p) if p._data.dtype.kind in "fc" else p
    if isinstance(p, np.ndarray):
        return np.zeros_like(p) if p.dtype.kind in "fc" else p
    if type(p) in (int, float, complex) or isinstance(p, (np.floating, np.complexfloating)):
        return type(p)(0)  # a Python number is a summand; NumPy integers are indices
    return p


def _unaliased(tangent, tangents):
    """An output tangent with storage of its own. A rule may return an input's tangent itself or
    a broadcast view of it (a + b where b has none); the output's primal owns its storage, so an
    in-place write into the output, which writes its tangent in place, would else write the
    input's tangent too."""
    if isinstance(tangent, tuple):
        return tuple(_unaliased(t, tangents) for t in tangent)
    if tangent is None:
        return None
    root = storage(tangent)
    for t in tangents:
        if t is not None and storage(t) is root:
            return clone(tangent)
    return tangent


class ForwardLevel(LiftingLevel):
    name = "jvp"
    mark = None   # a node number taken before differentiating the last primitive
    last = None   # that primitive's output
    since = None  # `mark` while `last` is written in place (see _reverse._snapshot_values)

    def wrap(self, primal, tangent):
        t = make(Dual, primal, self, primal._data.shape)
        t._tangent = tangent
        return t

    def _wrap_out(self, out, tangent):
        if isinstance(out, tuple):
            return tuple(self._wrap_out(o, t) for o, t in zip(out, tangent))
        if tangent is None or not _floating(out):
            return out
        return self.wrap(out, tangent)

    def process(self, prim, args, params):
        if self.lifted:
            args = self.resolve_all(args)
        primals, tangents, mine = unwrap(self, args, "_tangent")
        if not mine:
            out = self.lower(prim, args, params)
            self.prim = prim  # a constant op: named if it writes a tracked out=
            return out
        mark = next(_SEQUENCE)
        out = self.lower(prim, tuple(primals), params)
        rule = prim.jvp
        if rule is NONDIFF:  # detach of a wrapper counts as made inside: torch wraps it
            return aged(out, prim, args[0])
        if rule is None:
            raise NotImplementedError(
                f"jvp: the forward-mode derivative of '{prim.name}' is not implemented")
        lifted, self.lifted = self.lifted, None  # the rule reads values below as they are
        try:
            if rule is LINEAR:
                tangent = prim(*[t if t is not None else _constant_tangent(p)
                                 for p, t in zip(primals, tangents)], **params)
            else:
                tangent = rule(tuple(tangents), out, *primals, **params)
                if not prim.view:
                    tangent = _unaliased(tangent, tangents)
        finally:
            self.lifted = lifted
        self.prim = prim  # after the rule's own calls: the op an out= refusal names
        self.mark, self.last = mark, aged(self._wrap_out(out, tangent), prim, args[0])
        return self.last

    def _wrap_base(self, value, src):
        # The tangent is mapped by the vmap levels that map the written tangent (jacfwd's
        # basis), so that tangent can be written into it in place.
        dtype = value._data.dtype
        tangent = mapped(lambda shape: wrap(np.zeros(shape, dtype)), value._data.shape,
                         levels_mapping(src._tangent))
        return self.wrap(value, tangent)

    def out_error(self, result, out):
        if self.tracks(result) or self.tracks(out):
            name = self.prim.name if self.prim is not None else "out"
            return NotImplementedError(f"Trying to use forward AD with {name}_out that does not "
                                       "support it because it is an out= function")
        return None

    def write(self, target, src, eager, op):
        if self.lifted:
            target, src = self.resolve(target), self.resolve(src)
        dual = is_at(src, self)
        if not is_at(target, self):
            self.refuse_captured(target, op)
            if not dual:
                return self.lower_write(target, src, eager, op)
            if target._data.dtype.kind not in "fc":  # an integer target keeps no tangent
                return self.lower_write(target, src._value, eager, op)
            target = self.lift(target, src)
        # The tangent is written in place too (PyTorch's forward AD does the same), so that
        # views of the target, whose tangents view its tangent, see it; a constant written
        # carries a zero tangent.
        self.since = self.mark if src is self.last else None
        try:
            self.lower_write(target._value, src._value if dual else src, eager, None)
            self.lower_write(target._tangent, src._tangent if dual else 0, eager, None)
        finally:
            self.since = None


def _unwrap(level, out, strict=False):
    """(primal, tangent) trees of a function's output at `level`; zero tangents where an output
    does not depend on the inputs (an error with `strict`, as torch.func's jvp)."""
    leaves, spec = _pytree.flatten(out)
    check_outputs(leaves, JVP)
    primals, tangents = [], []
    for o in leaves:
        o = level.resolve(o)
        if is_at(o, level):
            primals.append(o._value)
            tangents.append(o._tangent)
        elif strict:
            raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is "
                               "independent of the inputs. This is not allowed with strict=True.")
        else:
            primals.append(o)
            tangents.append(zeros_like(o))
    return _pytree.unflatten(primals, spec), _pytree.unflatten(tangents, spec)


def _check_primal(p):
    """torch's make_dual: forward-mode AD perturbs floating-point and complex tensors only."""
    if p._data.dtype.kind not in "fc":
        raise ValueError(f"Expected primal to be floating point or complex, but got: {p.dtype}")


def _check_dual(p, t):
    _check_primal(p)
    if t._data.dtype.kind not in "fc":
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {t.dtype}")
    if t._data.shape != p._data.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(p._data.shape)} "
            f"while the given forward gradient is of size {list(t._data.shape)}.")


def _tensors_only(leaves, argname):
    if not leaves:
        raise RuntimeError(f"{JVP}: Expected {argname} to contain at least one Tensor.")
    for x in leaves:
        if not isinstance(x, TensorBase):
            raise RuntimeError(f"{JVP}: Expected {argname} to only contain Tensors, got {type(x)}")


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """torch.func.jvp: (func(*primals), J(primals) @ tangents) by forward-mode AD."""
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{JVP}: Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    p_leaves, spec = _pytree.flatten(primals)
    t_leaves, t_spec = _pytree.flatten(tangents)
    if t_spec != spec:
        raise RuntimeError(
            f"{JVP}: Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
            f"with structure {_pytree.spec_repr(spec)} and tangents with structure "
            f"{_pytree.spec_repr(t_spec)}")
    _tensors_only(p_leaves, "primals")
    _tensors_only(t_leaves, "tangents")
    for p, t in zip(p_leaves, t_leaves):
        _check_dual(p, t)
    with ForwardLevel() as level:
        duals = [level.wrap(p, t) for p, t in zip(p_leaves, t_leaves)]
        out = func(*_pytree.unflatten(duals, spec))
        if has_aux:
            out, aux = split_aux(out, JVP)
            aux = unwrap_aux(level, aux)
        primal_out, tangent_out = _unwrap(level, out, strict)
    return (primal_out, tangent_out, aux) if has_aux else (primal_out, tangent_out)


def linearize(func, *primals):
    """torch.func.linearize: (func(*primals), jvp_fn) where jvp_fn(*tangents) is the JVP."""
    out = func(*primals)
    o_leaves, o_spec = _pytree.flatten(out)
    p_leaves, spec = _pytree.flatten(primals)
    for p in p_leaves:
        _check_primal(p)

    def tensor_outputs(*xs):
        LEVELS[-1].lifts_captured = True  # torch runs it by eager forward AD, which lifts them
        return [o for o in _pytree.flatten(func(*xs))[0] if isinstance(o, TensorBase)]

    def jvp_fn(*tangents):
        t_leaves, t_spec = _pytree.flatten(tangents)
        if t_spec != spec:
            raise RuntimeError(f"Expected the tangents {_pytree.spec_repr(t_spec)} to have the "
                               f"same argspec as the primals {_pytree.spec_repr(spec)}")
        for i, (t, p) in enumerate(zip(t_leaves, p_leaves)):
            for what in ("shape", "device", "dtype"):
                if getattr(t, what) != getattr(p, what):
                    raise RuntimeError(
                        f"tangent:{i} with {what} {getattr(t, what)} in flattened pytree "
                        f"doesn't match the {what} {getattr(p, what)} of the corresponding "
                        "primal.")
        # torch.func differentiates the tensor outputs alone; the others come back as f gave them
        ts = iter(jvp(tensor_outputs, primals, tangents)[1])
        return _pytree.unflatten([next(ts) if isinstance(o, TensorBase) else o for o in o_leaves],
                                 o_spec)

    return out, jvp_fn
