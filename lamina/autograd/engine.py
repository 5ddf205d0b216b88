"""The backward engine: `backward` and `grad`, as torch.autograd's.

One pass: find the nodes reachable from the roots (only those on a path to a requested input,
for `grad` and `backward(inputs=...)`), count each node's incoming edges, then run nodes whose
gradients are complete, latest-created first (PyTorch's order, so a node runs after every node
that feeds it). Gradients arriving at the same node output are summed out of place, so the
sums are themselves differentiable under create_graph.
"""

import heapq
import warnings

import numpy as np

from .._core import dtype as dt
from .._core._tensor import TensorBase, _set_grad_mode, is_grad_enabled, wrap
from . import anomaly
from .graph import AccumulateGrad, edge


def _as_tuple(x):
    if x is None:
        return ()
    if isinstance(x, TensorBase):
        return (x,)
    return tuple(x)


def _root_edges(tensors):
    edges = []
    for i, t in enumerate(tensors):
        node, nr = edge(t) if t._requires_grad else (None, 0)
        if node is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                               "grad_fn")
        edges.append((node, nr))
    return edges


def _root_grads(tensors, grads, implicit_name):
    grads = list(grads) if grads else [None] * len(tensors)
    if len(grads) != len(tensors):
        raise RuntimeError(f"got {len(grads)} tensors and {len(tensors)} gradients")
    out = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if t.dtype.category == dt.COMPLEX:
                raise RuntimeError("grad can be implicitly created only for real scalar outputs")
            g = wrap(np.ones(t._data.shape, dtype=t._data.dtype))
        elif not isinstance(g, TensorBase):
            g = wrap(np.asarray(g, dtype=t._data.dtype))
        if g._data.shape != t._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: {implicit_name}[{i}] has a shape of {g.shape} and "
                f"output[{i}] has a shape of {t.shape}.")
        if (t.dtype.category == dt.COMPLEX) != (g.dtype.category == dt.COMPLEX):
            raise RuntimeError(
                "For complex Tensors, both grad_output and output are required to have the same "
                f"dtype. Mismatch in dtype: {implicit_name}[{i}] has a dtype of {g.dtype} and "
                f"output[{i}] has a dtype of {t.dtype}.")
        out.append(g)
    return out


def _plan(roots, targets):
    """Dependency counts of the nodes that must run, and the set of those nodes."""
    deps, stack = {}, [n for n, _ in roots]
    seen = set(stack)
    while stack:  # iterative DFS: graphs of 100k nodes exceed Python's recursion limit
        for n, _ in stack.pop().next_functions:
            if n is not None:
                deps[n] = deps.get(n, 0) + 1
                if n not in seen:
                    seen.add(n)
                    stack.append(n)
    if targets is None:
        return deps, seen
    # A node is needed when some target is reachable from it: settle in creation order, which
    # visits every node after all the nodes it feeds from; count only edges between needed ones.
    needed = {n for n, _ in targets}
    for node in sorted(seen, key=lambda n: n._sequence_nr):
        if any(n in needed for n, _ in node.next_functions):
            needed.add(node)
    deps = dict.fromkeys(needed, 0)
    for node in needed:
        for n, _ in node.next_functions:
            if n in deps:
                deps[n] += 1
    return deps, needed


def _accumulate(buffer, nr, g):
    old = buffer.get(nr)
    buffer[nr] = g if old is None else old + g


def _check_grad(node, i, g, meta):
    """A gradient of the right shape and dtype for input `i` (real part for a real input)."""
    shape, npd = meta
    data = g._data
    if data.shape != shape:
        raise RuntimeError(
            f"Function {node.name()} returned an invalid gradient at index {i} - got "
            f"{list(data.shape)} but expected shape compatible with {list(shape)}")
    if data.dtype != npd:
        if data.dtype.kind == "c" and npd.kind != "c":
            g = g.real
        if g._data.dtype != npd:
            g = g.to(dt.BY_NUMPY[npd])
    return g


def _nan_check(node, grads):
    for i, g in enumerate(grads):
        if g is not None and np.isnan(g._data).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def run(roots, grads, *, retain_graph, create_graph, targets=None):
    """Backpropagate `grads` from the root edges; with `targets` (edges), return the gradient
    reaching each target instead of accumulating into leaves."""
    deps, needed = _plan(roots, targets)
    captured = {} if targets is None else dict.fromkeys(targets)
    buffers = {}
    for (node, nr), g in zip(roots, grads):
        _accumulate(buffers.setdefault(node, {}), nr, g)
    ready = [(-n._sequence_nr, id(n), n) for n in buffers if deps.get(n, 0) == 0 and n in needed]
    heapq.heapify(ready)
    pop, push = heapq.heappop, heapq.heappush
    previous = _set_grad_mode(create_graph)
    try:
        while ready:
            node = pop(ready)[2]
            buffer = buffers.pop(node)
            if node._tensor_pre_hooks or node._retained:
                for nr in list(buffer):
                    buffer[nr] = _run_tensor_hooks(node, nr, buffer[nr])
            if targets is not None:
                for nr, g in buffer.items():
                    if (node, nr) in captured:
                        captured[(node, nr)] = g
                if isinstance(node, AccumulateGrad):
                    continue
            if node._pre_hooks or node._post_hooks or anomaly._enabled:
                outs = _apply(node, buffer, create_graph, retain_graph)
            else:  # _apply without the hooks, inline: this loop is the per-node cost
                n = node._n_outputs
                outs = node.apply((buffer.get(0),) if n == 1 else
                                  tuple(buffer.get(i) for i in range(n)), create_graph)
                if type(outs) is not tuple:
                    outs = tuple(outs) if isinstance(outs, list) else (outs,)
                if not retain_graph:
                    node.release()
            meta = node._input_meta
            for i, (nxt, nr) in enumerate(node.next_functions):
                if nxt is None or nxt not in needed:
                    continue
                g = outs[i]
                if g is not None:
                    data = g._data
                    shape, npd = meta[i]
                    if data.shape != shape or data.dtype != npd:
                        g = _check_grad(node, i, g, meta[i])
                    into = buffers.get(nxt)
                    if into is None:
                        buffers[nxt] = {nr: g}
                    else:
                        _accumulate(into, nr, g)
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0 and nxt in buffers:
                    push(ready, (-nxt._sequence_nr, id(nxt), nxt))
    finally:
        _set_grad_mode(previous)
    return captured


def _run_tensor_hooks(node, nr, g):
    for hook in list(node._tensor_pre_hooks.get(nr, ())):
        new = hook(g)
        if new is not None:
            g = new
    ref = node._retained.get(nr)
    t = ref() if ref is not None else None
    if t is not None:  # grad mode is create_graph while the engine runs
        t.grad = (g if is_grad_enabled() else g.detach()) if t.grad is None else t.grad + g
    return g


def _apply(node, buffer, create_graph, retain_graph):
    n = node._n_outputs
    grads = (buffer.get(0),) if n == 1 else tuple(buffer.get(i) for i in range(n))
    for hook in node._pre_hooks:
        new = hook(grads)
        if new is not None:
            grads = tuple(new)
    try:
        outs = node.apply(grads, create_graph)
        if type(outs) is not tuple:
            outs = tuple(outs) if isinstance(outs, list) else (outs,)
        for hook in node._post_hooks:
            new = hook(outs, grads)
            if new is not None:
                outs = tuple(new)
        if anomaly._enabled and anomaly._check_nan:
            _nan_check(node, outs)
    except Exception:
        if anomaly._enabled and node._trace is not None:
            # PyTorch's anomaly mode: point at the forward call that made the failing node.
            warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that "
                          "caused the error:\n" + "".join(node._trace), stacklevel=2)
        raise
    if not retain_graph:
        node.release()
    return outs


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """Accumulate the gradients of `tensors` into the `.grad` of the leaves (or `inputs`)."""
    tensors = _as_tuple(tensors)
    if grad_variables is not None:
        grad_tensors = grad_variables
    grads = _root_grads(tensors, _as_tuple(grad_tensors) if grad_tensors is not None else None,
                        "grad_tensors")
    roots = _root_edges(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    inputs = _as_tuple(inputs)
    if not inputs:
        run(roots, grads, retain_graph=retain_graph, create_graph=create_graph)
        return
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    targets = [edge(t) for t in inputs]
    captured = run(roots, grads, retain_graph=retain_graph, create_graph=create_graph,
                   targets=targets)
    for t, e in zip(inputs, targets):
        g = captured[e]
        if g is None:
            continue
        if t.grad is None:
            t.grad = g if create_graph else g.detach().clone()
        else:
            t.grad = t.grad + g if create_graph else t.grad.add_(g)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, without touching any `.grad`."""
    if is_grads_batched:
        raise NotImplementedError("grad(is_grads_batched=True) needs lamina.func.vmap")
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads="
                         "True, but got: allow_unused=False.")
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _root_grads(outputs, _as_tuple(grad_outputs) if grad_outputs is not None else None,
                        "grad_output")
    roots = _root_edges(outputs)
    if retain_graph is None:
        retain_graph = create_graph
    targets = [edge(t) for t in inputs]
    captured = run(roots, grads, retain_graph=retain_graph, create_graph=create_graph,
                   targets=targets)
    result = []
    for i, (t, e) in enumerate(zip(inputs, targets)):
        g = captured[e]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                g = wrap(np.zeros(t._data.shape, dtype=t._data.dtype))
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)
