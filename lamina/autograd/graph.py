"""The recorded graph: nodes (grad_fn), what they save, and how ops and in-place writes enter it.

`_core._tensor` calls `Tape.record` after any primitive whose arguments require grad while grad
mode is on; lamina._ops.mutation calls `Tape.write` before an in-place write that touches the
graph. A node holds its primitive's inputs and, where the VJP reads them, its outputs' arrays;
the engine (engine.py) calls `Node.apply` in reverse creation order.

Saved values are guarded by the storage version counter (DESIGN.md: The Tensor): a node records
the version of each tensor its VJP reads, and unpacking a changed one raises PyTorch's error.
An output is saved as its array, not its Tensor, and comes back wrapped with this node as its
grad_fn: the graph then holds no reference cycle, and create_graph differentiates through it.
"""

import itertools
import re
import traceback
import weakref

import numpy as np

from .._core._tensor import TensorBase, wrap
from .._ops import shape as _shape
from .._ops._checks import LEGACY_NAMES
from .._ops.primitive import LINEAR, NONDIFF
from .._ops.shape import expand_p
from . import anomaly
from .grad_mode import no_grad

_SEQUENCE = itertools.count()  # creation order: the engine runs later nodes first, as PyTorch

# PyTorch's grad_fn names where its op name differs from the primitive's.
_NODE_NAMES = {
    "gemm": "Bmm", "basic_index": "Slice", "convert_element_type": "ToCopy",
    "max_dim": "Max", "min_dim": "Min", "cholesky_ex": "LinalgCholeskyEx",
    "inv_ex": "LinalgInvEx", "solve_ex": "LinalgSolveEx", "det": "LinalgDet",
    "slogdet": "LinalgSlogdet", "eigh": "LinalgEigh", "eigvalsh": "LinalgEigh",
    "svd_ex": "LinalgSvd", "eig_ex": "LinalgEig", "qr": "LinalgQr",
    "lu_factor_ex": "LinalgLuFactorEx", "lu_solve": "LinalgLuSolve", "lstsq": "LinalgLstsq",
    "householder_product": "LinalgHouseholderProduct",
    "triangular_solve": "LinalgSolveTriangular", "cholesky_inverse_ex": "CholeskyInverse",
}

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")


class Node:
    """A grad_fn: maps the gradients of its outputs to those of its inputs (`next_functions`).

    Hook containers are created on first use (class-level empty ones stand in until then): most
    nodes never get a hook, and building four containers per op is measurable on the tape's
    per-op cost.
    """

    # The per-op attributes are slots (faster to create and set than a dict); anything rarer
    # (hooks, metadata, a Function's ctx attributes) goes to the instance dict, made on demand.
    __slots__ = ("next_functions", "_input_meta", "_sequence_nr", "__dict__", "__weakref__")

    _tensor_pre_hooks = {}  # output_nr -> [hook], from Tensor.register_hook
    _retained = {}          # output_nr -> weakref to a tensor that called retain_grad
    _pre_hooks = ()
    _post_hooks = ()
    _trace = None           # the creating call's stack, under anomaly detection
    _n_outputs = 1

    def __init__(self, next_functions, input_meta):
        self.next_functions = next_functions  # ((node or None, output_nr), ...) per input
        self._input_meta = input_meta         # (shape, NumPy dtype) per input, None for others
        self._sequence_nr = next(_SEQUENCE)
        if anomaly._enabled:
            self._trace = traceback.format_stack()[:-3]

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def metadata(self):
        return self.__dict__.setdefault("_metadata", {})

    def _own(self, attr, empty):
        """This node's own container `attr`, replacing the shared empty class default."""
        if attr not in self.__dict__:
            setattr(self, attr, empty)
        return getattr(self, attr)

    def _tensor_hooks(self, nr):
        return self._own("_tensor_pre_hooks", {}).setdefault(nr, [])

    def _retain(self, nr, tensor):
        self._own("_retained", {})[nr] = weakref.ref(tensor)

    def register_hook(self, hook):
        """`hook(grad_inputs, grad_outputs)` after this node ran; may return new grad_inputs."""
        return _Handle(self._own("_post_hooks", []), hook)

    def register_prehook(self, hook):
        """`hook(grad_outputs)` before this node runs; may return new grad_outputs."""
        return _Handle(self._own("_pre_hooks", []), hook)

    def __call__(self, *grads):
        return self.apply(grads, False)

    def release(self):
        """Free what backward needed (retain_graph=False)."""


class _Handle:
    """What register_hook returns: `remove()` takes the hook out again."""

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook
        hooks.append(hook)

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class AccumulateGrad(Node):
    """The node behind a leaf that requires grad: adds what reaches it into `leaf.grad`."""

    def __init__(self, leaf):
        super().__init__((), ())
        self.variable = leaf

    @property
    def _tensor_pre_hooks(self):
        # A leaf's hooks live on the leaf (this node is only weakly cached by it).
        hooks = self.variable.__dict__.get("_hooks")
        return {0: hooks} if hooks else {}

    def apply(self, grads, create_graph):
        (g,) = grads
        leaf = self.variable
        if g is None:
            return ()
        if leaf.grad is None:
            # A fresh copy: the same gradient tensor may also reach other leaves or the caller.
            leaf.grad = g if create_graph else wrap(np.array(g._data, order="K", copy=True))
        elif create_graph:
            leaf.grad = leaf.grad + g
        else:
            np.add(leaf.grad._data, g._data, out=leaf.grad._data, casting="unsafe")
        return ()


def accumulator(leaf):
    """The leaf's AccumulateGrad node, shared while anything holds it (PyTorch keeps it weakly)."""
    ref = leaf.__dict__.get("_accumulator")
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(leaf)
        leaf.__dict__["_accumulator"] = weakref.ref(acc)
    return acc


def edge(t):
    """(node, output_nr) through which gradient reaches tensor `t`; a stale view's grad_fn is
    rebuilt from its base first: its storage was written in place after the view was made, or
    its base entered the graph through a write into another of its views (CopySlices)."""
    if t._base is not None:
        seen = t.__dict__.get("_grad_version")
        if (t._version != seen if seen is not None else
                not t._requires_grad and "_copied_into" in t._base.__dict__):
            _regenerate(t)
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t._requires_grad:
        return (accumulator(t), 0)
    return _NO_EDGE


_NO_EDGE = (None, 0)


def _meta(t):
    return (t._data.shape, t._data.dtype)


# -- primitive nodes ------------------------------------------------------------------------------

class PrimitiveNode(Node):
    """The grad_fn of one primitive call; subclassed once per primitive for its PyTorch name.
    `__init__` is the tape's per-op cost, so it is written out flat."""

    __slots__ = ("_args", "_params", "_single", "_n_outputs", "_versions", "_outs",
                 "_out_versions", "_freed", "_restrides")
    prim = None

    def __init__(self, args, params, outs, single):
        edges, meta = [], []
        for a in args:
            if isinstance(a, TensorBase):
                fn = a.grad_fn
                edges.append((fn, a._output_nr) if fn is not None and a._base is None
                             else edge(a))
                data = a._data
                meta.append((data.shape, data.dtype))
            else:
                edges.append(_NO_EDGE)
                meta.append(None)
        self.next_functions = tuple(edges)
        self._input_meta = meta
        self._sequence_nr = next(_SEQUENCE)
        if anomaly._enabled:
            self._trace = traceback.format_stack()[:-3]
        self._args = args
        self._params = params
        self._single = single
        self._n_outputs = len(outs)
        self._outs = self._out_versions = None
        self._freed = False
        self._restrides = _shape.RESTRIDES
        prim = self.prim
        saves = prim.saves
        if saves is None:
            saves = () if prim.jvp is LINEAR else range(len(args))
        # index -> (the tensor's shared Version object, the version when saved)
        versions = {}
        for i in saves:
            if i != "out":
                a = args[i]
                if isinstance(a, TensorBase):
                    versions[i] = _version(a)
            else:
                self._outs = tuple(None if o is None else o._data for o in outs)
                self._out_versions = tuple(None if o is None else _version(o) for o in outs)
        self._versions = versions

    def release(self):
        if self._versions or self._outs is not None:
            self._freed = True
            self._args = self._outs = None

    def _check_versions(self):
        for i, (vc, v) in self._versions.items():
            if vc.value != v:
                t = self._args[i]
                where = (f", which is output {t._output_nr} of "
                         f"{_short(t.grad_fn.name())}," if t.grad_fn is not None else "")
                raise _modified(t, where, vc.value, v)
        for i, saved in enumerate(self._out_versions or ()):
            if saved is not None and saved[0].value != saved[1]:
                raise _modified(wrap(self._outs[i]), f", which is output {i} of "
                                f"{_short(self.name())},", saved[0].value, saved[1])

    def apply(self, grads, create_graph):
        if self._freed:
            raise RuntimeError(_FREED_MSG)
        rule = self.prim.vjp
        if rule is None or rule is NONDIFF:
            raise NotImplementedError(
                f"the derivative for '{self.prim.name}' is not implemented")
        if self._versions or self._out_versions:
            self._check_versions()
        if self._outs is None:
            out = None
        else:
            out = tuple(None if a is None else self._saved_output(a, i, create_graph)
                        for i, a in enumerate(self._outs))
            out = out[0] if self._single else out
        ct = grads[0] if self._single else tuple(grads)
        args = self._args
        if self._restrides != _shape.RESTRIDES:  # some tensor was reshaped in place since
            for i, m in enumerate(self._input_meta):
                if m is not None and args[i]._data.shape != m[0]:
                    args = self._stand_ins()
                    break
        return rule(ct, out, *args, **self._params)

    def _stand_ins(self):
        """The inputs with any that changed shape in place since recording (t_, squeeze_, ...)
        replaced by a stand-in of the recorded shape: such an input is unsaved (the change bumped
        its version, which a saved one would have failed on), so its rule reads only its shape,
        dtype and requires_grad."""
        args = list(self._args)
        for i, m in enumerate(self._input_meta):
            a = args[i]
            if m is not None and a._data.shape != m[0]:
                s = wrap(np.broadcast_to(np.zeros((), m[1]), m[0]))
                s._requires_grad = a._requires_grad
                args[i] = s
        return tuple(args)

    def _saved_output(self, array, i, create_graph):
        t = wrap(array)
        if create_graph and array.dtype.kind in "fc":  # integer outputs (indices) take no grad
            t._requires_grad = True
            t.grad_fn = self
            t._output_nr = i
        return t


def _version(t):
    vc = t._shared_version()
    return (vc, vc.value)


_HINT = ("Hint: enable anomaly detection to find the operation that failed to compute its "
         "gradient, with lamina.autograd.set_detect_anomaly(True).")


def _short(name):
    return re.sub(r"Backward\d*$", "", name)


def _modified(t, where, now, expected):
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{LEGACY_NAMES[t.dtype]} [{', '.join(map(str, t._data.shape))}]]{where} is "
        f"at version {now}; expected version {expected} instead. {_HINT}")


_NODE_CLASSES = {}


def _node_class(prim):
    cls = _NODE_CLASSES.get(prim.name)
    if cls is None:
        base = _NODE_NAMES.get(prim.name) or "".join(
            w.capitalize() for w in prim.name.split("_"))
        cls = type(f"{base}Backward0", (PrimitiveNode,), {"prim": prim})
        _NODE_CLASSES[prim.name] = cls
    return cls


# -- in-place writes ------------------------------------------------------------------------------

def _view_chain(t):
    """The view ops that make `t` from its base, outermost last."""
    chain = []
    base = t._base
    while t is not base:
        op = t._view_op
        if op is None or op[0].name == "view_dtype":
            raise RuntimeError("an in-place write into this view cannot be differentiated: it "
                               "was not made by a view op that autograd can replay")
        chain.append(op)
        t = op[1][0]
    chain.reverse()
    return chain


def _replay(x, chain):
    """The same view of `x` as `chain` made of the base."""
    for prim, args, params, index in chain:
        x = prim(x, *args[1:], **params)
        if index is not None:
            x = x[index]
    return x


def _regenerate(view):
    """Rebuild a view's grad_fn from its base's current one."""
    r = _replay(view._base, _view_chain(view))
    view.grad_fn, view._output_nr = r.grad_fn, r._output_nr
    view._requires_grad = r._requires_grad
    view.__dict__["_grad_version"] = view._version


class CopySlices(Node):
    """The base's grad_fn after an in-place write into one of its views: the written region's
    gradient goes to the written value, the rest to the base's previous value."""

    def __init__(self, base, result, chain):
        if result is None:
            super().__init__((edge(base), _NO_EDGE), (_meta(base), None))
        else:
            super().__init__((edge(base), edge(result)), (_meta(base), _meta(result)))
        self._chain = chain
        self._base_meta = _meta(base)

    def apply(self, grads, create_graph):
        (g,) = grads
        if g is None:
            return (None, None)
        shape = self._base_meta[0]
        with no_grad():
            mask = wrap(np.ones(shape, dtype=g._data.real.dtype))
            _replay(mask, self._chain)._data[...] = 0
        return (g * mask, _replay(g, self._chain))


class CopyBackwards(Node):
    """The grad_fn of a graph tensor overwritten in place by a value outside the graph: its old
    value gets a zero gradient (PyTorch's CopyBackwards)."""

    def __init__(self, target):
        super().__init__((edge(target),), (_meta(target),))

    def apply(self, grads, create_graph):
        (g,) = grads
        return (None if g is None else g.new_zeros(self._input_meta[0][0]),)


def _snapshot_saved(node, target):
    """Before `target` is overwritten: a node that saved it as an input keeps its old values."""
    if not isinstance(node, PrimitiveNode) or node._freed:
        return
    root = target._base if target._base is not None else target
    args = list(node._args)
    for i in node._versions:
        a = args[i]
        if a is target or (a._base if a._base is not None else a) is root:
            copy = wrap(np.array(a._data, copy=True))
            copy._requires_grad, copy.grad_fn, copy._output_nr = (
                a._requires_grad, a.grad_fn, a._output_nr)
            args[i] = copy
            node._versions[i] = _version(copy)
    node._args = tuple(args)


class Tape:
    """What `_core._tensor` and `_ops.mutation` call into; registered by lamina.autograd."""

    @staticmethod
    def record(prim, args, params, result):
        if prim.vjp is NONDIFF:
            return result
        cls = _NODE_CLASSES.get(prim.name) or _node_class(prim)
        if type(result) is not tuple:  # the common case, written out: this is per-op cost
            if result._data.dtype.kind not in "fc":
                return result
            node = cls(args, params, (result,), True)
            result._requires_grad = True
            result.grad_fn = node
            result._output_nr = 0
            if result._base is not None:
                result.__dict__["_grad_version"] = result._version
            return result
        live = [i for i, o in enumerate(result) if o is not None and o._data.dtype.kind in "fc"]
        if live:
            node = cls(args, params, result, False)
            for i in live:
                o = result[i]
                o._requires_grad = True
                o.grad_fn = node
                o._output_nr = i
                if o._base is not None:
                    o.__dict__["_grad_version"] = o._version
        return result

    @staticmethod
    def write(target, result, raw):
        """Run `raw()` (the write of `result` into `target`) and make target's grad_fn say so."""
        record_write(target, result, raw, _snapshot_saved)


def record_write(target, result, raw, snapshot):
    """Run `raw()`, the write of `result` (a Tensor or None for a constant) into `target`, and
    give target (or, for a view, its base) the grad_fn of what was written. `snapshot(node,
    target)` keeps target's old values for a node that saved them. Shared by the tape and by
    func's reverse level, whose wrappers carry grad_fns and view bases as tensors do."""
    base = target._base
    root = base if base is not None else target
    result_grad = result is not None and result._requires_grad
    if not (result_grad or root._requires_grad or target._requires_grad):
        raw()
        return
    if root._requires_grad and root.grad_fn is None:
        raise RuntimeError(f"{'a view of ' if base is not None else ''}a leaf Variable that "
                           "requires grad is being used in an in-place operation.")
    # copy_ broadcasts; and a leaf written as is needs a node of its own, or the target would
    # take the leaf's place (grad_fn None) and gradient would stop at it.
    if result_grad and (result._data.shape != target._data.shape or result.grad_fn is None):
        result = expand_p(result, shape=target._data.shape)
    if result_grad:
        snapshot(result.grad_fn, target)
    if base is None:
        raw()
        if result_grad:
            target.grad_fn, target._output_nr = result.grad_fn, result._output_nr
            target._requires_grad = True
        else:  # overwritten by a constant: still in the graph, with a zero gradient
            target.grad_fn, target._output_nr = CopyBackwards(target), 0
        return
    node = CopySlices(base, result, _view_chain(target))
    raw()
    base.grad_fn, base._output_nr, base._requires_grad = node, 0, True
    base.__dict__["_copied_into"] = True
    _regenerate(target)
