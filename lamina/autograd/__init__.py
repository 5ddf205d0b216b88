"""lamina.autograd: the reverse-mode tape, grad modes, Function and gradcheck.

Importing this package registers its tape with the compiled op path (`_core._tensor`), after
which any op whose arguments require grad records a node.
"""

from .._core._tensor import _register_tape
from .._core.tensor import Tensor
from . import engine, function, grad_mode, graph, tensor_api  # noqa: F401
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import Node

_register_tape(graph.Tape)
for _name, _fn in tensor_api.METHODS.items():
    setattr(Tensor, _name, _fn)
del _name, _fn

__all__ = ["backward", "grad", "Function", "FunctionCtx", "once_differentiable", "gradcheck",
           "gradgradcheck", "GradcheckError", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled", "Node"]
