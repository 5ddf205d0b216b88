"""lamina.nn.functional: the layers and losses as functions, composed from lamina's ops so that
autograd, forward mode and vmap apply to them without rules of their own."""

import warnings

import lamina as lm

from .._ops.primitive import LEVELS

# -- layers ----------------------------------------------------------------------------------------


def linear(input, weight, bias=None):
    """y = x W^T + b. With a bias, one addmm over the rows of x (leading dims flattened), as
    PyTorch does: the bias add is fused, and the dtype and shape errors are addmm's."""
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input.ndim}D and {weight.ndim}D")
    if bias is None or weight.ndim != 2:
        out = lm.matmul(input, weight.t() if weight.ndim == 2 else weight)
        return out if bias is None else out + bias
    if input.ndim == 2:
        return lm.addmm(bias, input, weight.t())
    rows = input.reshape(-1, input.shape[-1])
    return lm.addmm(bias, rows, weight.t()).reshape(*input.shape[:-1], weight.shape[0])


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T A_k x2 + b_k, for weight A of shape (out, in1, in2)."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    out = lm.einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


def relu(input, inplace=False):
    return input.relu_() if inplace else lm.relu(input)


def tanh(input):
    return lm.tanh(input)


def sigmoid(input):
    return lm.sigmoid(input)


def _softmax_dim(name, dim, ndim, stacklevel):
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x): logsumexp shifts by the maximum, so neither large nor very negative
    logits overflow, and its derivative is the softmax itself."""
    dim = _softmax_dim("log_softmax", dim, input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return input - lm.logsumexp(input, dim, keepdim=True)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    dim = _softmax_dim("softmax", dim, input.ndim, _stacklevel)
    return lm.exp(log_softmax(input, dim, dtype=dtype))


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the survivors by 1/(1-p), so that the
    expectation is unchanged; the identity when not training."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = input * 0.0
    else:
        keep = lm.bernoulli(lm.full_like(input, 1.0 - p))
        out = input * keep * (1.0 / (1.0 - p))
    return input.copy_(out) if inplace else out


# -- losses ----------------------------------------------------------------------------------------


def _legacy_reduction(size_average, reduce, reduction):
    """The deprecated size_average/reduce pair mapped to a reduction, with PyTorch's warning."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", stacklevel=3)
    return reduction


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _pointwise_loss(fn, input, target, size_average, reduce, reduction, weight):
    """mse_loss and l1_loss: fn(input - target), broadcast with PyTorch's warning; a weight makes
    the mean a weighted mean (divided by weight.sum())."""
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = fn(input - target)
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean":
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    return _pointwise_loss(lm.square, input, target, size_average, reduce, reduction, weight)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    return _pointwise_loss(lm.abs, input, target, size_average, reduce, reduction, weight)


def _class_weights(weight, target, ignore_index, n_classes, dtype):
    """Each target's class weight (1 without a weight), 0 where the target is ignored; the
    target with ignored entries replaced by class 0 so that it can index; the mask of kept
    targets."""
    keep = target != ignore_index
    safe = lm.where(keep, target, 0)
    # Bounds are data: checked eagerly only (under a transform the values are not concrete).
    if not LEVELS and bool(((safe < 0) | (safe >= n_classes)).any()):
        bad = safe[(safe < 0) | (safe >= n_classes)]
        raise IndexError(f"Target {bad[0].item()} is out of bounds.")
    if weight is None:
        return keep.to(dtype), safe, keep
    if weight.shape != (n_classes,):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes "
                           f"or no classes but got weight tensor of shape: {list(weight.shape)}")
    return lm.where(keep, weight[safe], 0.0), safe, keep


def _nll(input, target, weight, ignore_index):
    """Per-element -w[t] x[t] over the class dim (dim 1, or 0 for one unbatched sample), with
    each target's weight w[t] (0 where ignored) and the mask of kept targets."""
    class_dim = 1 if input.ndim >= 2 else 0
    if input.ndim in (1, 2) and target.ndim != input.ndim - 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if target.is_floating_point():
        # torch's scalar type name: lamina.FloatTensor -> Float
        raise RuntimeError(f"expected scalar type Long but found {target.type()[7:-6]}")
    if input.ndim >= 2 and target.ndim and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({target.shape[0]}).")
    w, safe, keep = _class_weights(weight, target, ignore_index, input.shape[class_dim],
                                   input.dtype)
    picked = lm.gather(input, class_dim, safe.unsqueeze(class_dim)).squeeze(class_dim)
    return lm.where(keep, -picked * w, 0.0), w, keep


def _weighted_reduce(loss, w, reduction):
    """PyTorch's reduction of a class-indexed loss: the mean divides by the sum of the kept
    targets' weights, not by their count."""
    return loss.sum() / w.sum() if reduction == "mean" else _reduce(loss, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss, w, _ = _nll(input, target, weight, ignore_index)
    return _weighted_reduce(loss, w, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """log_softmax then NLL for class indices; for class probabilities -sum_c w_c p_c log q_c,
    whose mean is over the samples (not weighted). Label smoothing eps mixes the targets with the
    uniform distribution: (1 - eps) * loss + eps / C * (the loss against every class)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    class_dim = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[class_dim]
    logp = log_softmax(input, class_dim)
    # Weights broadcast along the class dim of logp.
    w_shape = (n_classes,) + (1,) * (input.ndim - class_dim - 1)
    # Class probabilities when the target has the input's shape, as PyTorch decides.
    if target.is_floating_point() and target.shape == input.shape:
        if label_smoothing > 0.0:
            target = target * (1.0 - label_smoothing) + label_smoothing / n_classes
        per_class = logp * target
        if weight is not None:
            per_class = per_class * weight.reshape(w_shape)
        # The mean is over the samples, whatever the weights.
        return _reduce(-per_class.sum(class_dim), reduction)
    loss, w, keep = _nll(logp, target, weight, ignore_index)
    nll = _weighted_reduce(loss, w, reduction)
    if label_smoothing == 0.0:
        return nll
    all_classes = logp if weight is None else logp * weight.reshape(w_shape)
    smooth = _weighted_reduce(lm.where(keep, -all_classes.sum(class_dim), 0.0), w, reduction)
    return (1.0 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


# PyTorch's bound on x (1 - x) in the gradient of binary cross-entropy.
_BCE_EPS = 1e-12


def _clamped_log(log, arg, valid, safe):
    """log(arg) clamped at -100, -100 outside `valid`. The inner where gives log a harmless
    argument where arg would make it infinite, so no 0 * inf = nan reaches a gradient."""
    return lm.where(valid, lm.clamp_min(log(lm.where(valid, arg, safe)), -100.0), -100.0)


def _bce_terms(input, target):
    x = input
    return -(target * _clamped_log(lm.log, x, x > 0, 1.0)
             + (1.0 - target) * _clamped_log(lm.log1p, -x, x < 1, 0.0))


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-w (t log x + (1 - t) log(1 - x)), each log clamped at -100 as PyTorch does, so that a
    saturated probability gives a large finite loss instead of inf.

    PyTorch's gradient in x is (x - t) / max(x (1 - x), 1e-12): where x (1 - x) is below that
    bound (x at or next to 0 or 1) the loss is taken at a detached x, plus a term of value zero
    whose slope in x is that bound's, (x - x.detach()) (x - t) / 1e-12."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input "
                         f"size ({input.shape}) is deprecated. Please ensure they have the same "
                         "size.")
    if not LEVELS and bool(((input < 0) | (input > 1)).any()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    fixed = input.detach()
    saturated = _bce_terms(fixed, target) + (input - fixed) * (input - target) / _BCE_EPS
    loss = lm.where(fixed * (1.0 - fixed) < _BCE_EPS, saturated, _bce_terms(input, target))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """(1 - t) x + l (log1p(exp(-|x|)) + max(-x, 0)), with l = 1 + (pos_weight - 1) t: the
    stable form of -[pos_weight t log s(x) + (1 - t) log(1 - s(x))], which never exponentiates
    a positive number. maximum splits its derivative at a tie, so x = 0 gets the exact slope."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    softplus_neg = lm.log1p(lm.exp(-lm.abs(input))) + lm.maximum(-input, input.new_zeros(()))
    if pos_weight is None:
        loss = (1.0 - target) * input + softplus_neg
    else:
        loss = (1.0 - target) * input + (1.0 + (pos_weight - 1.0) * target) * softplus_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


__all__ = ["linear", "bilinear", "relu", "tanh", "sigmoid", "softmax", "log_softmax", "dropout",
           "mse_loss", "l1_loss", "nll_loss", "cross_entropy", "binary_cross_entropy",
           "binary_cross_entropy_with_logits"]
