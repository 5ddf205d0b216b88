"""RMSprop (torch.optim.RMSprop): Hinton's running average of squared gradients, optionally
centered (Graves 2013, eqs 38-45) and with a momentum buffer on the scaled gradient."""

from .. import zeros_like
from ._updates import addcdiv_, addcmul_, check_nonnegative, real_views, step_counter
from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                           alpha=alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    # torch's _single_tensor_rmsprop. eps is added outside the square root, and the centered
    # variance is E[g^2] - E[g]^2 from the two running averages.
    def _update_group(self, group, params):
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        weight_decay = group["weight_decay"]
        for param in params:
            state = self.state[param]
            if len(state) == 0:
                state["step"] = step_counter()
                state["square_avg"] = zeros_like(param)
                if momentum > 0:
                    state["momentum_buffer"] = zeros_like(param)
                if group["centered"]:
                    state["grad_avg"] = zeros_like(param)
            grad = -param.grad if group["maximize"] else param.grad
            state["step"] += 1
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            grad_avg = state["grad_avg"] if group["centered"] else None
            buf = state["momentum_buffer"] if momentum > 0 else None
            for p, g, v, g_avg, b in real_views(param, grad, state["square_avg"], grad_avg, buf):
                addcmul_(v.mul_(alpha), g, g, 1 - alpha)
                if g_avg is not None:
                    g_avg.lerp_(g, 1 - alpha)
                    avg = addcmul_(v.clone(), g_avg, g_avg, -1).sqrt_()
                else:
                    avg = v.sqrt()
                avg = avg.add_(eps)
                if b is not None:
                    addcdiv_(b.mul_(momentum), g, avg, 1)
                    p.add_(b, alpha=-lr)
                else:
                    addcdiv_(p, g, avg, -lr)
