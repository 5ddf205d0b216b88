"""The Tensor methods that belong to autograd: backward, hooks and retain_grad."""

from . import engine
from .graph import _Handle


def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    engine.backward(self, gradient, retain_graph, create_graph, inputs=inputs)


def register_hook(self, hook):
    """`hook(grad)` runs on the gradient reaching this tensor and may return a replacement."""
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is None:  # a leaf: its hooks live on it, its AccumulateGrad node runs them
        return _Handle(self.__dict__.setdefault("_hooks", []), hook)
    return _Handle(self.grad_fn._tensor_hooks(self._output_nr), hook)


def retain_grad(self):
    if not self._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if self.grad_fn is not None:
        self.grad_fn._retain(self._output_nr, self)


def _retains_grad(self):
    fn = self.grad_fn
    if fn is None:
        return False
    ref = fn._retained.get(self._output_nr)
    return ref is not None and ref() is self


METHODS = {"backward": backward, "register_hook": register_hook, "retain_grad": retain_grad,
           "retains_grad": property(_retains_grad)}
