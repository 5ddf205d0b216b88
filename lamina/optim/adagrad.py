"""Adagrad (torch.optim.Adagrad; Duchi, Hazan & Singer 2011) with torch's lr_decay."""

from .. import full_like
from ._updates import addcdiv_, addcmul_, check_nonnegative, real_views, step_counter
from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_nonnegative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        # Unlike the other optimizers, torch's Adagrad creates every parameter's state at
        # construction, frozen ones included, so a state_dict lists them all from the start.
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, param):
        # torch reads the accumulator's start from the defaults, not from the group.
        state = self.state[param]
        state["step"] = step_counter()
        # A complex parameter's real and imaginary parts each start at the value.
        value = self.defaults["initial_accumulator_value"]
        state["sum"] = full_like(param, complex(value, value) if param.is_complex() else value)
        return state

    # torch's _single_tensor_adagrad: the effective rate lr / (1 + (step - 1) * lr_decay) uses the
    # count after this step's increment.
    def _update_group(self, group, params):
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        weight_decay = group["weight_decay"]
        for param in params:
            state = self.state[param] or self._init_state(param)
            state_sum, step_t = state["sum"], state["step"]
            step_t += 1
            step = step_t.item()
            grad = -param.grad if group["maximize"] else param.grad
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            clr = lr / (1 + (step - 1) * lr_decay)
            for p, g, total in real_views(param, grad, state_sum):
                addcmul_(total, g, g, 1)
                addcdiv_(p, g, total.sqrt().add_(eps), -clr)
