"""Chapter 4 (vector by matrix): the gradient of a vector-matrix product with respect to the matrix.

The batch formulas the layers run are in :mod:`nnmath.matmul`; the two
one-sample cases below are what chapter 4 derives first.
"""

import numpy as np



def vector_matmul_grad_W(dy, x):
    r"""Gradient with respect to ``W`` of a loss through the row-vector product ``y = x W``.

    Parameters
    ----------
    dy : array, shape (C,)
        Upstream gradient ``∂L/∂y``.
    x : array, shape (D,)

    Returns
    -------
    dW : array, shape (D, C)
        The outer product ``x ⊗ dy``.

    Notes
    -----
    .. math:: \frac{\partial L}{\partial W_{jk}} = x_j \, \delta_k

    Derived in chapter 4 (vector-by-matrix): the 3-D Jacobian has one non-zero
    per ``(j, k)`` and contracting it with ``δ`` leaves this outer product.
    """
    return np.multiply.outer(x, dy)


def column_matvec_grad_W(dy, x):
    r"""Gradient with respect to ``W`` of a loss through the column product ``y = W x``.

    Parameters
    ----------
    dy : array, shape (C,)
        Upstream gradient ``∂L/∂y``.
    x : array, shape (D,)

    Returns
    -------
    dW : array, shape (C, D)
        The outer product ``δ xᵀ``.

    Notes
    -----
    .. math:: \frac{\partial L}{\partial W} = \delta \, x^\top

    Chapter 4 derives it beside the row-vector case; chapter 2 explains why the
    two conventions give transposed results.
    """
    return np.multiply.outer(dy, x)
