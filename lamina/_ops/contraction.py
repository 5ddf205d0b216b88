"""Contractions composed on the batched matrix product: einsum, tensordot, kron, chain_matmul,
and the cores of linalg.multi_dot and linalg.vecdot.

No primitive is declared here. Every op lowers to views (diagonal, permute, reshape), sums,
broadcasting products and one batched matrix product per pair of operands, so derivatives,
forward mode and vmap come from those primitives and the arithmetic goes to the BLAS kernels.

A pair is contracted the way PyTorch's `sumproduct_pair` does it: its labels fall into batch (in
both operands and needed later), contracted (in both, needed nowhere else), left-only and
right-only. Each operand is permuted to batch+left+contracted (batch+contracted+right), reshaped
to (B, M, K) and (B, K, N), multiplied by one bmm and reshaped to batch+left+right. A pair with
nothing to contract is a broadcasting product (an outer product needs no K), as in PyTorch. The
only copies are those reshape makes when permuted strides cannot be flattened.
"""

import operator
import string
import warnings

from .._core import dtype as dt
from .._core._tensor import TensorBase, canonical_dim
from ._checks import CPP_NAMES, broadcast_shape, check_tensor, not_implemented
from .blas import bmm, mm
from .elementwise import mul
from .mutation import finish_out
from .reduction import sum
from .shape import clone, diagonal, movedim, permute_p, reshape, squeeze, unsqueeze
from .unary import conj

# PyTorch's label order: subscript s in [0, 52) is A-Z then a-z, which also orders an implicit
# output. Ellipsis dims get the labels 52, 53, ... (right-aligned across operands).
_LETTERS = string.ascii_uppercase + string.ascii_lowercase
_SUBSCRIPT = {c: s for s, c in enumerate(_LETTERS)}
_ELL = -1          # an ellipsis in a parsed operand, before it is expanded into labels
_ELL_BASE = len(_LETTERS)


def _prod(sizes):
    p = 1
    for n in sizes:
        p *= n
    return p


# -- einsum: parsing and checks -------------------------------------------------------------------

def _ellipsis_at(s, i):
    # PyTorch's test: '.' at i starts an ellipsis when two more '.' follow.
    return i + 2 < len(s) and s[i + 1] == "." and s[i + 2] == "."


def _parse_inputs(lhs, num_ops):
    """Each operand's subscripts (ints, and _ELL for '...'), with PyTorch's parse errors."""
    op_labels = [[] for _ in range(num_ops)]
    cur, ell, i = 0, False, 0
    while i < len(lhs):
        c = lhs[i]
        if c == ".":
            if ell:
                raise RuntimeError(f"einsum(): found '.' for operand {cur} for which an ellipsis "
                                   "was already found")
            if not _ellipsis_at(lhs, i):
                raise RuntimeError(f"einsum(): found '.' for operand {cur} that is not part of "
                                   "any ellipsis")
            op_labels[cur].append(_ELL)
            ell = True
            i += 2
        elif c == ",":
            cur += 1
            if cur >= num_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in the "
                                   "equation")
            ell = False
        elif c != " ":
            if c not in _SUBSCRIPT:
                raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the "
                                   "equation string, subscripts must be in [a-zA-Z]")
            op_labels[cur].append(_SUBSCRIPT[c])
        i += 1
    if cur != num_ops - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    return op_labels


def _parse_output(rhs, offset, counts, ell_num_dim):
    """The explicit output's labels, the ellipsis expanded; `offset` is where rhs starts."""
    out, ell, i = [], False, 0
    while i < len(rhs):
        c = rhs[i]
        if c == ".":
            if ell:
                raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) was "
                                   "already found")
            if not _ellipsis_at(rhs, i):
                raise RuntimeError("einsum(): found '.' for output that is not part of any "
                                   "ellipsis (...)")
            out.extend(range(_ELL_BASE, _ELL_BASE + ell_num_dim))
            ell = True
            i += 2
        elif c != " ":
            s = _SUBSCRIPT.get(c)
            if s is None:
                raise RuntimeError(f"einsum(): invalid subscript given at index {offset + i} in "
                                   "the equation string, subscripts must be in [a-zA-Z]")
            if not counts.get(s) or s in out:
                what = ("appears more than once in the output" if s in out else
                        "does not appear in the equation for any input operand")
                raise RuntimeError(f"einsum(): output subscript {c} {what}")
            out.append(s)
        i += 1
    return out


def _align(i, x, labels, ell_num_dim, sizes):
    """Operand i with its repeated labels replaced by their diagonal, and its labels (one per
    dim, ellipsis dims expanded); records each label's size in `sizes`, where a size 1
    broadcasts against any other, with PyTorch's messages."""
    ndim = x.dim()
    dims, dim = [], 0
    for s in labels:
        if s == _ELL:
            covered = ndim - (len(labels) - 1)
            for j in range(ell_num_dim - covered, ell_num_dim):
                n, seen = x.shape[dim], sizes.get(_ELL_BASE + j, 1)
                if n != 1:
                    if seen not in (1, n):
                        raise RuntimeError(
                            f"einsum(): dimension {dim} covered by ellipsis in operand {i}has size "
                            f"{n} which does not broadcast with previously seen ellipsis with size "
                            f"{seen} for the respective dimension")
                    sizes[_ELL_BASE + j] = n
                dims.append(_ELL_BASE + j)
                dim += 1
        elif s not in dims:
            n, seen = x.shape[dim], sizes.get(s, 1)
            if n != 1:
                if seen not in (1, n):
                    raise RuntimeError(
                        f"einsum(): subscript {_LETTERS[s]} has size {n} for operand {i} which "
                        f"does not broadcast with previously seen size {seen}")
                sizes[s] = n
            dims.append(s)
            dim += 1
        else:
            prev = dims.index(s)
            if x.shape[dim] != x.shape[prev]:
                raise RuntimeError(
                    f"einsum(): subscript {_LETTERS[s]} is repeated for operand {i} but the "
                    f"sizes don't match, {x.shape[dim]} != {x.shape[prev]}")
            x = movedim(diagonal(x, 0, prev, dim), -1, prev)
    for d in dims:
        sizes.setdefault(d, 1)
    return x, dims


# -- einsum: contraction --------------------------------------------------------------------------

def _permuted(x, labels, order):
    """`x` (dims named by `labels`) permuted to `order`; a view."""
    perm = tuple(labels.index(s) for s in order)
    return x if perm == tuple(range(len(perm))) else permute_p(x, dims=perm)


def contract_pair(x, lx, y, ly, keep, sizes):
    """Contract operands x and y (dims named by lx, ly) over every shared label not in `keep`;
    returns the result and its labels, batch+left+right. Labels that only one operand has must
    be in `keep` (the caller sums the others out first)."""
    batch = [s for s in lx if s in ly and s in keep]
    summed = [s for s in lx if s in ly and s not in keep]
    left = [s for s in lx if s not in ly]
    right = [s for s in ly if s not in lx]
    labels = batch + left + right
    shape = tuple(sizes[s] for s in labels)
    if not summed:
        # A broadcasting product (promoting mixed dtypes as PyTorch's `mul` does).
        xs = reshape(_permuted(x, lx, batch + left), shape[:len(batch) + len(left)] +
                     (1,) * len(right))
        ys = reshape(_permuted(y, ly, batch + right), shape[:len(batch)] + (1,) * len(left) +
                     shape[len(batch) + len(left):])
        return mul(xs, ys), labels
    # bmm refuses mixed dtypes and bool with the messages PyTorch's einsum gives (its bmm).
    b, m, n, k = (_prod(sizes[s] for s in g) for g in (batch, left, right, summed))
    xs = reshape(_permuted(x, lx, batch + left + summed), (b, m, k))
    ys = reshape(_permuted(y, ly, batch + summed + right), (b, k, n))
    return reshape(bmm(xs, ys), shape), labels


def greedy_pair(labels, keep, sizes):
    """The pair of operands to contract next, as opt_einsum's "greedy" strategy picks it: among
    pairs sharing a label, the one whose result frees the most memory (result size minus the
    sizes of the two inputs), ties going to the smaller result, then to the leftmost pair; an
    outer product only when no pair shares a label. `labels` lists each operand's labels;
    `keep` holds the output's."""
    best, choice = None, None
    sets = [set(ls) for ls in labels]
    for i in range(len(sets)):
        for j in range(i + 1, len(sets)):
            later = keep.union(*(s for k, s in enumerate(sets) if k not in (i, j)))
            out = _prod(sizes[s] for s in (sets[i] | sets[j]) & later)
            key = (not sets[i] & sets[j],
                   out - _prod(sizes[s] for s in sets[i]) - _prod(sizes[s] for s in sets[j]),
                   out)
            if best is None or key < best:
                best, choice = key, (i, j)
    return choice


def _contract(ops, out, sizes):
    """The einsum of aligned operands ((tensor, labels) pairs, no repeated labels) into the
    labels `out`."""
    keep = set(out)
    if len(ops) == 1:
        x, lx = ops[0]
        summed = tuple(d for d, s in enumerate(lx) if s not in keep)
        if summed:
            x = sum(x, summed)  # promotes integers to int64, as PyTorch's single-operand einsum
            lx = [s for s in lx if s in keep]
        return permute_p(x, dims=tuple(lx.index(s) for s in out))  # a view, as in PyTorch
    # Sum out what only one operand has and the output lacks, before any pair is chosen, so the
    # greedy order sees the smaller operands (PyTorch sums them too, promoting integers as its
    # sum does). A pair's result keeps only labels still needed, so afterwards every label
    # outside the output is shared by two operands until contracted.
    for n, (x, lx) in enumerate(ops):
        others = set(out).union(*(set(ly) for k, (_, ly) in enumerate(ops) if k != n))
        summed = tuple(d for d, s in enumerate(lx) if s not in others)
        if summed:
            ops[n] = sum(x, summed), [s for s in lx if s in others]
    while len(ops) > 1:
        i, j = greedy_pair([lx for _, lx in ops], keep, sizes)
        (y, ly), (x, lx) = ops.pop(j), ops.pop(i)
        later = keep.union(*(set(lz) for _, lz in ops))
        ops.append(contract_pair(x, lx, y, ly, later, sizes))
    x, lx = ops[0]
    return _permuted(x, lx, out)


def _sublist_equation(args):
    """PyTorch's interleaved form (op, sublist, op, sublist, ..., [output]) as an equation."""
    def letters(sublist):
        return "".join(_subscript_letter(s) for s in sublist)
    equation = ",".join(letters(s) for s in args[1::2])
    if len(args) % 2:
        return equation + "->" + letters(args[-1]), args[:-1:2]
    return equation, args[::2]


def _subscript_letter(s):
    if s is Ellipsis:
        return "..."
    if not 0 <= s < len(_LETTERS):
        raise ValueError("einsum(): subscript in subscript list is not within the valid range "
                         "[0, 52)")
    return _LETTERS[s]


def einsum(*args):
    """Einstein summation, PyTorch's semantics and messages (see the module docstring for the
    lowering). Operands are contracted pairwise in `greedy_pair`'s order, where PyTorch goes
    left to right unless opt_einsum is installed."""
    if len(args) < 2:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    if isinstance(args[0], TensorBase):
        equation, operands = _sublist_equation(args)
    else:
        equation, operands = args[0], args[1:]
    if not isinstance(equation, str):
        raise TypeError(f"einsum(): argument 'equation' (position 1) must be str, not "
                        f"{type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        return einsum(equation, *operands[0])
    for k, x in enumerate(operands):
        if not isinstance(x, TensorBase):
            raise TypeError(f"expected Tensor as element {k} in argument 1, but got "
                            f"{type(x).__name__}")
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    op_labels = _parse_inputs(lhs, len(operands))

    counts, ell_num_dim = {}, 0
    for i, (x, labels) in enumerate(zip(operands, op_labels)):
        named = [s for s in labels if s != _ELL]
        for s in named:
            counts[s] = counts.get(s, 0) + 1
        ndim, has_ell = x.dim(), len(named) != len(labels)
        if has_ell:
            ell_num_dim = max(ell_num_dim, ndim - len(named))
        if len(named) > ndim if has_ell else len(named) != ndim:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({len(named)}) "
                f"{'is more than' if has_ell else 'does not match'} the number of dimensions "
                f"({ndim}) for operand {i}{'' if has_ell else ' and no ellipsis was given'}")

    if arrow < 0:
        # Implicit output: the ellipsis dims, then the labels seen once, in label order.
        out = list(range(_ELL_BASE, _ELL_BASE + ell_num_dim)) + sorted(
            s for s, c in counts.items() if c == 1)
    else:
        out = _parse_output(equation[arrow + 2:], arrow + 2, counts, ell_num_dim)

    sizes = {}
    ops = [_align(i, x, labels, ell_num_dim, sizes)
           for i, (x, labels) in enumerate(zip(operands, op_labels))]
    # A size-1 dim broadcast against a larger one is dropped: the label is then simply absent
    # from that operand, which the pair lowering handles like any one-sided label.
    for n, (x, lx) in enumerate(ops):
        ones = tuple(d for d, s in enumerate(lx) if x.shape[d] == 1 and sizes[s] != 1)
        if ones:
            ops[n] = squeeze(x, ones), [s for d, s in enumerate(lx) if d not in ones]
    return _contract(ops, out, sizes)


# -- tensordot ------------------------------------------------------------------------------------

def _dim_list(dims, name, position):
    if hasattr(dims, "__index__"):
        raise TypeError(f"tensordot(): argument '{name}' (position {position}) must be tuple of "
                        f"ints, not {type(dims).__name__}")
    return [operator.index(d) for d in dims]


def _tensordot_dims(a, b, dims):
    """PyTorch's forms of `dims` (int, pair of lists, tensor) as two lists of dims."""
    if isinstance(dims, TensorBase):
        if dims.numel() > 1:
            if dims.shape[0] != 2:
                raise AssertionError(f"dims tensor must have size 2 in first dimension, got "
                                     f"{dims.shape[0]}")
            return dims[0].tolist(), dims[1].tolist()
        n = int(dims.item())
        if n < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        return list(range(-n, 0)), list(range(n))
    if isinstance(dims, (tuple, list)):
        dims_a, dims_b = dims
        return _dim_list(dims_a, "dims_self", 3), _dim_list(dims_b, "dims_other", 4)
    if not hasattr(dims, "__index__"):
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or "
                           f"list[list[int]] containing two lists, but got dims={dims}")
    n = operator.index(dims)
    if n < 0:
        raise RuntimeError(f"tensordot expects dims >= 0, but got dims={n}")
    if n > min(a.dim(), b.dim()):
        raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={n}")
    return list(range(-n, 0)), list(range(n))


def _unique_dims(dims, ndim):
    wrapped = [canonical_dim(d, ndim) for d in dims]
    for d in wrapped:
        if wrapped.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return wrapped


def tensordot(a, b, dims=2, out=None):
    check_tensor("tensordot", a, "a", 1)
    check_tensor("tensordot", b, "b", 2)
    dims_a, dims_b = _tensordot_dims(a, b, dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    if a.dtype is dt.bool:
        raise not_implemented("addmm_impl_cpu_", a.dtype)
    na, nb = a.dim(), b.dim()
    for da, db in zip(dims_a, dims_b):
        sa, sb = a.shape[canonical_dim(da, na)], b.shape[canonical_dim(db, nb)]
        if sa != sb and 1 not in (sa, sb):
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa} in "
                               f"dim {da} and second has size {sb} in dim {db}")
    dims_a, dims_b = _unique_dims(dims_a, na), _unique_dims(dims_b, nb)
    # A contracted dim of size 1 on one side broadcasts: sum the other side's dim first (kept,
    # with size 1), as PyTorch does.
    sum_a = tuple(da for da, db in zip(dims_a, dims_b) if b.shape[db] == 1 != a.shape[da])
    sum_b = tuple(db for da, db in zip(dims_a, dims_b) if a.shape[da] == 1 != b.shape[db])
    if sum_a:
        a = sum(a, sum_a, keepdim=True, dtype=a.dtype)
    if sum_b:
        b = sum(b, sum_b, keepdim=True, dtype=b.dtype)
    # Name a's dims 0..na-1 and b's free dims na.., b's contracted dims after their partners.
    la = list(range(na))
    partner = dict(zip(dims_b, dims_a))
    lb = [partner[d] if d in partner else na + d for d in range(nb)]
    keep = {s for s in la if s not in dims_a} | {s for s in lb if s >= na}
    sizes = dict(zip(la, a.shape)) | dict(zip(lb, b.shape))
    result, _ = contract_pair(a, la, b, lb, keep, sizes)
    return finish_out(result, out)


# -- Kronecker product ----------------------------------------------------------------------------

def kron(input, other, *, out=None):
    check_tensor("kron", input, "input", 1)
    check_tensor("kron", other, "other", 2)
    nd = max(input.dim(), other.dim())
    sa = (1,) * (nd - input.dim()) + tuple(input.shape)
    sb = (1,) * (nd - other.dim()) + tuple(other.shape)
    # Interleave: a as (a0, 1, a1, 1, ...) times b as (1, b0, 1, b1, ...) is the Kronecker
    # product with its dims paired; the product is contiguous, so the final reshape is a view.
    a = reshape(input, tuple(n for s in sa for n in (s, 1)))
    b = reshape(other, tuple(n for s in sb for n in (1, s)))
    result = reshape(mul(a, b), tuple(x * y for x, y in zip(sa, sb)))
    return finish_out(result, out)


# -- matrix chains --------------------------------------------------------------------------------

def chain_order(dims):
    """The cheapest parenthesisation of a chain of matrices, matrix i being dims[i] x
    dims[i + 1], by the classic O(n^3) dynamic program on multiply-add counts (CLRS 15.2), as a
    nested pair of matrix indices: ((0, 1), 2) multiplies the first two first."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def tree(i, j):
        return i if i == j else (tree(i, split[i][j]), tree(split[i][j] + 1, j))
    return tree(0, n - 1)


def multi_dot(tensors):
    """linalg.multi_dot's checks (in PyTorch's order and words) and product; a 1-D first
    (last) operand is a row (column) vector whose dim is dropped from the result."""
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    first, last = tensors[0], tensors[-1]
    for which, x in (("first", first), ("last", last)):
        if x.dim() not in (1, 2):
            raise RuntimeError(f"multi_dot(): the {which} tensor must be 1D or 2D but got "
                               f"{x.dim()}D")
    for i in range(1, n):
        x = tensors[i]
        if i < n - 1 and x.dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {x.dim()}D")
        if x.dtype is not first.dtype:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                f"{CPP_NAMES[first.dtype.name]} and tensor {i} {CPP_NAMES[x.dtype.name]}")
    mats = list(tensors)
    if first.dim() == 1:
        mats[0] = unsqueeze(first, 0)
    if last.dim() == 1:
        mats[-1] = unsqueeze(last, 1)
    for i in range(n - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                f"{list(tensors[i + 1].shape)} cannot be multiplied")

    def product(node):
        if isinstance(node, int):
            return mats[node]
        return mm(product(node[0]), product(node[1]))
    result = product(chain_order([mats[0].shape[0]] + [m.shape[1] for m in mats]))
    shape = (() if first.dim() == 1 else (result.shape[0],)) + (
        () if last.dim() == 1 else (result.shape[1],))
    return reshape(result, shape)


def chain_matmul(*matrices, out=None):
    warnings.warn("lamina.chain_matmul is deprecated and will be removed in a future lamina "
                  "release. Use lamina.linalg.multi_dot instead, which accepts a list of two or "
                  "more tensors rather than multiple parameters.", UserWarning, stacklevel=2)
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for k, m in enumerate(matrices):
        check_tensor("chain_matmul", m, f"matrices[{k}]", k + 1)
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    result = clone(matrices[0]) if len(matrices) == 1 else multi_dot(matrices)
    return finish_out(result, out)


# -- vecdot ---------------------------------------------------------------------------------------

def vecdot(x, y, dim):
    """sum(conj(x) * y) over `dim` of the broadcast shape, as one batched (1 x K) @ (K x 1)
    product per broadcast element (einsum's lowering)."""
    if x.dim() == 1 and y.dim() == 1:
        # PyTorch's vdot path: no broadcasting, and `dim` is not looked at.
        n, m = x.shape[0], y.shape[0]
        if n != m:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to "
                               f"have the same number of elements, but got {n} and {m} elements "
                               "respectively")
        return einsum("i,i->", conj(x), y)
    nd = max(len(broadcast_shape(x.shape, y.shape)), 1)
    d = canonical_dim(dim, nd) - nd  # negative, so it names the same dim in both operands

    def last(t):
        # An operand without that dim broadcasts along it: a size-1 dim, which einsum drops.
        return movedim(t, d, -1) if -d <= t.dim() else unsqueeze(t, -1)
    return einsum("...i,...i->...", conj(last(x)), last(y))


__all__ = ["einsum", "tensordot", "kron", "chain_matmul"]
METHODS = {"kron": kron}
