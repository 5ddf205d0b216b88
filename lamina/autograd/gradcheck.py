"""gradcheck and gradgradcheck: backward against central finite differences, as PyTorch's.

Everything is compared as real Jacobians: a complex tensor counts as its real parts followed by
its imaginary parts. Row r of the analytical Jacobian is the backward of the r-th real output
component: cotangent 1 at that element for a real part, 1j for an imaginary part. Under PyTorch's
convention the backward returns dL/dx + i dL/dy for a complex input z = x + iy, whose real and
imaginary parts are exactly the columns the finite differences of x and y give.
"""

import warnings

import numpy as np

from .._core import dtype as dt
from .._core._tensor import TensorBase, wrap
from .engine import grad as _grad
from .grad_mode import enable_grad


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_outputs(func, inputs):
    """The outputs that require grad, as PyTorch's gradcheck takes them: integer outputs and
    outputs an op marks non-differentiable (lstsq's singular values) are not checked."""
    return tuple(o for o in _as_tuple(func(*inputs))
                 if isinstance(o, TensorBase) and o._requires_grad)


def _real_vector(a):
    a = np.asarray(a).reshape(-1)
    return np.concatenate([a.real, a.imag]) if a.dtype.kind == "c" else a.astype(np.float64)


def _outputs_vector(func, inputs):
    with enable_grad():
        outs = _differentiable_outputs(func, inputs)
    return np.concatenate([_real_vector(o._data) for o in outs]) if outs else np.zeros(0)


def _numerical_jacobian(func, inputs, x, eps):
    """Columns: d(outputs)/d(each real component of x), by central differences in place."""
    data = x._data
    complex_input = data.dtype.kind == "c"
    columns = []
    for part in ((1.0, 1j) if complex_input else (1.0,)):
        for k in range(data.size):
            pos = np.unravel_index(k, data.shape)
            orig = data[pos]
            data[pos] = orig + part * eps
            plus = _outputs_vector(func, inputs)
            data[pos] = orig - part * eps
            minus = _outputs_vector(func, inputs)
            data[pos] = orig
            columns.append((plus - minus) / (2 * eps))
    if not columns:
        return np.zeros((_outputs_vector(func, inputs).size, 0))
    return np.stack(columns, axis=1)


def _analytical_jacobians(func, inputs, wrt):
    with enable_grad():
        outs = _differentiable_outputs(func, inputs)
    # Every output requires grad (_differentiable_outputs). Cotangents go by position, not
    # identity: a function may return the same tensor twice (add's VJP gives its cotangent to
    # both operands), and each occurrence is its own output.
    rows = []
    for i, o in enumerate(outs):
        parts = (1.0, 1j) if o._data.dtype.kind == "c" else (1.0,)
        for part in parts:
            for k in range(o._data.size):
                cts = []
                for j, p in enumerate(outs):
                    ct = np.zeros(p._data.shape, dtype=p._data.dtype)
                    if j == i:
                        ct[np.unravel_index(k, ct.shape)] = part
                    cts.append(wrap(ct))
                with enable_grad():
                    gs = _grad(outs, wrt, cts, retain_graph=True, allow_unused=True)
                rows.append([np.zeros(_real_size(x)) if g is None else _real_vector(g._data)
                             for x, g in zip(wrt, gs)])
    return [np.stack([r[j] for r in rows]) if rows else np.zeros((0, _real_size(x)))
            for j, x in enumerate(wrt)]


def _real_size(x):
    return x._data.size * (2 if x._data.dtype.kind == "c" else 1)


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False, check_forward_ad=False,
              check_backward_ad=True, fast_mode=False, masked=None):
    """True when backward matches finite differences for every input that requires grad; else
    GradcheckError naming the output, the input and the worst element (or False)."""
    inputs = _as_tuple(inputs)
    wrt = [x for x in inputs if isinstance(x, TensorBase) and x._requires_grad]
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but "
                         "none of the them have requires_grad=True.")
    for i, x in enumerate(inputs):
        if isinstance(x, TensorBase) and x._requires_grad and x.dtype not in (
                dt.float64, dt.complex128):
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are "
                          "not of double precision floating point or complex. ", stacklevel=2)
    if not check_backward_ad:
        return True
    analytical = _analytical_jacobians(func, inputs, wrt)
    for j, x in enumerate(wrt):
        numerical = _numerical_jacobian(func, inputs, x, eps)
        index = next(i for i, a in enumerate(inputs) if a is x)
        failure = _compare(analytical[j], numerical, atol, rtol, index)
        if failure:
            if raise_exception:
                raise GradcheckError(failure)
            return False
    return True


def _compare(analytical, numerical, atol, rtol, index):
    if analytical.shape != numerical.shape:
        return (f"Jacobian for input {index} has shape {analytical.shape} from backward but "
                f"{numerical.shape} from finite differences")
    excess = np.abs(analytical - numerical) - (atol + rtol * np.abs(numerical))
    if excess.size == 0 or not (excess > 0).any() and np.isfinite(analytical).all():
        return None
    r, c = np.unravel_index(np.nanargmax(np.where(np.isfinite(excess), excess, np.inf)),
                            excess.shape)
    return (f"Jacobian mismatch for output 0 with respect to input {index},\n"
            f"worst element: d(output component {r})/d(input component {c}): "
            f"analytical {analytical[r, c]!r}, numerical {numerical[r, c]!r}\n"
            f"numerical:{wrap(numerical)}\nanalytical:{wrap(analytical)}\n")


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """gradcheck of the backward itself: the VJP (with create_graph) against finite
    differences, in the inputs and in the cotangents."""
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        with enable_grad():
            outs = _differentiable_outputs(func, inputs)
        grad_outputs = []
        for o in outs:
            g = rng.standard_normal(o._data.shape)
            if o._data.dtype.kind == "c":
                g = g + 1j * rng.standard_normal(o._data.shape)
            grad_outputs.append(wrap(g.astype(o._data.dtype)).requires_grad_())
    grad_outputs = _as_tuple(grad_outputs)
    n = len(inputs)

    def vjp(*args):
        ins, cts = args[:n], args[n:]
        outs = _differentiable_outputs(func, ins)
        wrt = [x for x in ins if isinstance(x, TensorBase) and x._requires_grad]
        pairs = [(o, c) for o, c in zip(outs, cts) if o._requires_grad]
        if not pairs:
            return ()
        gs = _grad([o for o, _ in pairs], wrt, [c for _, c in pairs], create_graph=True,
                   allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(vjp, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
