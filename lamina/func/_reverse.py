"""grad, grad_and_value and vjp.

Reverse mode is a level too: its wrappers carry a grad_fn at that level, recorded with the same
nodes and run by the same engine as lamina.autograd's tape (the eager base of the machinery),
but the nodes hold the wrapped values of the level below. So the VJP rules run on those values
(batched ones under an outer vmap, dual ones under an outer jvp), which is what makes
vmap(grad(f)), jvp(grad(f)) and grad(grad(f)) correct, each level differentiating once.
The wrappers of view primitives record their base and view op as tensors do, so an in-place
write (`GradLevel.write`) enters the graph as autograd's tape records it (CopySlices).
"""

from .._core._tensor import TensorBase, is_grad_enabled
from .._ops import _rules
from .._ops.creation import ones_like, zeros_like
from .._ops.mutation import OUT_GRAD_MSG
from .._ops.primitive import LEVELS, NONDIFF
from .._ops.shape import clone
from ..autograd import engine
from ..autograd.graph import _node_class, _version, edge, record_write
from . import _pytree
from ._checks import argnums_positions, check_outputs, split_aux, unwrap_aux
from ._forward import ForwardLevel
from ._lift import LiftingLevel
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
        # A node freed by vjp_fn(retain_graph=False) has no values: the tape's apply says so.
        previous = _rules.set_needed({id(v) for v, (n, _) in
                                      zip(self._args or (), self.next_functions) if n is not None})
        try:
            return super().apply(grads, create_graph)
        finally:
            _rules.set_needed(previous)


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


def _grads(level, outputs, cts, inputs, retain_graph=True, create_graph=True):
    """Gradients of `outputs` (wrappers of `level`, or constants) against `inputs` (the level's
    leaves), for cotangents `cts`; zeros for an input the outputs do not depend on.
    `create_graph` concerns the eager tape below alone: the rules run on the values below."""
    tracked = [(o, ct) for o, ct in zip(outputs, cts) if is_at(o, level) and o._requires_grad]
    targets = [edge(x) for x in inputs]
    captured = {}
    if tracked:
        outs = [o for o, _ in tracked]
        # autograd.grad's checks of the cotangents (None for a scalar, shapes, complex dtypes)
        # see only the outputs that depend on the inputs: torch.func passes it those alone.
        grads = engine._root_grads(outs, [ct for _, ct in tracked], "grad_output")
        roots = [edge(o) for o in outs]  # the AccumulateGrad of an input returned as is
        captured = engine.run(roots, grads, retain_graph=retain_graph, create_graph=create_graph,
                              targets=targets)
    return [zeros_like(x._value) if captured.get(e) is None else captured[e]
            for x, e in zip(inputs, targets)]


def _track(level, tree):
    """`tree` with each tensor a leaf of `level`; torch.func makes each require grad, which
    only floating-point and complex tensors can."""
    def track(x):
        if not isinstance(x, TensorBase):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")
        if x._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        return level.leaf(x)
    return _pytree.tree_map(track, tree)


def grad_and_value(func, argnums=0, has_aux=False):
    """torch.func.grad_and_value: (gradient, value) of a function returning a scalar."""
    def wrapper(*args, **kwargs):
        nums = argnums_positions(argnums, len(args))
        with GradLevel() as level:
            args = list(args)
            for n in nums:
                args[n] = _track(level, args[n])
            out = func(*args, **kwargs)
            if has_aux:
                out, aux = split_aux(out, "grad_and_value(f)(*args)")
            out = level.resolve(out)
            if not isinstance(out, TensorBase):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a "
                                   f"Tensor, got {type(out)}")
            if out._data.ndim != 0:
                raise RuntimeError(
                    f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, "
                    f"got tensor with {out._data.ndim} dims. Maybe you wanted to use the vjp or "
                    "jacrev APIs instead?")
            if out._data.dtype.kind == "c":  # the implicit cotangent 1 is real (autograd's)
                raise RuntimeError(f"grad can be implicitly created only for real scalar "
                                   f"outputs but got {out.dtype}")
            value = out._value if is_at(out, level) else out
            specs = [_pytree.flatten(args[n]) for n in nums]
            level.lifted = None  # what runs now is the level's own backward, on values below
            gs = _grads(level, [out], [ones_like(value)], [x for ls, _ in specs for x in ls])
            result, start = [], 0
            for ls, spec in specs:
                result.append(_pytree.unflatten(gs[start:start + len(ls)], spec))
                start += len(ls)
            if has_aux:
                aux = unwrap_aux(level, aux)
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
    api = "vjp(f, *primals)"
    with GradLevel() as level:
        primals = _track(level, primals)
        out = func(*primals)
        if has_aux:
            out, aux = split_aux(out, api)
            aux = unwrap_aux(level, aux)
        o_leaves, o_spec = _pytree.flatten(out)
        check_outputs(o_leaves, api)
        o_leaves = [level.resolve(o) for o in o_leaves]
        for o in o_leaves:
            if o._data.dtype.kind not in "fc":
                raise RuntimeError(f"vjp(f, ...): All outputs of f must be floating-point or "
                                   f"complex Tensors, got Tensor with dtype {o.dtype}")
        values = [o._value if is_at(o, level) else o for o in o_leaves]
    leaves, spec = _pytree.flatten(primals)

    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        c_leaves, c_spec = _pytree.flatten(cotangents)
        if c_spec != o_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function. cotangents: {_pytree.spec_pprint(c_spec)}, primal "
                f"output: {_pytree.spec_pprint(o_spec)}")
        for c in c_leaves:
            if c is not None and not isinstance(c, TensorBase):
                raise TypeError(f"gradients can be either Tensors or None, but got "
                                f"{type(c).__name__}")
        if create_graph is None:
            create_graph = is_grad_enabled()
        gs = _grads(level, o_leaves, c_leaves, leaves, retain_graph, create_graph)
        return _pytree.unflatten(gs, spec)

    result = _pytree.unflatten(values, o_spec)
    return (result, vjp_fn, aux) if has_aux else (result, vjp_fn)
