"""lamina.sparse: sparse COO tensors (PyTorch's torch.sparse and layout=torch.sparse_coo)."""

import lamina as _lm

from .._ops import blas as _blas
from . import _matmul
from ._coo import SparseTensor, strided, sum, to_sparse
from ._matmul import addmm, mm

__all__ = ["addmm", "mm", "sum"]

# lamina.mm, matmul and addmm (and their Tensor methods) hand a sparse first matrix to _matmul.
_blas.LAYOUT_PRODUCTS[SparseTensor] = _matmul
_lm.Tensor.to_sparse = to_sparse
_lm.Tensor.layout = property(lambda self: strided)
SparseTensor.mm = mm
SparseTensor.matmul = SparseTensor.__matmul__ = _matmul.matmul
