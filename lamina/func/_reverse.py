"""grad, grad_and_value and vjp.

Reverse mode is a level too: its wrappers carry a grad_fn at that level, recorded with the same
nodes and run by the same engine as lamina.autograd's tape (the eager base of the machinery),
but the nodes hold the wrapped values of the level below. So the VJP rules run on those values
(batched ones under an outer vmap, dual ones under an outer jvp), which is what makes
vmap(grad(f)), jvp(grad(f)) and grad(grad(f)) correct, each level differentiating once.
The wrappers of view primitives record their base and view op as tensors do, so an in-place
write (`GradLevel.write`) enters the graph as autograd's tape records it (CopySlices).
"""

from .._ops import _rules
from .._ops.creation import ones_like, zeros_like
from .._ops.mutation import OUT_GRAD_MSG
from .._ops.primitive import NONDIFF
from .._ops.shape import clone
from ..autograd import engine
from ..autograd.graph import _node_class, _version, edge, record_write
from . import _pytree
from ._checks import argnums_positions
from ._lift import LiftingLevel
from ._wrapper import LevelTensor, is_at, make, unwrap


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


def _storage(t):
    """The version counter of the storage behind `t`, through the wrappers of every level: one
    per storage, shared by its views and by the alias a lifted tensor's wrapper holds."""
    while isinstance(t, LevelTensor):
        t = t._value
    return t._shared_version()


def _snapshot_values(node, target):
    """Before target's value is overwritten: a node of this level that saved a value sharing
    its storage keeps a copy, as the tape's _snapshot_saved does for tensors."""
    if not isinstance(node, _LevelNode) or node._freed:
        return
    root = _storage(target._value)
    args = list(node._args)
    level = target._level
    lifted, level.lifted = level.lifted, None  # the copies are values below, as they are
    try:
        for i in node._versions:
            a = args[i]
            if _storage(a) is root:
                args[i] = clone(a)
                node._versions[i] = _version(args[i])
    finally:
        level.lifted = lifted
    node._args = tuple(args)


class GradLevel(LiftingLevel):
    name = "grad"

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
        if prim.vjp is NONDIFF:
            return out
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        # Floating outputs are wrapped at this level; integer ones (indices, info) stay plain.
        wrapped = tuple(make(GradTracked, o, self, o._data.shape)
                        if o is not None and o._data.dtype.kind in "fc" else o for o in outs)
        node = _level_node_class(prim)(args, params, wrapped, single)
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
        return wrapped[0] if single else wrapped

    def _wrap_base(self, value, src):
        return make(GradTracked, value, self, value._data.shape)

    def out_error(self, result, out):
        if self.tracks(result) or self.tracks(out):
            prim = getattr(result.grad_fn, "prim", None) if is_at(result, self) else self.prim
            return RuntimeError(OUT_GRAD_MSG.format(prim.name if prim else "out"))
        return None

    def write(self, target, src, eager):
        if self.lifted:
            target, src = self.resolve(target), self.resolve(src)
        tracked = is_at(src, self)
        if not is_at(target, self):
            if not tracked:
                return self.lower_write(target, src, eager)
            if target._data.dtype.kind not in "fc":  # an integer target carries no gradient
                return self.lower_write(target, src._value, eager)
            target = self.lift(target, src)

        def raw():
            self.lower_write(target._value, src._value if tracked else src, eager)
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


def grad_and_value(func, argnums=0, has_aux=False):
    """torch.func.grad_and_value: (gradient, value) of a function returning a scalar."""
    def wrapper(*args, **kwargs):
        nums = argnums_positions(argnums, len(args))
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
