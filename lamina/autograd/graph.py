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
    """A grad_fn: maps the gradients of its outputs to those of its inputs (`next_functions`)."""

    def __init__(self, next_functions, input_meta):
        self.next_functions = next_functions  # ((node or None, output_nr), ...) per input
        self._input_meta = input_meta         # (shape, dtype) per input, to check gradients
        self._n_outputs = 1
        self._sequence_nr = next(_SEQUENCE)
        self._tensor_pre_hooks = {}           # output_nr -> [hook], from Tensor.register_hook
        self._retained = {}                   # output_nr -> weakref to a tensor with retain_grad
        self._pre_hooks = []
        self._post_hooks = []
        self.metadata = {}
        self._trace = traceback.format_stack()[:-3] if anomaly.is_anomaly_enabled() else None

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def _sequence(self):
        return self._sequence_nr

    def register_hook(self, hook):
        """`hook(grad_inputs, grad_outputs)` after this node ran; may return new grad_inputs."""
        return _Handle(self._post_hooks, hook)

    def register_prehook(self, hook):
        """`hook(grad_outputs)` before this node runs; may return new grad_outputs."""
        return _Handle(self._pre_hooks, hook)

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
    rebuilt from its base first (its storage was written in place after the view was made)."""
    if t._base is not None and t.__dict__.get("_grad_version", t._version) != t._version:
        _regenerate(t)
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t._requires_grad:
        return (accumulator(t), 0)
    return (None, 0)


def _meta(t):
    return (t._data.shape, t.dtype)


# -- primitive nodes ------------------------------------------------------------------------------

class PrimitiveNode(Node):
    """The grad_fn of one primitive call; subclassed once per primitive for its PyTorch name."""

    prim = None

    def __init__(self, args, params, outs, single):
        super().__init__(
            tuple(edge(a) if isinstance(a, TensorBase) else (None, 0) for a in args),
            tuple(_meta(a) if isinstance(a, TensorBase) else None for a in args))
        self._params = params
        self._single = single
        self._n_outputs = len(outs)
        saves = self.prim.saves
        if saves is None:
            saves = () if self.prim.jvp is LINEAR else range(len(args))
        # An input the rule reads only the shape of is held as a stand-in around its array of
        # now: an in-place metadata change of the input (t_, squeeze_, ...) must not reach it.
        self._args = tuple(_stand_in(a) if i not in saves and isinstance(a, TensorBase) else a
                           for i, a in enumerate(args))
        # index -> (the tensor's shared Version object, the version when saved)
        self._versions = {i: _version(args[i]) for i in saves
                          if i != "out" and isinstance(args[i], TensorBase)}
        self._out_meta = tuple(None if o is None else _meta(o) for o in outs)
        if "out" in saves:
            self._outs = tuple(None if o is None else o._data for o in outs)
            self._out_versions = tuple(None if o is None else _version(o) for o in outs)
        else:
            self._outs = self._out_versions = None
        self._freed = False

    def release(self):
        if self._versions or self._outs is not None:
            self._freed = True
            self._args = tuple(a if not isinstance(a, TensorBase) else None
                               for a in self._args)
            self._outs = None

    def _check_versions(self):
        for i, (vc, v) in self._versions.items():
            if vc.value != v:
                t = self._args[i]
                where = (f", which is output {t._output_nr} of "
                         f"{_short(t.grad_fn.name())}," if t.grad_fn is not None else "")
                raise _modified(t, where, vc.value, v)
        for i, saved in enumerate(self._out_versions or ()):
            if saved is not None and saved[0].value != saved[1]:
                shape = self._out_meta[i][0]
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{LEGACY_NAMES[self._out_meta[i][1]]} "
                    f"[{', '.join(map(str, shape))}]], which is output {i} of "
                    f"{_short(self.name())}, is at version {saved[0].value}; expected version "
                    f"{saved[1]} instead. {_HINT}")

    def apply(self, grads, create_graph):
        if self._freed:
            raise RuntimeError(_FREED_MSG)
        rule = self.prim.vjp
        if rule is None or rule is NONDIFF:
            raise NotImplementedError(
                f"the derivative for '{self.prim.name}' is not implemented")
        self._check_versions()
        if self._outs is None:
            out = None
        else:
            out = tuple(None if a is None else self._saved_output(a, i, create_graph)
                        for i, a in enumerate(self._outs))
            out = out[0] if self._single else out
        ct = grads[0] if self._single else tuple(grads)
        return rule(ct, out, *self._args, **self._params)

    def _saved_output(self, array, i, create_graph):
        t = wrap(array)
        if create_graph:
            t._requires_grad = True
            t.grad_fn = self
            t._output_nr = i
        return t


def _stand_in(t):
    s = wrap(t._data)
    s._requires_grad = t._requires_grad
    return s


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


def _differentiable(o):
    return o is not None and o._data.dtype.kind in "fc"


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
            super().__init__((edge(base), (None, 0)), (_meta(base), None))
        else:
            super().__init__((edge(base), edge(result)), (_meta(base), _meta(result)))
        self._chain = chain
        self._base_meta = _meta(base)

    def apply(self, grads, create_graph):
        (g,) = grads
        if g is None:
            return (None, None)
        shape, d = self._base_meta
        with no_grad():
            mask = wrap(np.ones(shape, dtype=g._data.real.dtype))
            _replay(mask, self._chain)._data[...] = 0
        return (g * mask, _replay(g, self._chain))


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
        single = type(result) is not tuple
        outs = (result,) if single else result
        if not any(_differentiable(o) for o in outs):
            return result
        node = _node_class(prim)(args, params, outs, single)
        for i, o in enumerate(outs):
            if _differentiable(o):
                o._requires_grad = True
                o.grad_fn = node
                o._output_nr = i
                if o._base is not None:
                    o.__dict__["_grad_version"] = o._version
        return result

    @staticmethod
    def write(target, result, raw):
        """Run `raw()` (the write of `result` into `target`) and make target's grad_fn say so."""
        base = target._base
        root = base if base is not None else target
        result_grad = result is not None and result._requires_grad
        if not (result_grad or root._requires_grad or target._requires_grad):
            raw()
            return
        if root._requires_grad and root.grad_fn is None:
            raise RuntimeError(f"{'a view of ' if base is not None else ''}a leaf Variable that "
                               "requires grad is being used in an in-place operation.")
        if result_grad and result._data.shape != target._data.shape:  # copy_ broadcasts
            result = expand_p(result, shape=target._data.shape)
        if result_grad:
            _snapshot_saved(result.grad_fn, target)
        if base is None:
            raw()
            if result_grad:
                target.grad_fn, target._output_nr = result.grad_fn, result._output_nr
                target._requires_grad = True
            else:
                target.grad_fn, target._requires_grad = None, False
            return
        node = CopySlices(base, result, _view_chain(target))
        raw()
        base.grad_fn, base._output_nr, base._requires_grad = node, 0, True
        _regenerate(target)
