"""lamina.autograd.Function: user-defined ops with their own backward, as torch.autograd.Function.

`MyOp.apply(*args)` runs `forward` with grad mode off; when an argument requires grad, each
output gets a node of class `MyOpBackward` whose instance is also the `ctx` that forward saw,
as in PyTorch.
"""

import numpy as np

from .._core._tensor import TensorBase, is_grad_enabled, wrap, wrap_view
from .grad_mode import no_grad
from .graph import _FREED_MSG, Node, _modified, _version, edge


class FunctionCtx:
    """What forward and backward share: saved tensors and the flags PyTorch's ctx carries."""

    def save_for_backward(self, *tensors):
        self._saved = tuple((t, None if t is None else _version(t)) for t in tensors)

    @property
    def saved_tensors(self):
        if self._saved is None:
            raise RuntimeError(_FREED_MSG)
        for t, saved in self._saved:
            if saved is not None and saved[0].value != saved[1]:
                raise _modified(t, "", saved[0].value, saved[1])
        return tuple(t for t, _ in self._saved)

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        self._dirty.update(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        self._materialize = bool(value)


class BackwardCFunction(Node, FunctionCtx):
    """The node (and ctx) of one Function call."""

    _forward_cls = None

    def __init__(self):
        super().__init__((), ())
        self._saved = ()
        self._non_differentiable = set()
        self._dirty = set()
        self._materialize = True
        self.needs_input_grad = ()
        self._output_meta = ()

    def apply(self, grads, create_graph):
        if self._materialize:
            grads = tuple(wrap(np.zeros(shape, dtype=d.np)) if g is None else g
                          for g, (shape, d) in zip(grads, self._output_meta))
        result = self._forward_cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self.next_functions)
        if len(result) > n and all(r is None for r in result[n:]):
            result = result[:n]
        if len(result) != n:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(result)})")
        return result

    def release(self):
        if self._saved:
            self._saved = None


class FunctionMeta(type):
    """Gives every Function subclass its own node class, named `<Function>Backward`."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(f"{name}Backward", (BackwardCFunction,), {"_forward_cls": cls})


class Function(metaclass=FunctionMeta):
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls._backward_cls()
        needs = tuple(isinstance(a, TensorBase) and a._requires_grad for a in args)
        ctx.needs_input_grad = needs
        separate = cls.setup_context is not Function.setup_context
        with no_grad():
            if separate:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        if not (is_grad_enabled() and any(needs)):
            return out
        single = not isinstance(out, tuple)
        outs = list((out,) if single else out)
        ctx.next_functions = tuple(edge(a) if isinstance(a, TensorBase) else (None, 0)
                                   for a in args)
        ctx._input_meta = tuple((a._data.shape, a._data.dtype) if isinstance(a, TensorBase)
                                else None for a in args)
        ctx._n_outputs = len(outs)
        ctx._output_meta = tuple((o._data.shape, o.dtype) if isinstance(o, TensorBase) else
                                 ((), None) for o in outs)
        for i, o in enumerate(outs):
            if not isinstance(o, TensorBase):
                continue
            if any(o is a for a in args) and id(o) not in ctx._dirty:
                o = outs[i] = wrap_view(o._data, o)  # an input returned as is: a new alias
            if id(o) in ctx._non_differentiable or o._data.dtype.kind not in "fc":
                continue
            o._requires_grad, o.grad_fn, o._output_nr = True, ctx, i
        return outs[0] if single else tuple(outs)


def once_differentiable(fn):
    """Marks a backward that is not itself differentiable: it runs with grad mode off."""
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    wrapper.__name__ = fn.__name__
    return wrapper
