"""lamina: batched linear algebra tensors with PyTorch's API."""

from ._core import dtype as _dt
from ._core._tensor import Size, get_default_dtype, set_default_dtype
from ._core._threads import get_num_threads, set_num_threads
from ._core.device import device
from ._core.dtype import (
    bool,
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from ._core.printing import get_printoptions, set_printoptions
from ._core.tensor import Tensor
from ._ops import (
    blas,
    contraction,
    conversion,
    creation,
    elementwise,
    indexing,
    joining,
    mutation,
    reduction,
    scans,
    shape,
    sorting,
    unary,
)

# Every op family contributes its public functions (`__all__`) and its Tensor methods (`METHODS`).
# A later family's name wins: blas's matmul replaces elementwise's NumPy stand-in.
_FAMILIES = (creation, conversion, elementwise, unary, reduction, scans, sorting, shape, joining,
             indexing, mutation, blas, contraction)
for _family in _FAMILIES:
    for _name in _family.__all__:
        globals()[_name] = getattr(_family, _name)
    for _name, _fn in _family.METHODS.items():
        setattr(Tensor, _name, _fn)
del _family, _name, _fn

from . import autograd, cuda, func, linalg  # noqa: E402  (subpackages see the assembled namespace)
from . import nn as nn  # noqa: E402
from . import optim as optim  # noqa: E402
from . import utils as utils  # noqa: E402
from .autograd.grad_mode import (  # noqa: E402
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .func import vmap  # noqa: E402
from .sparse._coo import sparse_coo, sparse_coo_tensor, strided  # noqa: E402


# linalg's functions that torch also has at top level (torch.det, torch.cholesky_solve, ...) and
# as Tensor methods.
def _install_linalg():
    for family in linalg._FAMILIES:
        globals().update(family.TOPLEVEL)
        for name, fn in family.METHODS.items():
            setattr(Tensor, name, fn)


_install_linalg()
del _install_linalg
