"""What Module.zero_grad and Optimizer.zero_grad share: clearing the `.grad` of parameters."""


def zero_grads(params, set_to_none=True):
    """Each parameter's grad set to None or, with set_to_none=False, zeroed in place and cut off
    from any graph that made it (detached if it has a grad_fn, else no longer requiring grad),
    as torch does."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            if p.grad.grad_fn is not None:
                p.grad.detach_()
            else:
                p.grad.requires_grad_(False)
            p.grad.zero_()
