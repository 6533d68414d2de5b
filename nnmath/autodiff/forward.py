r"""Forward mode and second order: Jacobian-vector and Hessian-vector products (chapter 19).

Every primitive of the engine has a *tangent rule*: for each parent, the map
``ṗ ↦ (∂y/∂p) ṗ`` written with Tensor operations, all of them in one table,
:data:`nnmath.autodiff.tangents.TANGENTS`. :func:`jvp` evaluates ``f`` once,
then walks the graph from the input to the output in topological order and
adds up the tangent terms of every node: the tangent of the output is ``J v``,
exactly (no finite differences), for about the cost of one more forward pass.

Because the tangent rules are Tensor operations, the tangent of a scalar
``f`` is itself a node of the graph, ``⟨∇f(x), v⟩``, that depends on ``x``.
Its gradient is ``∇_x ⟨∇f(x), v⟩ = H v``: :func:`hvp` is *reverse over
forward*, one forward pass with tangents and one backward pass.

Computations run in float64 (the engine's type); :func:`jvp` and :func:`hvp`
return arrays of the type of ``x`` and ``v`` (float32 in, float32 out).

Examples
--------
>>> import numpy as np
>>> f = lambda x: (x * x * x).sum()          # f(x) = Σ x³: ∇f = 3x², H = diag(6x)
>>> x, v = np.array([1.0, 2.0]), np.array([1.0, 1.0])
>>> jvp(f, x, v)
(array(9.), array(15.))
>>> hvp(f, x, v)
array([ 6., 12.])
"""

import numpy as np

from .tangents import TANGENTS
from .tensor import Tensor, topological_order

__all__ = ["jvp", "hvp", "forward_mode_jacobian", "tangent_of"]


def tangent_of(root, x, v):
    """The tangent ``ẏ = J v`` of ``root`` for the tangent ``v`` of the leaf ``x``, as a Tensor.

    Parameters
    ----------
    root : Tensor
        The output, computed from ``x`` by engine operations.
    x : Tensor
        The input leaf (``requires_grad=True``: that is how the graph marks
        what depends on it).
    v : Tensor
        A constant of ``x``'s shape.

    Returns
    -------
    Tensor or None
        The tangent, shape ``root.shape``; None when ``root`` does not depend
        on ``x`` (the tangent is zero).

    Raises
    ------
    NotImplementedError
        When an operation on the path from ``x`` to ``root`` has no tangent rule.
    """
    tangent = {x: v}
    for node in topological_order(root):  # parents first; only nodes that need gradients
        terms = [(i, tangent[p]) for i, p in enumerate(node.parents) if p in tangent]
        if not terms:  # a leaf, or a node that does not depend on x
            continue
        if node.op not in TANGENTS:
            raise NotImplementedError(f"forward mode: operation {node.op!r} has no tangent rule")
        rule = TANGENTS[node.op]
        total = None
        for i, dp in terms:  # ẏ = Σ_i J_i ṗ_i over the parents that depend on x
            term = rule(node, i, dp)
            total = term if total is None else total + term
        if total.shape != node.shape:  # a broadcast operand: its tangent is broadcast too
            total = total + np.zeros(node.shape)
        tangent[node] = total
    return tangent.get(root)


def _prepare(who, x, v):
    """Check ``x`` and ``v``; return them as float64 arrays and the dtype of the result."""
    x, v = np.asarray(x), np.asarray(v)
    for name, a in (("x", x), ("v", v)):
        if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
            raise TypeError(f"{who}: {name} must hold real numbers, got dtype {a.dtype}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{who}: {name} has NaN or infinite entries")
    if v.shape != x.shape:
        raise ValueError(f"{who}: v has shape {v.shape} but x has shape {x.shape}; the "
                         f"direction v must have the shape of x")
    out_dtype = np.result_type(x.dtype, v.dtype, np.float32)  # integers give float64
    if out_dtype not in (np.float32, np.float64):
        out_dtype = np.float64
    return np.asarray(x, np.float64), np.asarray(v, np.float64), out_dtype  # Tensor copies


def _call(who, f, x):
    y = f(x)
    if not isinstance(y, Tensor):
        raise TypeError(f"{who}: f must return a Tensor, got {type(y).__name__}")
    return y


def jvp(f, x, v):
    r"""The value ``f(x)`` and the Jacobian-vector product ``J v``, by forward mode.

    Parameters
    ----------
    f : callable
        Maps a Tensor of ``x``'s shape to a Tensor, with engine operations.
    x : array_like
        The point.
    v : array_like, shape of ``x``
        The direction (the tangent of the input).

    Returns
    -------
    y : ndarray
        ``f(x)``.
    Jv : ndarray, shape of ``y``
        ``Σ_i ∂f(x)/∂x_i v_i``, exact.

    Raises
    ------
    ValueError
        If ``v``'s shape differs from ``x``'s, or either is not finite.
    TypeError
        If ``f`` does not return a Tensor.
    NotImplementedError
        If ``f`` uses an operation without a tangent rule.

    Notes
    -----
    One evaluation of ``f`` and one sweep of tangent rules (chapter 19). The
    arithmetic runs in float64; both outputs have the type of ``x`` and ``v``.
    """
    x, v, dtype = _prepare("jvp", x, v)
    x = Tensor(x)
    y = _call("jvp", f, x)
    dy = tangent_of(y, x, Tensor(v, requires_grad=False)) if y.requires_grad else None
    Jv = np.zeros(y.shape) if dy is None else dy.data
    return y.data.astype(dtype, copy=False), np.asarray(Jv).astype(dtype, copy=False)


def hvp(f, x, v):
    r"""The Hessian-vector product ``H v`` of a scalar ``f`` at ``x``, exact.

    Parameters
    ----------
    f : callable
        Maps a Tensor of ``x``'s shape to a one-element Tensor.
    x : array_like
    v : array_like, shape of ``x``

    Returns
    -------
    Hv : ndarray, shape of ``x``
        ``Σ_j ∂²f/∂x_i∂x_j v_j``.

    Raises
    ------
    ValueError
        If ``f(x)`` has more than one element, or ``v``'s shape differs from ``x``'s.
    TypeError
        If ``f`` does not return a Tensor.

    Notes
    -----
    Reverse over forward (chapter 19): the tangent ``ḟ = ⟨∇f(x), v⟩`` is built
    from Tensor operations, so it is a function of ``x`` in the graph, and one
    backward pass from it gives ``∇_x ⟨∇f(x), v⟩ = H v``. Cost: a forward pass,
    a tangent sweep and a backward pass through both.
    """
    x, v, dtype = _prepare("hvp", x, v)
    x = Tensor(x)
    y = _call("hvp", f, x)
    if y.size != 1:
        raise ValueError(f"hvp: f must return a scalar (one-element) Tensor, got shape "
                         f"{y.shape}; the Hessian-vector product needs a scalar function")
    dy = tangent_of(y, x, Tensor(v, requires_grad=False)) if y.requires_grad else None
    if dy is None or not dy.requires_grad:  # f is at most linear in x: H = 0
        return np.zeros(x.shape, dtype=dtype)
    dy.backward(np.ones(dy.shape))
    return x.grad.astype(dtype, copy=False)


def forward_mode_jacobian(f, x):
    """Full Jacobian of ``f`` at ``x`` by forward mode: one JVP per input entry.

    Parameters
    ----------
    f : callable
        Maps a Tensor of the shape of ``x`` to a Tensor.
    x : array_like

    Returns
    -------
    J : ndarray, shape ``f(x).shape + x.shape``
        The layout of :func:`nnmath.autodiff.reverse_mode_jacobian`; column
        ``i`` is ``J e_i`` (chapter 19).
    """
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for index in np.ndindex(x.shape):
        unit = np.zeros(x.shape)
        unit[index] = 1.0
        columns.append(jvp(f, x, unit)[1])
    if not columns:
        return np.zeros(np.shape(f(Tensor(x)).data) + x.shape)
    return np.moveaxis(np.array(columns), 0, -1).reshape(columns[0].shape + x.shape)
