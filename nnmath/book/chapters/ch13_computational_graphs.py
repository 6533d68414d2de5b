"""Chapter 13 (computational graphs): a backward pass that visits nodes too early."""

import numpy as np


def naive_recursive_backward(root):
    """A *wrong* backward pass, kept to show why the topological order matters.

    Starting from ``root``, it passes each node's gradient to its parents as
    soon as the node is first reached depth-first, and visits each node once.
    When a value fans out, one successor may reach it (and make it pass its
    gradient on) before another successor has contributed: the late
    contribution then never reaches the inputs. Chapter 13 shows a case.

    It resets and then sets ``.grad`` on every node. Do not use it for anything
    but that demonstration; :meth:`Tensor.backward` is the correct algorithm.
    """
    root.zero_grad()
    root._grad = np.ones_like(root.data)
    visited = {root}

    def visit(node):
        if node._backward is None:
            return
        for parent, g_parent in zip(node._parents, node._backward(node.grad)):
            if parent.requires_grad:
                parent._grad = parent.grad + g_parent
        for parent in node._parents:
            if parent.requires_grad and parent not in visited:
                visited.add(parent)
                visit(parent)  # too early if another successor of `parent` is still to come

    visit(root)
