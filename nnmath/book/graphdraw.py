"""Draw a small computational graph of :class:`nnmath.autodiff.Tensor` nodes with matplotlib.

The layout is deterministic: a node's column is its *depth* (the length of the
longest path from an input to it), and within a column nodes keep their
topological order. :func:`graph_layout` returns that layout as plain data (the
tests check it); :func:`draw_graph` draws it: each node shows its label or
operation and its value, with the gradient ``∂L/∂node`` underneath. Chapter 13
uses it.
"""

from dataclasses import dataclass, field

import numpy as np

from ..autodiff import Tensor, topological_order

__all__ = ["GraphLayout", "graph_layout", "draw_graph"]


@dataclass
class GraphLayout:
    """Positions and edges of a computational graph.

    Attributes
    ----------
    nodes : list of Tensor
        Every node below the root (constants included), parents before children.
    positions : list of (float, float)
        ``(x, y)`` of ``nodes[i]``; ``x`` is the depth.
    edges : list of (int, int)
        ``(i, j)`` when ``nodes[i]`` is an operand of ``nodes[j]``; an operand
        used twice by the same operation gives two edges.
    labels : list of str
        Name (or operation) and value of each node.
    grads : list of str
        ``∂L/∂node`` of each node as text (empty for constants).
    """

    nodes: list
    positions: list
    edges: list
    labels: list
    grads: list = field(default_factory=list)


def _fmt(array, precision):
    array = np.asarray(array)
    if array.size == 1:
        return f"{float(array.item()):.{precision}g}"
    return "array " + "×".join(str(n) for n in array.shape)


def graph_layout(root, *, precision=4):
    """Place every node of the graph below ``root`` on a grid by depth.

    A node's column is the length of the longest path from an input to it
    (a constant goes one column left of its first user); within a column,
    nodes keep their topological order, top to bottom, centred on ``y = 0``.

    Parameters
    ----------
    root : Tensor
        The output node (usually the loss).
    precision : int, optional
        Significant digits of the values and gradients shown.

    Returns
    -------
    GraphLayout

    Raises
    ------
    TypeError
        If ``root`` is not a Tensor.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"graph_layout: expected a Tensor, got {type(root).__name__}")
    nodes = topological_order(root, include_constants=True)
    index = {id(n): i for i, n in enumerate(nodes)}
    depth = []
    for node in nodes:  # parents come first, so their depths are known
        depth.append(1 + max((depth[index[id(p)]] for p in node.parents), default=-1))
    edges = [(index[id(p)], j) for j, node in enumerate(nodes) for p in node.parents]
    for i, node in enumerate(nodes):  # a constant sits just left of its first user
        if not node.requires_grad and not node.parents:
            depth[i] = min(depth[j] for p, j in edges if p == i) - 1
    columns = {}
    for i, d in enumerate(depth):
        columns.setdefault(d, []).append(i)
    positions = [None] * len(nodes)
    for d, members in columns.items():
        for row, i in enumerate(members):
            positions[i] = (float(d), (len(members) - 1) / 2.0 - row)
    labels, grads = [], []
    for node in nodes:
        head = node.name or (node.op if node.op else "const")
        if node.name and node.op:
            head = f"{node.name} = {node.op}"
        labels.append(f"{head}\n{_fmt(node.data, precision)}")
        grads.append(f"grad {_fmt(node.grad, precision)}" if node.requires_grad else "")
    return GraphLayout(nodes, positions, edges, labels, grads)


def draw_graph(root, ax=None, *, precision=4, title="Computational graph"):
    """Draw the graph below ``root``: values in the boxes, gradients underneath.

    Parameters
    ----------
    root : Tensor
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made if omitted.
    precision : int, optional
        Significant digits of the numbers shown.
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    layout = graph_layout(root, precision=precision)
    if ax is None:
        width = 2.2 * (1 + max(x for x, _ in layout.positions))
        height = 1.4 * (1 + max(abs(y) for _, y in layout.positions) * 2)
        _, ax = plt.subplots(figsize=(max(width, 4.0), max(height, 2.5)))
    seen_pairs = {}
    for i, j in layout.edges:
        repeat = seen_pairs.get((i, j), 0)
        seen_pairs[(i, j)] = repeat + 1
        span = layout.positions[j][0] - layout.positions[i][0]
        rad = 0.25 * repeat + (0.3 if span > 1 else 0.0)  # bend repeated and long edges
        ax.annotate("", xy=layout.positions[j], xytext=layout.positions[i],
                    arrowprops=dict(arrowstyle="-|>", color="0.35", shrinkA=24, shrinkB=24,
                                    connectionstyle=f"arc3,rad={-rad}"))
    for (x, y), label, grad, node in zip(layout.positions, layout.labels, layout.grads,
                                         layout.nodes):
        face = "#e8eef7" if node.requires_grad else "#eeeeee"
        ax.text(x, y, label, ha="center", va="center", fontsize=9,
                bbox=dict(boxstyle="round,pad=0.35", fc=face, ec="0.3"))
        if grad:
            ax.text(x, y - 0.3, grad, ha="center", va="top", fontsize=8, color="tab:red")
    xs = [p[0] for p in layout.positions]
    ys = [p[1] for p in layout.positions]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.5)
    ax.set_yticks([])
    ax.set_xticks(sorted(set(xs)))
    ax.set_xlabel("depth (longest path from an input)")
    ax.set_title(title)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return ax
