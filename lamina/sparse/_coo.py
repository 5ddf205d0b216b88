"""Sparse COO tensors: construction, coalescing, conversion, arithmetic and sums.

A `SparseTensor` holds two dense lamina Tensors, `indices` (int64, sparse_dim x nnz) and `values`
(nnz x dense dims), plus its size and a coalesced flag, as PyTorch's SparseTensorImpl does. Every
op here is a composition of dense lamina ops on those two, so gradients reach `values` through
lamina's own autograd; index bookkeeping (unique, ravel) is NumPy on the integer indices, which
carry no derivative. The matrix products live in _matmul.py.

The class is not a `lamina.Tensor`: Tensor's compiled base owns one dense array that every
primitive unwraps, so a sparse subclass would reach dense kernels with nothing valid to give them.
It answers the Tensor attributes a sparse tensor has, and names PyTorch's error for the others.
"""

import math
import numbers

import numpy as np

import lamina as lm

from .._core._tensor import Size, canonical_dim, wrap
from .._core.printing import sparse_coo_repr


class layout:
    """A tensor layout (`lamina.strided`, `lamina.sparse_coo`), printed as PyTorch prints one."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"lamina.{self.name}"

    def __reduce__(self):
        return self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")

# What PyTorch says when an operator has no SparseCPU kernel (its list of registered dispatch
# keys, which follows in torch, describes torch's build and is left out).
_NO_SPARSE_KERNEL = ("Could not run 'aten::{}' with arguments from the 'SparseCPU' backend. This "
                     "could be because the operator doesn't exist for this backend, or was "
                     "omitted during the selective/custom build process (if using custom build).")
# Dense-only attributes whose PyTorch error on a sparse tensor is not the generic one.
_SPECIAL_ERRORS = {
    "reshape": (RuntimeError, "reshape is not implemented for sparse tensors"),
    "numpy": (TypeError, "can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() "
                         "first."),
    "data_ptr": (RuntimeError, "Cannot access data pointer of Tensor that doesn't have storage"),
}


def _scatter_rows(values, rows, n):
    """A (n, *dense) tensor whose row r sums the `values` rows that `rows` (an int64 array) sends
    to r: the one reduction behind coalesce, to_dense and sum, differentiable in `values`."""
    out = lm.zeros((n,) + tuple(values.shape[1:]), dtype=values.dtype)
    return out.index_add(0, wrap(rows), values)


def _flat_positions(idx, sizes):
    """Row-major positions of the index columns `idx` in a grid of `sizes`."""
    if not sizes:
        return np.zeros(idx.shape[1], dtype=np.int64)
    return np.ravel_multi_index(tuple(idx), sizes).astype(np.int64, copy=False)


class SparseTensor:
    """A sparse COO tensor (PyTorch's `layout=torch.sparse_coo`)."""

    __slots__ = ("_idx", "_vals", "_size", "_coalesced", "_leaf", "_csr")
    __hash__ = object.__hash__

    def __init__(self, indices, values, size, coalesced=False, leaf=False):
        self._idx = indices
        self._vals = values
        self._size = Size(size)
        self._coalesced = bool(coalesced)
        # True when this tensor was created with requires_grad=True: it is then the leaf that
        # owns `values`, and its .grad is read from theirs.
        self._leaf = leaf
        # The CSR pattern of a sparse matrix's products (_matmul.py), with the indices it is for.
        self._csr = None

    # -- metadata -------------------------------------------------------------------------------
    @property
    def shape(self):
        return self._size

    def size(self, dim=None):
        if dim is None:
            return self._size
        return self._size[canonical_dim(dim, len(self._size))]

    @property
    def dtype(self):
        return self._vals.dtype

    @property
    def device(self):
        return self._vals.device

    @property
    def ndim(self):
        return len(self._size)

    def dim(self):
        return len(self._size)

    def numel(self):
        return self._size.numel()

    @property
    def layout(self):
        return sparse_coo

    @property
    def is_sparse(self):
        return True

    @property
    def is_cuda(self):
        return False

    def is_contiguous(self, memory_format=None):
        return False

    def sparse_dim(self):
        return self._idx.shape[0]

    def dense_dim(self):
        return self._vals.ndim - 1

    def _nnz(self):
        return self._idx.shape[1]

    def is_coalesced(self):
        return self._coalesced

    def _indices(self):
        return self._idx

    def _values(self):
        return self._vals

    def indices(self):
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._idx

    def values(self):
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call "
                               ".coalesce() first")
        return self._vals

    # -- autograd -------------------------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._vals.requires_grad

    @property
    def is_leaf(self):
        return self._vals.grad_fn is None and (self._leaf or not self._vals.requires_grad)

    @property
    def grad_fn(self):
        return self._vals.grad_fn

    @property
    def grad(self):
        """PyTorch's gradient of a sparse leaf: the gradient of its dense form, masked to its
        pattern. Every duplicate of a position receives that position's gradient in `values`,
        so one copy per position is taken."""
        g = self._vals.grad if self._leaf else None
        if g is None:
            return None
        idx = self._idx._data
        unique, first = np.unique(idx, axis=1, return_index=True)
        if unique.shape[1] == idx.shape[1]:
            return SparseTensor(self._idx, g, self._size, self._coalesced)
        return SparseTensor(wrap(unique), g[wrap(first)], self._size, coalesced=True)

    @grad.setter
    def grad(self, value):
        if value is not None:
            raise RuntimeError("lamina sparse tensors only accept None as .grad")
        self._vals.grad = None

    def detach(self):
        return SparseTensor(self._idx, self._vals.detach(), self._size, self._coalesced)

    # -- conversion -----------------------------------------------------------------------------
    def coalesce(self):
        """Duplicates summed, indices sorted lexicographically (np.unique over columns)."""
        if self._coalesced:
            return self
        unique, inverse = np.unique(self._idx._data, axis=1, return_inverse=True)
        values = _scatter_rows(self._vals, inverse.reshape(-1), unique.shape[1])
        return SparseTensor(wrap(unique), values, self._size, coalesced=True)

    def to_dense(self):
        sd = self.sparse_dim()
        sparse_sizes = tuple(self._size[:sd])
        flat = _flat_positions(self._idx._data, sparse_sizes)
        return _scatter_rows(self._vals, flat, math.prod(sparse_sizes)).reshape(self._size)

    def to_sparse(self, sparse_dim=None):
        if sparse_dim is None or sparse_dim == self.sparse_dim():
            return self
        raise RuntimeError(f"to_sparse: conversion from Sparse to Sparse with sparse_dim argument "
                           f"!={self.sparse_dim()} is not supported")

    def t(self):
        if self.sparse_dim() > 2 or self.dense_dim() > 0:
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, but "
                               f"got {self.sparse_dim()} sparse and {self.dense_dim()} dense "
                               "dimensions")
        if self.ndim < 2:
            return self
        return SparseTensor(self._idx.flip(0), self._vals, self._size[::-1])

    # -- arithmetic ------------------------------------------------------------------------------
    def add(self, other, *, alpha=1):
        if not isinstance(other, SparseTensor):
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                               "instead.")
        if other._size != self._size:
            raise RuntimeError(f"add: expected sizes of 'self' and 'other' to match, but "
                               f"{list(self._size)} != {list(other._size)}")
        if other is self:
            return SparseTensor(self._idx, self._vals * (1 + alpha), self._size, self._coalesced)
        theirs = other._vals if alpha == 1 else other._vals * alpha
        # PyTorch merges two coalesced operands into a coalesced result (the sorted union, which
        # is what coalescing their concatenation gives) and concatenates any others.
        result = SparseTensor(lm.cat([self._idx, other._idx], 1), lm.cat([self._vals, theirs]),
                              self._size)
        return result.coalesce() if self._coalesced and other._coalesced else result

    def sub(self, other, *, alpha=1):
        return self.add(other, alpha=-alpha)

    def _map_values(self, fn):
        """The same pattern with `fn` applied to the values: only for maps that keep zero at
        zero (scaling, negation), as a sparse tensor's unstored entries are zero."""
        return SparseTensor(self._idx, fn(self._vals), self._size, self._coalesced)

    def mul(self, other):
        if not isinstance(other, numbers.Number):
            return NotImplemented
        return self._map_values(lambda v: v * other)

    def div(self, other):
        if not isinstance(other, numbers.Number):
            return NotImplemented
        return self._map_values(lambda v: v / other)

    def neg(self):
        return self._map_values(lambda v: -v)

    __add__ = add
    __sub__ = sub
    __mul__ = __rmul__ = mul
    __truediv__ = div
    __neg__ = neg

    def sum(self, dim=None, keepdim=False, dtype=None):
        return sum(self, dim, dtype)

    # -- Python protocols ------------------------------------------------------------------------
    def __len__(self):
        if not self._size:
            raise TypeError("len() of a 0-d tensor")
        return self._size[0]

    def __repr__(self):
        return sparse_coo_repr(self)

    def __getattr__(self, name):
        if name in _SPECIAL_ERRORS:
            kind, message = _SPECIAL_ERRORS[name]
            raise kind(message)
        if hasattr(lm.Tensor, name):
            raise NotImplementedError(_NO_SPARSE_KERNEL.format(name))
        raise AttributeError(f"'SparseTensor' object has no attribute '{name}'")


def _check_indices_bounds(idx, size):
    for d in range(idx.shape[0]):
        row = idx[d]
        if not row.size:
            continue
        low, high = int(row.min()), int(row.max())
        if low < 0:
            raise RuntimeError(f"found negative index {low} for dim {d}")
        if size is not None and high >= size[d]:
            raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is "
                               f"{size[d]} but found index {high}")


def _component(data, dtype, device):
    """As PyTorch: Tensors are kept (shared, when no conversion is asked), other data is copied."""
    if isinstance(data, lm.Tensor):
        return lm.as_tensor(data, dtype=dtype, device=device)
    return lm.tensor(data, dtype=dtype, device=device)


def sparse_coo_tensor(indices, values, size=None, *, dtype=None, device=None,
                      requires_grad=False, check_invariants=None, is_coalesced=None):
    """PyTorch's `sparse_coo_tensor`. Indices are always checked against the size (PyTorch checks
    only with check_invariants=True): an index outside it would later scatter out of bounds."""
    indices = _component(indices, lm.int64, device)
    values = _component(values, dtype, device)
    if indices.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(indices.shape)}")
    sd, nnz = indices.shape
    nnz_values = values.shape[0] if values.ndim else 1
    if nnz != nnz_values:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: "
                           f"{nnz}, nnz from values: {nnz_values}")
    dense_sizes = tuple(values.shape[1:])
    if size is None:
        _check_indices_bounds(indices._data, None)
        sparse_sizes = tuple(int(m) + 1 for m in indices._data.max(1)) if nnz else (0,) * sd
        size = sparse_sizes + dense_sizes
    else:
        size = tuple(int(s) for s in size)
        if len(size) != sd + len(dense_sizes):
            raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: "
                               f"len(size) = {len(size)}, sparse_dim = {sd}, dense_dim = "
                               f"{len(dense_sizes)}")
        if size[sd:] != dense_sizes:
            raise RuntimeError(f"values has incorrect size, expected {[nnz, *size[sd:]]}, got "
                               f"{list(values.shape)}")
        _check_indices_bounds(indices._data, size)
    if requires_grad:
        if not (values.is_floating_point() or values.is_complex()):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        values = values.detach().requires_grad_()
    return SparseTensor(indices, values, size, coalesced=bool(is_coalesced), leaf=requires_grad)


def to_sparse(self, sparse_dim=None):
    """Tensor.to_sparse: the nonzero positions over the first `sparse_dim` dims (a position is
    stored when any element of its dense slice is nonzero), in row-major order, coalesced."""
    n = self.ndim
    sd = n if sparse_dim is None else sparse_dim
    if not 0 <= sd <= n:
        raise RuntimeError(f"dense_to_sparse: sparse_dim argument must be in [0,{n}] range, but "
                           f"{sd} is given")
    sparse_sizes = tuple(self.shape[:sd])
    nonzero = np.any(self._data != 0, axis=tuple(range(sd, n)))
    idx = np.stack(np.nonzero(nonzero)) if sd else np.zeros((0, 1), dtype=np.int64)
    flat = _flat_positions(idx, sparse_sizes)
    rows = self.reshape((math.prod(sparse_sizes),) + tuple(self.shape[sd:]))
    return SparseTensor(wrap(idx.astype(np.int64)), rows.index_select(0, wrap(flat)),
                        self.shape, coalesced=True)


def sum(input, dim=None, dtype=None):
    """torch.sparse.sum: summing every sparse dim gives a dense tensor, otherwise a coalesced
    sparse tensor over the dims that remain."""
    values = input._vals if dtype is None else input._vals.to(dtype)
    if dim is None:
        return values.sum()
    dims = {canonical_dim(d, input.ndim) for d in (dim if isinstance(dim, (tuple, list))
                                                    else (dim,))}
    sd = input.sparse_dim()
    dense_dims = [d - sd + 1 for d in sorted(dims) if d >= sd]
    if dense_dims:
        values = values.sum(dense_dims)
    kept = [d for d in range(sd) if d not in dims]
    if not kept:
        return values.sum(0)
    size = [s for d, s in enumerate(input.shape) if d not in dims]
    return SparseTensor(input._idx[kept], values, size).coalesce()
