"""lamina.Tensor: metadata, conversions and Python protocols.

The storage and the hot-path slots live in the compiled `TensorBase`; this class adds what needs
no op. Methods that are ops (`add`, `view`, `sum`, ...) are attached by the op modules above, as
PyTorch binds its methods from its operator library.
"""

import numpy as np

from . import dtype as _dt
from ._tensor import TensorBase, _register, canonical_dim, get_default_dtype, wrap, wrap_view
from .device import CPU
from .printing import tensor_repr


class Tensor(TensorBase):
    __hash__ = object.__hash__

    def __new__(cls, *args, device=None):
        # The legacy constructor: Tensor(data) copies into the default dtype, Tensor(*sizes) is
        # uninitialised, Tensor() is empty.
        dt = get_default_dtype().np
        if len(args) == 1 and not isinstance(args[0], int):
            data = args[0]
            data = data._data if isinstance(data, TensorBase) else data
            arr = np.array(data, dtype=dt)
        else:
            if not all(isinstance(a, int) for a in args):
                raise TypeError(f"new(): invalid arguments {args!r}")
            arr = np.empty(args if args else (0,), dtype=dt)
        return wrap(arr)

    # -- metadata -------------------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if flag and self.dtype.category < _dt.FLOAT:
            raise RuntimeError("only Tensors of floating point and complex dtype can require "
                               "gradients")
        if self.grad_fn is not None and not flag:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_cuda(self):
        return False

    @property
    def is_sparse(self):
        return False

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def element_size(self):
        return self._data.itemsize

    def nelement(self):
        return self._data.size

    def ndimension(self):
        return self._data.ndim

    def is_floating_point(self):
        return self.dtype.category == _dt.FLOAT

    def is_complex(self):
        return self.dtype.category == _dt.COMPLEX

    def get_device(self):
        return -1

    def stride(self, dim=None):
        """Strides in elements, as PyTorch counts them (NumPy counts bytes)."""
        item = self._data.itemsize
        strides = tuple(s // item for s in self._data.strides)
        if dim is None:
            return strides
        return strides[canonical_dim(dim, self._data.ndim)]

    def storage_offset(self):
        root = self._base._data if self._base is not None else self._data
        return (self.data_ptr() - root.__array_interface__["data"][0]) // self._data.itemsize

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def is_contiguous(self, memory_format=None):
        # PyTorch ignores the stride of a size-1 dim; NumPy's C_CONTIGUOUS flag does too.
        return bool(self._data.flags.c_contiguous)

    def is_shared(self):
        return False

    def untyped_storage(self):
        raise NotImplementedError("lamina exposes storage through .numpy(), not storage objects")

    @property
    def data(self):
        return wrap_view(self._data, self)

    @data.setter
    def data(self, other):
        self._data = other._data

    # -- conversions ------------------------------------------------------------------------------
    def numpy(self, *, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:
            return self._data.astype(dtype, copy=bool(copy))
        return self._data.copy() if copy else self._data

    def __dlpack__(self, *args, **kwargs):
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def _scalar(self, kind):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return kind(self._data.reshape(()).item())

    def __float__(self):
        return self._scalar(float)

    def __int__(self):
        return self._scalar(int)

    def __complex__(self):
        return self._scalar(complex)

    def __index__(self):
        if self.dtype.category != _dt.INT or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._data.reshape(()).item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()).item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __repr__(self, *, tensor_contents=None):
        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data.copy(), self._requires_grad))

    def __deepcopy__(self, memo):
        t = wrap(self._data.copy())
        t._requires_grad = self._requires_grad
        memo[id(self)] = t
        return t


def _rebuild(data, requires_grad):
    t = wrap(data)
    t._requires_grad = requires_grad
    return t


_register(Tensor, CPU)
