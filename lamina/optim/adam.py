"""Adam and AdamW (torch.optim.Adam, torch.optim.AdamW): one update, two weight decays.

Adam adds `weight_decay * param` to the gradient (L2, coupled into the moments); AdamW shrinks
the parameter by `lr * weight_decay` before the update (Loshchilov & Hutter 2019, Algorithm 2).
"""

from .. import maximum, zeros_like
from ._updates import addcdiv_, addcmul_, check_nonnegative, real_views, step_counter
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        check_nonnegative(lr=lr, eps=eps)
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        check_nonnegative(weight_decay=weight_decay)
        if not (isinstance(betas[0], float) and isinstance(betas[1], float)):
            raise ValueError("betas must be either both floats or both Tensors")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    # torch's _single_tensor_adam, non-capturable branch: the step count is read back as a
    # Python number and the bias corrections are applied to the step size and to the
    # denominator, not to the moments (Kingma & Ba 2015, the efficient form after Algorithm 1).
    def _update_group(self, group, params):
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        for param in params:
            state = self.state[param]
            if len(state) == 0:
                state["step"] = step_counter()
                state["exp_avg"] = zeros_like(param)
                state["exp_avg_sq"] = zeros_like(param)
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = zeros_like(param)
            grad = -param.grad if group["maximize"] else param.grad
            exp_avg, exp_avg_sq, step_t = state["exp_avg"], state["exp_avg_sq"], state["step"]
            step_t += 1
            if weight_decay != 0:
                if group["decoupled_weight_decay"]:
                    param.mul_(1 - lr * weight_decay)
                else:
                    grad = grad.add(param, alpha=weight_decay)
            step = step_t.item()
            step_size = lr / (1 - beta1**step)
            bias_correction2_sqrt = (1 - beta2**step) ** 0.5
            max_exp_avg_sq = state["max_exp_avg_sq"] if group["amsgrad"] else None
            for p, g, m, v, v_max in real_views(param, grad, exp_avg, exp_avg_sq,
                                                 max_exp_avg_sq):
                m.lerp_(g, 1 - beta1)
                addcmul_(v.mul_(beta2), g, g, 1 - beta2)
                if v_max is not None:
                    maximum(v_max, v, out=v_max)
                    v = v_max
                denom = (v.sqrt() / bias_correction2_sqrt).add_(eps)
                addcdiv_(p, m, denom, -step_size)

class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    # A state_dict saved by Adam loads into AdamW without turning its decay back into L2.
    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
