"""The order of the backward pass: every node after all of its parents (chapter 13)."""

__all__ = ["topological_order"]


def topological_order(root, *, include_constants=False):
    """Nodes of the graph below ``root``, each after all of its parents.

    Depth-first post-order with an explicit stack (no recursion, so the depth
    of the graph is not limited by Python's recursion limit).

    Parameters
    ----------
    root : Tensor
    include_constants : bool, optional
        Whether to list constants (tensors with ``requires_grad=False``);
        the backward pass leaves them out, as no gradient flows to them.

    Returns
    -------
    list of Tensor
        ``root`` is the last element; parents are listed in operand order.
    """
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:          # every parent is already in `order`
            order.append(node)
            continue
        if node in seen:          # Tensors hash by identity
            continue
        seen.add(node)
        stack.append((node, True))
        for parent in reversed(node._parents):  # reversed: the first operand is popped first
            if (include_constants or parent.requires_grad) and parent not in seen:
                stack.append((parent, False))
    return order
