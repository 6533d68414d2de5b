r"""The product ``Y = X W`` and its two compact backward formulas.

These are the formulas that chapters 4 and 5 derive from the full 3-D and 4-D
Jacobians. They are written once here; :class:`nnmath.Linear` and the identity
registry both call them. They use only ``@``, ``.T`` and products, so they also
run on NumPy object arrays of SymPy symbols and on SymPy ``MatrixSymbol`` s,
which is how :mod:`nnmath.book.symbolic` proves them.
"""


def matmul_forward(X, W):
    r"""Return ``Y = X W``.

    Parameters
    ----------
    X : array, shape (N, D)
    W : array, shape (D, C)

    Returns
    -------
    Y : array, shape (N, C)
    """
    return X @ W


def matmul_grad_W(dY, X):
    r"""Gradient of a loss with respect to ``W`` in ``Y = X W``.

    Parameters
    ----------
    dY : array, shape (N, C)
        Upstream gradient ``δ = ∂L/∂Y``.
    X : array, shape (N, D)
        The layer input.

    Returns
    -------
    dW : array, shape (D, C)

    Notes
    -----
    .. math:: \frac{\partial L}{\partial W} = X^\top \delta

    Derived in chapter 5 (matrix-by-matrix) from the 4-D Jacobian ``∂Y/∂W``.
    """
    return X.T @ dY


def matmul_grad_X(dY, W):
    r"""Gradient of a loss with respect to ``X`` in ``Y = X W``.

    Parameters
    ----------
    dY : array, shape (N, C)
        Upstream gradient ``δ = ∂L/∂Y``.
    W : array, shape (D, C)

    Returns
    -------
    dX : array, shape (N, D)

    Notes
    -----
    .. math:: \frac{\partial L}{\partial X} = \delta W^\top

    Derived in chapter 5 (matrix-by-matrix) from the 4-D Jacobian ``∂Y/∂X``.
    """
    return dY @ W.T


