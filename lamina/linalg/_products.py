"""linalg.matmul, multi_dot and vecdot: the products, built on the BLAS family."""

from .._core import dtype as _dt
from .._core._tensor import TensorBase as _TensorBase
from .._ops import contraction as _contraction
from .._ops._checks import check_tensor as _check_tensor
from .._ops._checks import torch_type_name as _torch_type_name
from .._ops.blas import matmul  # linalg.matmul is torch.matmul under another name
from .._ops.mutation import finish_out as _finish_out


def multi_dot(tensors, *, out=None):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"linalg_multi_dot(): argument 'tensors' (position 1) must be tuple of "
                        f"Tensors, not {type(tensors).__name__}")
    for k, x in enumerate(tensors):
        if not isinstance(x, _TensorBase):
            raise TypeError(f"expected Tensor as element {k} in argument 0, but got "
                            f"{type(x).__name__}")
    return _finish_out(_contraction.multi_dot(tensors), out)


def vecdot(x, y, *, dim=-1, out=None):
    _check_tensor("linalg_vecdot", x, "x", 1)
    _check_tensor("linalg_vecdot", y, "y", 2)
    if x.dtype.category < _dt.FLOAT:
        raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. "
                           f"Got {_torch_type_name(x.dtype)}")
    if x.dtype is not y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x "
                           f"of type {_torch_type_name(x.dtype)} and y of type "
                           f"{_torch_type_name(y.dtype)} instead")
    return _finish_out(_contraction.vecdot(x, y, dim), out)


__all__ = ["matmul", "multi_dot", "vecdot"]
TOPLEVEL = {}
METHODS = {}
