"""Chapter 14 (the engine): counting the arithmetic of a forward and a backward pass."""

from ...autodiff import topological_order


def operation_counts(root):
    """Arithmetic of the forward and the backward pass of the graph below ``root``.

    The unit is one multiply-add of a matrix product, or one output entry of
    an elementwise operation or a sum. The forward pass of ``A @ B`` with
    ``A (N, D)``, ``B (D, C)`` costs ``N·D·C``; its local rule costs ``N·D·C``
    for each operand that needs a gradient (``G Bᵀ`` and ``Aᵀ G``). An
    elementwise operation costs its size forward and its size per operand
    that needs a gradient backward. Moving entries (``.T``, ``reshape``,
    indexing) is counted as free.

    Parameters
    ----------
    root : Tensor

    Returns
    -------
    dict
        ``{op: (forward, backward)}`` summed over the nodes of each operation
        (constants' operations cost forward work only).

    Notes
    -----
    A matrix product's backward costs at most twice its forward, an
    elementwise operation's at most once per operand; so when matrix products
    dominate, the backward pass costs about twice the forward pass (chapter 14).
    """
    counts = {}
    for node in topological_order(root, include_constants=True):
        if not node._parents:
            continue
        grads = sum(p.requires_grad for p in node._parents) if node.requires_grad else 0
        if node.op == "@":
            a, b = node._parents
            rows = a.shape[0] if a.ndim == 2 else 1
            cols = b.shape[1] if b.ndim == 2 else 1
            fwd = rows * a.shape[-1] * cols
            bwd = fwd * grads
        elif node.op in ("T", "reshape", "[]"):
            fwd = bwd = 0
        elif node.op == "sum":
            fwd = bwd = node._parents[0].size
            bwd *= grads
        else:
            fwd = node.size
            bwd = fwd * grads
        f0, b0 = counts.get(node.op, (0, 0))
        counts[node.op] = (f0 + fwd, b0 + bwd)
    return counts
