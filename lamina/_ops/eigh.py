"""Hermitian eigendecomposition primitives: eigh (eigenvalues, eigenvectors, info) and eigvalsh
(eigenvalues, info).

Two primitives because they are two kernel calls of different cost (with and without
eigenvectors: ?syevd's two jobs, or for real n <= 32 the tiny kernel's tql2 and root-free QL,
lamina/_core/_eigh.pyx) and their derivatives differ: eigh's VJP is
V (diag(ct_w) + F o (V^H ct_V)) V^H (Giles 2008, "An extended collection of matrix derivative
results for forward and reverse mode algorithmic differentiation"); eigvalsh's needs only
V diag(ct_w) V^H. Issues 6/7 add them. `info` is LAPACK's per-matrix convergence status (0
everywhere but where ?syevd failed to converge; the tiny kernel hands a matrix it cannot
finish to ?syevd).

Eigenvalues are real (float32/float64 for complex input too) and ascending; eigenvectors come
back as column-major batches, as PyTorch's (the kernel's C-contiguous buffer holds them as rows).
Only the `UPLO` triangle is read; a matrix whose triangle holds NaN or Inf gets NaN outputs.
"""

import numpy as np

from .._core import _eigh
from ._batching import physical, to_front
from ._rules import spectral_gaps
from .primitive import Primitive
from .qr import _batched

_GAUGE = ("linalg_eigh_backward: The eigenvectors in the complex case are specified up to "
          "multiplication by e^{i phi}. The specified loss function depends on this quantity, so "
          "it is ill-defined.")


def _call(a, vectors, lower):
    *batch, n, _ = a.shape
    batch = tuple(batch)
    w, v, info = _eigh.eigh(_batched(a, (n, n)), vectors, lower)
    w, info = w.reshape(batch + (n,)), info.reshape(batch)
    if v is not None:
        v = v.reshape(batch + (n, n)).swapaxes(-1, -2)
    return w, v, info


def _eigh_cpu(a, *, UPLO):
    return _call(a, True, UPLO == "L")


def _eigh_fwd(xp, a, *, UPLO):
    w, v = xp.linalg.eigh(a, UPLO=UPLO)
    return w, v, xp.zeros(a.shape[:-2], dtype=np.int32)


# PyTorch's linalg_eig_backward with is_hermitian (Giles 2008, sec. 3.1):
# gA = V (diag(gw) + skew(V^H gV) / E) V^H, E_ij = w_j - w_i; UPLO plays no part, so gA is the
# full Hermitian matrix, not only the triangle the kernel read. Reads only w and V.
def _eigh_vjp(ct, out, A, *, UPLO):
    gw, gV, _ = ct
    w, V, _ = out
    if gV is None:
        return (_eigvalsh_grad(gw, V),)
    VhgV = V.mH @ gV
    if V.dtype.is_complex:
        # A loss that depends on each eigenvector's phase has no gradient (PyTorch's check).
        # Read on the physical values: under vmap the check covers the whole batch.
        if not np.allclose(physical(VhgV)._data.diagonal(0, -2, -1).imag, 0, rtol=1e-2,
                           atol=1e-2):
            raise RuntimeError(_GAUGE)
    inner = (VhgV - VhgV.mH) * 0.5 / spectral_gaps(w)
    if gw is not None:
        eye = w.new_ones(w._data.shape[-1]).diag_embed()
        inner = inner * (1 - eye) + gw.diag_embed()
    return (V @ (inner @ V.mH),)


def _eigvalsh_grad(gw, V):
    """V diag(gw) V^H: the eigenvalues' share, finite at repeated eigenvalues too."""
    return (V * gw.unsqueeze(-2)) @ V.mH


# PyTorch's linalg_eig_jvp with is_hermitian: with dP = V^H dA V, dw = Re diag(dP) and
# dV = V (dP / E), E_ij = w_j - w_i, with a zero diagonal (each eigenvector's phase held fixed:
# Im v_i^H dv_i = 0). dA enters whole, as PyTorch's does: the rule assumes a Hermitian tangent,
# the derivative's domain (a non-Hermitian one is taken as is, not as its UPLO triangle).
def _eigh_jvp(tangents, out, A, *, UPLO):
    w, V, _ = out
    dP = V.mH @ (tangents[0] @ V)
    dw = dP.diagonal(0, -2, -1)
    eye = w.new_ones(w._data.shape[-1]).diag_embed()
    return (dw.real if dP.dtype.is_complex else dw), V @ (dP * (1 - eye) / spectral_gaps(w)), None


# The kernel batches over leading dims: the mapped dim goes first, one call; info is batched too.
def _eigh_batch(bdims, A, *, UPLO):
    return eigh_p(to_front(A, bdims[0]), UPLO=UPLO), 0


eigh_p = Primitive("eigh", cpu=_eigh_cpu, xp=_eigh_fwd, vjp=_eigh_vjp, jvp=_eigh_jvp,
                   batch=_eigh_batch, saves=("out",))


def _eigvalsh_cpu(a, *, UPLO):
    w, _, info = _call(a, False, UPLO == "L")
    return w, info


def _eigvalsh_fwd(xp, a, *, UPLO):
    return xp.linalg.eigvalsh(a, UPLO=UPLO), xp.zeros(a.shape[:-2], dtype=np.int32)


# derivatives.yaml: _linalg_eigh (eigenvalues only): gA = V diag(gw) V^H. The primitive did not
# compute V, so the rule does (linalg.eigvalsh calls eigh_p instead when A requires grad, as
# PyTorch's computes vectors then); through eigh_p the rule stays differentiable.
def _eigvalsh_vjp(ct, out, A, *, UPLO):
    return (_eigvalsh_grad(ct[0], eigh_p(A, UPLO=UPLO)[1]),)


# dw = Re diag(V^H dA V) (the eigenvalues' share of eigh's rule), with V computed by eigh_p.
def _eigvalsh_jvp(tangents, out, A, *, UPLO):
    V = eigh_p(A, UPLO=UPLO)[1]
    dw = (V.conj() * (tangents[0] @ V)).sum(-2)
    return (dw.real if dw.dtype.is_complex else dw), None


def _eigvalsh_batch(bdims, A, *, UPLO):
    return eigvalsh_p(to_front(A, bdims[0]), UPLO=UPLO), 0


eigvalsh_p = Primitive("eigvalsh", cpu=_eigvalsh_cpu, xp=_eigvalsh_fwd, vjp=_eigvalsh_vjp,
                       jvp=_eigvalsh_jvp, batch=_eigvalsh_batch, saves=(0,))
