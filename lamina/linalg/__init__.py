"""lamina.linalg: the torch.linalg surface.

Argument checks, error messages and compositions of _ops primitives; the kernels live in
lamina/_core. One module per family, each listing its public names (`__all__`), the ones torch
also has at top level (`TOPLEVEL`, installed on `lamina` by lamina/__init__.py) and its Tensor
methods (`METHODS`).
"""

from . import (
    _cholesky,
    _eig,
    _eigh,
    _functions,
    _ldl,
    _lstsq,
    _lu,
    _norms,
    _products,
    _qr,
    _svd,
)
from ._checks import LinAlgError

_FAMILIES = (_products, _cholesky, _lu, _qr, _eigh, _svd, _eig, _lstsq, _ldl, _norms,
             _functions)
for _family in _FAMILIES:
    for _name in _family.__all__:
        globals()[_name] = getattr(_family, _name)
del _family, _name

__all__ = ["LinAlgError"] + [name for family in _FAMILIES for name in family.__all__]
