"""The Jacobian of a whole graph by reverse mode: one backward pass per output entry.

(The networks rewritten as graphs, ``from_sequential`` and ``from_module``, are in
:mod:`nnmath.autodiff.convert`; the old address still works.)
"""

import numpy as np

from .tensor import Tensor

__all__ = ["reverse_mode_jacobian"]


def reverse_mode_jacobian(f, x):
    """Full Jacobian of ``f`` at ``x`` by reverse mode: one backward pass per output entry.

    Parameters
    ----------
    f : callable
        Maps a Tensor of the shape of ``x`` to a Tensor.
    x : array_like

    Returns
    -------
    J : ndarray, shape ``f(x).shape + x.shape``
        ``J[o + i] = ∂f(x)[o] / ∂x[i]``, the layout of
        :func:`nnmath.gradcheck.numeric_jacobian`.

    Notes
    -----
    Row ``o`` of the Jacobian is the vector-Jacobian product ``e_oᵀ J``,
    which is exactly what :meth:`Tensor.backward` computes for the upstream
    gradient ``e_o`` (chapter 14).
    """
    x = Tensor(x)
    y = f(x)
    if not isinstance(y, Tensor):
        raise TypeError(f"reverse_mode_jacobian: f must return a Tensor, got {type(y).__name__}")
    J = np.zeros(y.shape + x.shape)
    for index in np.ndindex(y.shape):
        if not y.requires_grad:  # f does not depend on x
            break
        unit = np.zeros(y.shape)
        unit[index] = 1.0
        y.zero_grad()
        y.backward(unit)
        J[index] = x.grad
    return J


def __getattr__(name):  # graph.from_sequential moved to convert.py: the old address works
    if name == "from_sequential":
        from .convert import from_sequential
        return from_sequential
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
