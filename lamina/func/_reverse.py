"""grad, grad_and_value, vjp, jacrev, jacfwd and hessian.

Reverse mode is a level too: its wrappers carry a grad_fn at that level, recorded with the same
nodes and run by the same engine as lamina.autograd's tape (the eager base of the machinery),
but the nodes hold the wrapped values of the level below. So the VJP rules run on those values
(batched ones under an outer vmap, dual ones under an outer jvp), which is what makes
vmap(grad(f)), jvp(grad(f)) and grad(grad(f)) correct, each level differentiating once.
The wrappers of view primitives record their base and view op as tensors do, so an in-place
write (`GradLevel.write`) enters the graph as autograd's tape records it (CopySlices).
"""

import numpy as np

from .._core._tensor import wrap
from .._ops import _rules
from .._ops.creation import ones_like, zeros_like
from .._ops.mutation import OUT_GRAD_MSG
from .._ops.primitive import LEVELS, NONDIFF
from .._ops.shape import clone
from ..autograd import engine
from ..autograd.graph import _node_class, _version, edge, record_write
from . import _pytree
from ._forward import ForwardLevel, jvp
from ._lift import LiftingLevel
from ._vmap import vmap
from ._wrapper import LevelTensor, aged, is_at, make, storage, unwrap


class GradTracked(LevelTensor):
    def __repr__(self):
        return f"GradTrackingTensor(lvl={self._level.index}, value={self._value!r})"


class _LevelNode:
    """Mixed into a primitive's node class (autograd.graph.PrimitiveNode): the rule reads the
    values of the level below, saved outputs included, as they are."""

    def _saved_output(self, value, i, create_graph):
        return value

    def apply(self, grads, create_graph):
        previous = _rules.NEEDED
        _rules.NEEDED = {id(v) for v, (n, _) in zip(self._args, self.next_functions)
                         if n is not None}
        try:
            return super().apply(grads, create_graph)
        finally:
            _rules.NEEDED = previous


_LEVEL_CLASSES = {}


def _level_node_class(prim):
    cls = _LEVEL_CLASSES.get(prim.name)
    if cls is None:
        base = _node_class(prim)
        cls = _LEVEL_CLASSES[prim.name] = type(base.__name__, (_LevelNode, base), {})
    return cls


def _snapshot_values(node, target):
    """Before target's value is overwritten: a node of this level that saved it keeps a copy,
    as the tape's _snapshot_saved does for tensors; `node` made the value written. Under a
    forward level writing the output of the primitive it just differentiated, also the nodes
    recorded since (its JVP rule's): torch evaluates an in-place op's forward formula on a
    clone of the target's primal and tangent, so that the nodes a reverse level records for
    it keep the old values (jacrev(jacfwd(f))). A node that saved an older version is stale as
    it is, and raises in backward."""
    level = target._level
    since = min((above.since for above in LEVELS[level.index + 1:]
                 if isinstance(above, ForwardLevel) and above.since is not None), default=None)
    nodes = [node] if since is None else _recorded_since(level.nodes, since)
    root = storage(target._value)
    lifted, level.lifted = level.lifted, None  # the copies are values below, as they are
    try:
        for n in nodes:
            if not isinstance(n, _LevelNode) or n._freed:
                continue
            args = list(n._args)
            for i, (vc, v) in n._versions.items():
                if vc.value == v and storage(args[i]) is root:
                    args[i] = clone(args[i])
                    n._versions[i] = _version(args[i])
            n._args = tuple(args)
    finally:
        level.lifted = lifted


def _recorded_since(nodes, since):
    """The nodes of `nodes` (oldest first) numbered after `since`, newest first."""
    for n in reversed(nodes):
        if n._sequence_nr <= since:
            return
        yield n


class GradLevel(LiftingLevel):
    name = "grad"
    nodes = None  # the nodes it records, oldest first, for `_snapshot_values`

    def __enter__(self):
        self.nodes = []
        return super().__enter__()

    def __exit__(self, *exc):
        self.nodes = None
        return super().__exit__(*exc)

    def leaf(self, value):
        t = make(GradTracked, value, self, value._data.shape)
        t._requires_grad = True
        return t

    def process(self, prim, args, params):
        if self.lifted:
            args = self.resolve_all(args)
        values, _, mine = unwrap(self, args)
        if not mine:
            out = self.lower(prim, args, params)
            self.prim = prim  # a constant op: named if it writes a tracked out=
            return out
        values = tuple(values)
        out = self.lower(prim, values, params)
        if prim.vjp is NONDIFF:  # detach of a wrapper counts as made inside: torch wraps it
            return aged(out, prim, args[0])
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        # Floating outputs are wrapped at this level; integer ones (indices, info) stay plain.
        wrapped = tuple(make(GradTracked, o, self, o._data.shape)
                        if o is not None and o._data.dtype.kind in "fc" else o for o in outs)
        node = _level_node_class(prim)(args, params, wrapped, single)
        self.nodes.append(node)
        node._args = values
        if node._outs is not None:
            node._outs = outs
        view_of = args[0] if prim.view and is_at(args[0], self) else None
        for i, w in enumerate(wrapped):
            if isinstance(w, GradTracked):
                w._requires_grad, w.grad_fn, w._output_nr = True, node, i
                if view_of is not None:  # what autograd.graph replays after a write
                    w._base = view_of if view_of._base is None else view_of._base
                    w._vc = view_of._shared_version()
                    w._view_op = (prim, args, params, None if single else i)
                    w.__dict__["_grad_version"] = w._version
        return aged(wrapped[0] if single else wrapped, prim, args[0])

    def _wrap_base(self, value, src):
        return make(GradTracked, value, self, value._data.shape)

    def out_error(self, result, out):
        if self.tracks(result) or self.tracks(out):
            prim = getattr(result.grad_fn, "prim", None) if is_at(result, self) else self.prim
            return RuntimeError(OUT_GRAD_MSG.format(prim.name if prim else "out"))
        return None

    def write(self, target, src, eager, op):
        if self.lifted:
            target, src = self.resolve(target), self.resolve(src)
        tracked = is_at(src, self)
        if not is_at(target, self):
            self.refuse_captured(target, op)
            if not tracked:
                return self.lower_write(target, src, eager, op)
            if target._data.dtype.kind not in "fc":  # an integer target carries no gradient
                return self.lower_write(target, src._value, eager, op)
            target = self.lift(target, src)

        def raw():
            self.lower_write(target._value, src._value if tracked else src, eager, None)
            target._bump_version()  # views of the target regenerate their grad_fn

        record_write(target, src if tracked else None, raw, _snapshot_values)


def _grads(level, outputs, cts, inputs):
    """Gradients of `outputs` (wrappers of `level`, or constants) against `inputs` (the level's
    leaves), for cotangents `cts`; zeros for an input the outputs do not depend on."""
    roots, grads = [], []
    for o, ct in zip(outputs, cts):
        if is_at(o, level) and o._requires_grad:
            roots.append(edge(o))  # the AccumulateGrad of an input returned as is
            grads.append(ct)
    targets = [edge(x) for x in inputs]
    captured = engine.run(roots, grads, retain_graph=True, create_graph=True,
                          targets=targets) if roots else {}
    return [zeros_like(x._value) if captured.get(e) is None else captured[e]
            for x, e in zip(inputs, targets)]


def _argnums_tuple(argnums, nargs, name):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums:
        raise RuntimeError(f"{name}: argnums must be non-empty")
    for n in nums:
        if not isinstance(n, int) or not -nargs <= n < nargs:
            raise RuntimeError(f"Got argnums={argnums}, but only {nargs} positional inputs")
    return tuple(n % nargs for n in nums)


def _of_argnums(func, args, nums):
    """`func` as a function of its arguments at positions `nums` alone, the others fixed."""
    def f_of(*xs):
        full = list(args)
        for n, x in zip(nums, xs):
            full[n] = x
        return func(*full)
    return f_of


def grad_and_value(func, argnums=0, has_aux=False):
    """torch.func.grad_and_value: (gradient, value) of a function returning a scalar."""
    def wrapper(*args, **kwargs):
        nums = _argnums_tuple(argnums, len(args), "grad_and_value(f)(*args)")
        with GradLevel() as level:
            args = list(args)
            leaves = {}
            for n in nums:
                args[n] = _pytree.tree_map(
                    lambda x: level.leaf(x) if hasattr(x, "_data") else x, args[n])
                leaves[n] = _pytree.flatten(args[n])
            out = func(*args, **kwargs)
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should "
                                       "be a tuple: (output, aux) if has_aux is True")
                out, aux = out
            out = level.resolve(out)
            if not hasattr(out, "_data"):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"Tensor, got {type(out).__name__}")
            if out._data.ndim != 0:
                raise RuntimeError(
                    f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, "
                    f"got tensor with {out._data.ndim} dims. Maybe you wanted to use the vjp or "
                    "jacrev APIs instead?")
            if out._data.dtype.kind == "c":  # the implicit cotangent 1 is real (autograd's)
                raise RuntimeError(f"grad can be implicitly created only for real scalar "
                                   f"outputs but got {out.dtype}")
            value = out._value if is_at(out, level) else out
            flat = [x for n in nums for x in leaves[n][0] if is_at(x, level)]
            level.lifted = None  # what runs now is the level's own backward, on values below
            gs = iter(_grads(level, [out], [ones_like(value)], flat))
            result = []
            for n in nums:
                ls, spec = leaves[n]
                result.append(_pytree.unflatten(
                    [next(gs) if is_at(x, level) else None for x in ls], spec))
            if has_aux:
                aux = _pytree.tree_map(lambda x: x._value if is_at(x, level) else x, aux)
        g = result[0] if isinstance(argnums, int) else tuple(result)
        return (g, (value, aux)) if has_aux else (g, value)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """torch.func.grad: the gradient of a scalar function with respect to argument(s) argnums."""
    inner = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = inner(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux=False):
    """torch.func.vjp: (func(*primals), vjp_fn), vjp_fn(cotangents) -> cotangents of primals."""
    with GradLevel() as level:
        p_leaves, spec = _pytree.flatten(primals)
        wrapped = [level.leaf(x) if hasattr(x, "_data") else x for x in p_leaves]
        out = func(*_pytree.unflatten(wrapped, spec))
        if has_aux:
            out, aux = out
            aux = _pytree.tree_map(lambda x: x._value if is_at(x, level) else x, aux)
        o_leaves, o_spec = _pytree.flatten(out)
        o_leaves = [level.resolve(o) for o in o_leaves]
        values = [o._value if is_at(o, level) else o for o in o_leaves]
    leaves = [w for w in wrapped if isinstance(w, LevelTensor)]

    def vjp_fn(*cotangents):
        cts = cotangents[0] if len(cotangents) == 1 and o_spec is None else cotangents
        c_leaves, c_spec = _pytree.flatten(cts)
        if len(c_leaves) != len(o_leaves):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               "pytree structure of outputs to the function")
        for c, v in zip(c_leaves, values):
            if c._data.shape != v._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[0] has a shape of "
                                   f"{c.shape} and output[0] has a shape of {v.shape}.")
        gs = iter(_grads(level, o_leaves, c_leaves, leaves))
        return _pytree.unflatten([next(gs) if isinstance(w, LevelTensor) else None
                                  for w in wrapped], spec)

    result = _pytree.unflatten(values, o_spec)
    return (result, vjp_fn, aux) if has_aux else (result, vjp_fn)


def _error_if_complex(name, tree, inputs):
    """torch.func's check that jacrev and jacfwd differentiate real functions of real inputs:
    a complex value's Jacobian is not one matrix (it would need the conjugate's too)."""
    for i, x in enumerate(_pytree.flatten(tree)[0]):
        if hasattr(x, "_data") and x._data.dtype.kind == "c":
            raise RuntimeError(f"{name}: Expected all {'inputs' if inputs else 'outputs'} to be "
                               f"real but received complex tensor at flattened input idx: {i}")


def _basis(x):
    """The standard basis of x's space: eye(n) shaped (n, *x.shape), in x's dtype."""
    n = x._data.size
    return wrap(np.eye(n, dtype=x._data.dtype).reshape((n,) + x._data.shape))


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """torch.func.jacrev: the Jacobian by vmap over reverse-mode VJPs of the basis."""
    def wrapper(*args):
        _error_if_complex("jacrev", args, True)
        nums = _argnums_tuple(argnums, len(args), "jacrev(f)(*args)")
        f_of = _of_argnums(func, args, nums)

        res = vjp(f_of, *[args[n] for n in nums], has_aux=has_aux)
        out, vjp_fn = res[0], res[1]
        o_leaves, o_spec = _pytree.flatten(out)
        _error_if_complex("jacrev", o_leaves, False)
        per_output = []
        for k, o in enumerate(o_leaves):
            def pull(ct, k=k):
                cts = [ct if j == k else zeros_like(p) for j, p in enumerate(o_leaves)]
                return vjp_fn(_pytree.unflatten(cts, o_spec))
            rows = vmap(pull, chunk_size=chunk_size)(_basis(o))
            jac = tuple(r.reshape(o._data.shape + args[n]._data.shape)
                        for r, n in zip(rows, nums))
            per_output.append(jac[0] if isinstance(argnums, int) else jac)
        result = _pytree.unflatten(per_output, o_spec)
        return (result, res[2]) if has_aux else result
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """torch.func.jacfwd: the Jacobian by vmap over forward-mode JVPs of the basis."""
    def wrapper(*args):
        _error_if_complex("jacfwd", args, True)
        nums = _argnums_tuple(argnums, len(args), "jacfwd(f)(*args)")
        primals = tuple(args[n] for n in nums)
        f_of = _of_argnums(func, args, nums)

        columns = []
        for i, x in enumerate(primals):
            def push(t, i=i):
                ts = tuple(t if j == i else zeros_like(p) for j, p in enumerate(primals))
                out = jvp(f_of, primals, ts, has_aux=has_aux)
                _error_if_complex("jacfwd", out[0], False)
                return out[1]
            cols = vmap(push, randomness=randomness)(_basis(x))
            columns.append(_pytree.tree_map(
                lambda c, x=x: c.movedim(0, -1).reshape(c._data.shape[1:] + x._data.shape),
                cols))
        if isinstance(argnums, int):
            result = columns[0]
        else:  # per output, a tuple over argnums
            leaves = [_pytree.flatten(c) for c in columns]
            spec = leaves[0][1]
            result = _pytree.unflatten(
                [tuple(ls[k] for ls, _ in leaves) for k in range(len(leaves[0][0]))], spec)
        if has_aux:
            aux = jvp(f_of, primals, tuple(zeros_like(p) for p in primals), has_aux=True)[2]
            return result, aux
        return result
    return wrapper


def hessian(func, argnums=0):
    """torch.func.hessian: jacfwd(jacrev(func))."""
    return jacfwd(jacrev(func, argnums), argnums)
