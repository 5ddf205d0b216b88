"""RMSprop (torch.optim.RMSprop): Hinton's running average of squared gradients, optionally
centered (Graves 2013, eqs 38-45) and with a momentum buffer on the scaled gradient."""

from .. import zeros_like
from .optimizer import Optimizer, _addcdiv_, _addcmul_, _check_nonnegative, _step_counter

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
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
                state["step"] = _step_counter()
                state["square_avg"] = zeros_like(param)
                if momentum > 0:
                    state["momentum_buffer"] = zeros_like(param)
                if group["centered"]:
                    state["grad_avg"] = zeros_like(param)
            grad = -param.grad if group["maximize"] else param.grad
            square_avg = state["square_avg"]
            state["step"] += 1
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            _addcmul_(square_avg.mul_(alpha), grad, grad, 1 - alpha)
            if group["centered"]:
                grad_avg = state["grad_avg"]
                grad_avg.lerp_(grad, 1 - alpha)
                avg = _addcmul_(square_avg.clone(), grad_avg, grad_avg, -1).sqrt_()
            else:
                avg = square_avg.sqrt()
            avg = avg.add_(eps)
            if momentum > 0:
                buf = state["momentum_buffer"]
                _addcdiv_(buf.mul_(momentum), grad, avg, 1)
                param.add_(buf, alpha=-lr)
            else:
                _addcdiv_(param, grad, avg, -lr)
