"""nn.Parameter: a tensor that a Module registers as one of its parameters."""

from .._core.tensor import Tensor
from .._ops.creation import empty


class Parameter(Tensor):
    """A leaf tensor that requires grad by default. It shares the storage (and the version
    counter) of the tensor it wraps, as PyTorch's `_make_subclass` does, and results of ops on
    it are plain Tensors."""

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        # A detached alias re-classed: Tensor and Parameter share the compiled layout, so this
        # is the cheapest way to get a leaf of this class on the same storage.
        t = data.detach()
        t.__class__ = cls
        t.requires_grad = requires_grad
        return t

    # A copy or a pickle of a Parameter is a Parameter, so copied modules keep their parameters
    # registered (Tensor's own versions would give plain tensors).
    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.data.clone(), self.requires_grad)
        return memo[id(self)]

    def __reduce_ex__(self, protocol):
        return (type(self), (self.data, self.requires_grad))

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
