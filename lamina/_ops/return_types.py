"""The named tuples PyTorch returns (`torch.return_types.max`, `linalg_eigh`, ...), by name."""

import collections
import types


def _structseq_repr(self):
    body = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"lamina.return_types.{type(self).__name__}(\n{body})"


def _structseq(name, fields):
    cls = collections.namedtuple(name, fields)
    cls.__module__ = "lamina.return_types"
    cls.__repr__ = _structseq_repr
    return cls


_FIELDS = {
    **{name: ("values", "indices") for name in (
        "max", "min", "median", "nanmedian", "mode", "cummax", "cummin", "sort", "topk",
        "kthvalue")},
    "aminmax": ("min", "max"),
    # linalg
    "linalg_cholesky_ex": ("L", "info"),
    "linalg_inv_ex": ("inverse", "info"),
    "linalg_solve_ex": ("result", "info"),
    "linalg_lu_factor": ("LU", "pivots"),
    "linalg_lu_factor_ex": ("LU", "pivots", "info"),
    "linalg_lu": ("P", "L", "U"),
    "_lu_with_info": ("LU", "pivots", "info"),
    "lu_unpack": ("P", "L", "U"),
    "linalg_qr": ("Q", "R"),
    "qr": ("Q", "R"),
    "geqrf": ("a", "tau"),
    "linalg_eigh": ("eigenvalues", "eigenvectors"),
    "linalg_eig": ("eigenvalues", "eigenvectors"),
    "linalg_svd": ("U", "S", "Vh"),
    "svd": ("U", "S", "V"),
    "linalg_slogdet": ("sign", "logabsdet"),
    "slogdet": ("sign", "logabsdet"),
    "linalg_lstsq": ("solution", "residuals", "rank", "singular_values"),
    "linalg_ldl_factor": ("LD", "pivots"),
    "linalg_ldl_factor_ex": ("LD", "pivots", "info"),
    "triangular_solve": ("solution", "cloned_coefficient"),
}

return_types = types.SimpleNamespace(
    **{name: _structseq(name, fields) for name, fields in _FIELDS.items()})
