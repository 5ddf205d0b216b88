"""lamina.func: torch.func's composable transforms (grad, vjp, jvp, vmap, jacrev, jacfwd,
hessian, functional_call), each a level of the transform stack in lamina._ops.primitive."""

from ._forward import jvp, linearize
from ._functional_call import functional_call
from ._jacobian import hessian, jacfwd, jacrev
from ._reverse import grad, grad_and_value, vjp
from ._vmap import vmap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian",
           "vmap", "functional_call"]
