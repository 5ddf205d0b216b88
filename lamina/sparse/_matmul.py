"""Products of a sparse COO matrix with a dense one, through SciPy's CSR kernels.

`CooMM` is one autograd Function for S @ D, with S given by its (rows, cols, values). Its
backward is written with the same Function and dense lamina ops, so it is differentiable again:
    grad D      = S^H @ G                      (the same product with rows and cols swapped)
    grad values = sum_j G[rows, j] * conj(D[cols, j])   ((G @ D^H) read at S's pattern)
Duplicate positions need no coalescing: SciPy's CSR product sums every stored entry, and each
duplicate's value gets its position's gradient.

Building a CSR matrix from COO triples sorts them, which costs more than the product itself
(4 ms against 3 ms at 4096x4096, 1%), so the row order of a sparse matrix's indices is worked out
once, kept on the SparseTensor while its indices are unchanged, and each product only gathers the
current values into that order (nothing at all for a coalesced matrix, whose values are already in
row order). The values themselves are never cached: they may change between products.

SciPy's CSR product runs without the GIL, so a large product is split into row blocks of about
equal stored entries, one per lamina thread, each a CSR matrix over slices of the same arrays
(1.6x on 2 cores at 4096x4096, 1%, times 64 columns).
"""

import numpy as np
import scipy.sparse

from .._core._tensor import wrap
from .._core._threads import get_num_threads, parallel_for
from .._ops._checks import torch_type_name
from ..autograd.function import Function
from ._coo import SparseTensor

# Multiply-adds (stored entries x dense columns) worth a thread of their own: about 80 us of
# SciPy's product, against tens of microseconds to hand a block to the pool.
_BLOCK_WORK = 1 << 18


class CsrPattern:
    """Where the COO entries (rows, cols) of a `shape` matrix go in CSR storage: `order` (None when
    the rows are already sorted), CSR's column indices and row pointers."""

    def __init__(self, rows, cols, shape):
        self.rows, self.cols, self.shape = rows, cols, shape
        self.order = None if np.all(rows[1:] >= rows[:-1]) else np.argsort(rows, kind="stable")
        index_type = np.int32 if max(shape + (len(rows),)) < 2**31 else np.int64
        sorted_cols = cols if self.order is None else cols[self.order]
        self.indices = sorted_cols.astype(index_type)
        self.indptr = np.zeros(shape[0] + 1, dtype=index_type)
        np.cumsum(np.bincount(rows, minlength=shape[0]), out=self.indptr[1:])
        self._transposed = None
        self._blocks = {}

    def _row_blocks(self, count):
        """`count` row blocks of about equal stored entries: (first row, end row, first entry,
        end entry, the block's row pointers)."""
        if count not in self._blocks:
            nnz = self.indptr[-1]
            cuts = np.searchsorted(self.indptr, np.arange(count + 1) * nnz // count)
            cuts[0], cuts[-1] = 0, self.shape[0]
            self._blocks[count] = [(r0, r1, self.indptr[r0], self.indptr[r1],
                                    self.indptr[r0:r1 + 1] - self.indptr[r0])
                                   for r0, r1 in zip(cuts[:-1], cuts[1:])]
        return self._blocks[count]

    def product(self, values, dense):
        """The matrix with `values` (in COO order) at this pattern, times the array `dense`."""
        dense = np.ascontiguousarray(dense)
        threads = min(get_num_threads(), len(self.rows) * dense.shape[1] // _BLOCK_WORK)
        blocks = self._row_blocks(max(threads, 1))
        out = np.empty((self.shape[0], dense.shape[1]), np.result_type(values, dense))

        def block(i):
            r0, r1, a, b, indptr = blocks[i]
            data = values[a:b] if self.order is None else values[self.order[a:b]]
            matrix = scipy.sparse.csr_matrix((data, self.indices[a:b], indptr),
                                             shape=(r1 - r0, self.shape[1]))
            out[r0:r1] = matrix @ dense

        parallel_for(block, len(blocks))
        return out

    def transposed(self):
        if self._transposed is None:
            self._transposed = CsrPattern(self.cols, self.rows, self.shape[::-1])
        return self._transposed


class CooMM(Function):
    @staticmethod
    def forward(ctx, values, dense, pattern):
        ctx.save_for_backward(values, dense)
        ctx.pattern = pattern
        return wrap(pattern.product(values._data, dense._data))

    @staticmethod
    def backward(ctx, ct):
        values, dense = ctx.saved_tensors
        pattern = ctx.pattern
        grad_values = grad_dense = None
        if ctx.needs_input_grad[0]:
            picked = (ct.index_select(0, wrap(pattern.rows))
                      * dense.conj().index_select(0, wrap(pattern.cols)))
            grad_values = picked.sum(-1)
        if ctx.needs_input_grad[1]:
            grad_dense = CooMM.apply(values.conj(), ct, pattern.transposed())
        return grad_values, grad_dense, None


def _pattern(sparse):
    """The CSR pattern of a sparse matrix, computed once per state of its indices."""
    idx = sparse._idx
    if sparse._csr is None or sparse._csr[0] is not idx or sparse._csr[1] != idx._version:
        rows, cols = idx._data
        sparse._csr = (idx, idx._version, CsrPattern(rows, cols, tuple(sparse.shape)))
    return sparse._csr[2]




def _check_sparse_matrix(name, sparse):
    if not isinstance(sparse, SparseTensor):
        raise TypeError(f"{name}(): argument 'mat1' (position 1) must be a sparse Tensor, not "
                        f"{type(sparse).__name__}")
    if sparse.sparse_dim() != 2 or sparse.dense_dim() != 0:
        raise RuntimeError(f"{name}: matrices expected, got {sparse.sparse_dim()}D sparse, "
                           f"{sparse.dense_dim()}D dense tensor")


def _product(sparse, dense):
    """sparse @ dense for a 2-D sparse matrix and a dense matrix, with PyTorch's checks."""
    _check_sparse_matrix("mm", sparse)
    if isinstance(dense, SparseTensor):
        raise NotImplementedError("lamina: sparse @ sparse products are not implemented")
    if dense.ndim != 2:
        raise RuntimeError(f"addmm: 2D tensor expected, got {dense.ndim}D tensor for argument "
                           "#3 'dense'")
    k = sparse.shape[1]
    if dense.shape[0] != k:
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size {k}, got "
                           f"{dense.shape[0]}")
    if dense.dtype is not sparse.dtype:
        raise RuntimeError(f"expected scalar type {torch_type_name(sparse.dtype)} but found "
                           f"{torch_type_name(dense.dtype)}")
    return CooMM.apply(sparse._vals, dense, _pattern(sparse))


def mm(mat1, mat2):
    """torch.sparse.mm: a sparse matrix times a dense one, a dense result."""
    return _product(mat1, mat2)


def matmul(input, other):
    """torch.matmul with a sparse matrix first: a dense vector or matrix second."""
    if other.ndim == 1:
        return _product(input, other.unsqueeze(1)).squeeze(1)
    return _product(input, other)


def addmm(mat, mat1, mat2, *, beta=1.0, alpha=1.0):
    """beta * mat + alpha * (mat1 @ mat2), mat1 sparse; beta=0 ignores mat (nan included)."""
    product = _product(mat1, mat2)
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product
    return mat * beta + product if beta != 1 else mat + product
