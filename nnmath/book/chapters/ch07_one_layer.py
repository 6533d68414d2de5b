"""Chapter 7 (one layer): a single layer in the column convention, forward and backward."""

from ...activations import tanh
from .ch04_vector_by_matrix import column_matvec_grad_W


def column_layer_forward(W, x, b, activation=tanh):
    r"""One layer in the column convention: ``a = f(W x + b)``.

    Parameters
    ----------
    W : array, shape (C, D)
    x : array, shape (D,)
    b : array, shape (C,)
    activation : callable, optional
        Element-wise ``f`` (default :func:`nnmath.activations.tanh`).

    Returns
    -------
    a : array, shape (C,)
    """
    return activation(W @ x + b)


def column_layer_backward(delta, W, x):
    r"""Gradients of ``s`` through ``z = W x + b`` given ``δ = ∂s/∂z`` (column convention).

    Parameters
    ----------
    delta : array, shape (C,)
        ``δ = ∂s/∂z``; for ``s = uᵀ f(z)`` it is ``u ⊙ f'(z)``, e.g.
        ``tanh_grad_Z(u, a)``.
    W : array, shape (C, D)
    x : array, shape (D,)

    Returns
    -------
    dW : array, shape (C, D)
        ``δ xᵀ`` (:func:`nnmath.matmul.column_matvec_grad_W`).
    db : array, shape (C,)
        ``δ``.
    dx : array, shape (D,)
        ``Wᵀ δ``.

    Notes
    -----
    .. math:: \frac{\partial s}{\partial W} = \delta x^\top,\quad
              \frac{\partial s}{\partial b} = \delta,\quad
              \frac{\partial s}{\partial x} = W^\top \delta

    Derived in chapter 7 for ``s = uᵀ f(W x + b)``; the row-major
    :class:`Linear` runs the same three results for a batch.
    """
    return column_matvec_grad_W(delta, x), delta, W.T @ delta
