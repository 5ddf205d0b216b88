"""The eigendecomposition primitive for general square matrices, behind linalg.eig and
linalg.eigvals.

On cpu it runs the batched ?geev kernel (lamina/_core/_eig.pyx): one column-major scratch copy
per matrix, complex outputs whatever the input (eigenvectors column-major, PyTorch's strides),
the batch split across threads, and matrices holding NaN or infinity kept away from LAPACK with
NaN outputs and info = NONFINITE instead.
"""

import numpy as np

from .._core import _eig
from ._batching import physical, to_front
from ._rules import spectral_gaps
from .lu import solve_ex_p
from .primitive import Primitive

NONFINITE = _eig.NONFINITE
_COMPLEX = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128,
            np.dtype(np.complex64): np.complex64, np.dtype(np.complex128): np.complex128}


# A primitive because the factorization is where the work is, and because its derivative is the
# eigendecomposition's own rule (Giles 2008, "An extended collection of matrix derivative results
# for forward and reverse mode AD", section 3.1), not a composition's. Outputs (w, V, info) with
# compute_v, else (w, info): info is 0, LAPACK's convergence failure index, or NONFINITE.
def _eig_ex_xp(xp, A, *, compute_v):
    ctype = _COMPLEX[A.dtype]
    finite = xp.isfinite(A).all(axis=(-2, -1))
    safe = xp.where(finite[..., None, None], A, 0)
    info = xp.where(finite, 0, NONFINITE).astype(np.int32)
    bad = ~finite
    if not compute_v:
        w = xp.linalg.eigvals(safe).astype(ctype)
        w[bad] = np.nan
        return w, info
    w, V = xp.linalg.eig(safe)
    w, V = w.astype(ctype), V.astype(ctype)
    w[bad], V[bad] = np.nan, np.nan
    return w, V, info


def _eig_ex_cpu(A, *, compute_v):
    w, V, info = _eig.geev_batched(A, compute_v)
    return (w, V, info) if compute_v else (w, info)


# PyTorch's linalg_eig_backward (arXiv:1701.00392 eq. 4.77, with the term that keeps
# eigenvectors of unit norm): gA = V^-H (diag(gw) + (V^H gV - V^H V Re diag(V^H gV)) / conj(E))
# V^H, E_ij = w_j - w_i. The engine keeps the real part for a real A (handle_r_to_c). Reads only
# w and V: linalg.eigvals asks for V when A requires grad, as PyTorch's does.
def _eig_ex_vjp(ct, out, A, *, compute_v):
    if not compute_v:
        raise RuntimeError("eig_ex: the derivative of the eigenvalues alone needs the "
                           "eigenvectors; call it with compute_v=True")
    gw, gV, _ = ct
    w, V, _ = out
    Vh = V.mH
    if gV is None:
        return (solve_ex_p(Vh, gw.unsqueeze(-1) * Vh)[0],)
    VhgV = Vh @ gV
    diag = VhgV.diagonal(0, -2, -1)
    # Read on the physical values: under vmap the check covers the whole batch.
    if not np.allclose(physical(diag)._data.imag, 0, rtol=1e-2, atol=1e-2):
        raise RuntimeError(_GAUGE)
    VhgV = VhgV - Vh @ (V * diag.real.unsqueeze(-2))
    inner = VhgV / spectral_gaps(w.conj())
    if gw is not None:
        eye = w.real.new_ones(w._data.shape[-1]).diag_embed()
        inner = inner * (1 - eye) + gw.diag_embed()
    return (solve_ex_p(Vh, inner @ Vh)[0],)


_GAUGE = ("linalg_eig_backward: The eigenvectors in the complex case are specified up to "
          "multiplication by e^{i phi}. The specified loss function depends on this quantity, so "
          "it is ill-defined.")


# PyTorch's linalg_eig_jvp: with dP = V^-1 dA V, dw = diag(dP) and dV = V (dX - diag(Re diag(
# V^H V dX))), dX = dP / E off the diagonal (E_ij = w_j - w_i) and zero on it; the diagonal
# term keeps each eigenvector of unit norm (Re v_i^H dv_i = 0), as ?geev normalises them. A
# real A's tangent is taken to the complex dtype of the outputs. Without V (linalg.eigvals
# outside autograd) the rule computes it.
def _eig_ex_jvp(tangents, out, A, *, compute_v):
    w, V = out[0], out[1] if compute_v else eig_ex_p(A, compute_v=True)[1]
    dA = tangents[0].to(V.dtype)
    dP = solve_ex_p(V, dA @ V)[0]
    dw = dP.diagonal(0, -2, -1)
    if not compute_v:
        return dw, None
    eye = w.real.new_ones(w._data.shape[-1]).diag_embed()
    dX = dP * (1 - eye) / spectral_gaps(w)
    VdX = V @ dX
    norm = (V.conj() * VdX).sum(-2).real
    return dw, VdX - V * norm.unsqueeze(-2), None


# The kernel batches over leading dims: the mapped dim goes first, one call; info is batched too.
def _eig_ex_batch(bdims, A, *, compute_v):
    return eig_ex_p(to_front(A, bdims[0]), compute_v=compute_v), 0


eig_ex_p = Primitive("eig_ex", cpu=_eig_ex_cpu, xp=_eig_ex_xp, vjp=_eig_ex_vjp, jvp=_eig_ex_jvp,
                     batch=_eig_ex_batch, saves=("out",))
