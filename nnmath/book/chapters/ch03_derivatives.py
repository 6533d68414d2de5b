r"""First derivatives in several variables: the small formulas of chapter 3.

Chapter 3 (derivatives, gradients and Jacobians) derives three facts that every
later chapter leans on: the gradient that flows back through a linear map
``y = W x`` is ``Wᵀ δ``; the gradient of a quadratic form ``xᵀ A x`` is
``(A + Aᵀ) x`` (and ``x xᵀ`` with respect to ``A``); and the Jacobian of a
composition is the matrix product of the Jacobians (the chain rule).

The formulas use only ``@``, ``.T``, ``+`` and products, so they run on float
arrays and, unchanged, on NumPy object arrays of SymPy symbols, which is how
:mod:`nnmath.book.identities` checks them.
"""

from functools import reduce

import numpy as np

__all__ = [
    "linear_map_grad_x",
    "quadratic_form",
    "quadratic_form_grad",
    "quadratic_form_grad_A",
    "chain_jacobian",
]


def _as_array(value):
    # Keep object arrays (SymPy symbols) as they are; only lists become arrays.
    return value if isinstance(value, np.ndarray) else np.asarray(value)


def linear_map_grad_x(W, dy):
    r"""Gradient with respect to ``x`` of a loss through the column map ``y = W x``.

    Parameters
    ----------
    W : array, shape (C, D)
        The matrix of the map; it is also the map's Jacobian ``∂y/∂x``.
    dy : array, shape (C,)
        Upstream gradient ``δ = ∂L/∂y``.

    Returns
    -------
    dx : ndarray, shape (D,)
        ``∂L/∂x = Wᵀ δ``.

    Raises
    ------
    ValueError
        If ``W`` is not 2-D or ``dy`` is not a vector of length ``W.shape[0]``.

    Notes
    -----
    .. math:: \frac{\partial L}{\partial x_j} = \sum_i \delta_i W_{ij}
              = (W^\top \delta)_j

    Derived in chapter 3 (derivatives, gradients and Jacobians): a
    vector-Jacobian product with the Jacobian ``W``, written without forming
    anything beyond ``W`` itself.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, 3.0]])
    >>> linear_map_grad_x(W, np.array([1.0, -1.0]))
    array([ 1.,  1., -3.])
    """
    W, dy = _as_array(W), _as_array(dy)
    if W.ndim != 2 or dy.shape != (W.shape[0],):
        raise ValueError(
            f"linear_map_grad_x: W must be (C, D) and dy must be (C,); got W "
            f"{W.shape} and dy {dy.shape}"
        )
    return W.T @ dy


def _check_quadratic(name, A, x):
    if A.ndim != 2 or A.shape[0] != A.shape[1] or x.shape != (A.shape[0],):
        raise ValueError(
            f"{name}: A must be square (D, D) and x must be (D,); got A {A.shape} "
            f"and x {x.shape}"
        )


def quadratic_form(A, x):
    r"""Return the quadratic form ``f = xᵀ A x``.

    Parameters
    ----------
    A : array, shape (D, D)
    x : array, shape (D,)

    Returns
    -------
    f : scalar
        ``Σ_ij x_i A_ij x_j``.

    Raises
    ------
    ValueError
        If ``A`` is not square or ``x`` does not match it.
    """
    A, x = _as_array(A), _as_array(x)
    _check_quadratic("quadratic_form", A, x)
    return x @ A @ x


def quadratic_form_grad(A, x):
    r"""Gradient of the quadratic form ``f = xᵀ A x`` with respect to ``x``.

    Parameters
    ----------
    A : array, shape (D, D)
        Any square matrix; it need not be symmetric.
    x : array, shape (D,)

    Returns
    -------
    g : ndarray, shape (D,)
        ``(A + Aᵀ) x``; for a symmetric ``A`` this is ``2 A x``.

    Raises
    ------
    ValueError
        If ``A`` is not square or ``x`` does not match it.

    Notes
    -----
    .. math:: \frac{\partial}{\partial x_k} \sum_{ij} x_i A_{ij} x_j
              = \sum_j A_{kj} x_j + \sum_i x_i A_{ik} = \big((A + A^\top) x\big)_k

    Derived in chapter 3 (derivatives, gradients and Jacobians).

    Examples
    --------
    >>> import numpy as np
    >>> quadratic_form_grad(np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([1.0, 1.0]))
    array([4., 4.])
    """
    A, x = _as_array(A), _as_array(x)
    _check_quadratic("quadratic_form_grad", A, x)
    return (A + A.T) @ x


def quadratic_form_grad_A(A, x):
    r"""Gradient of the quadratic form ``f = xᵀ A x`` with respect to the matrix ``A``.

    Parameters
    ----------
    A : array, shape (D, D)
        Only its shape is used: ``f`` is linear in ``A``.
    x : array, shape (D,)

    Returns
    -------
    G : ndarray, shape (D, D)
        The outer product ``x xᵀ``, with the shape of ``A`` (shape convention).

    Raises
    ------
    ValueError
        If ``A`` is not square or ``x`` does not match it.

    Notes
    -----
    .. math:: \frac{\partial f}{\partial A_{ij}} = x_i x_j

    Derived in chapter 3 as the first gradient with respect to a matrix.
    """
    A, x = _as_array(A), _as_array(x)
    _check_quadratic("quadratic_form_grad_A", A, x)
    return np.multiply.outer(x, x)


def chain_jacobian(*jacobians):
    r"""Jacobian of a composition: the product of the Jacobians (the chain rule).

    For ``h = f_k ∘ … ∘ f_1`` pass the Jacobians in the order they appear in
    the formula ``J_h = J_k ⋯ J_1``: the *outermost* function first, each
    evaluated at the point its own input takes.

    Parameters
    ----------
    *jacobians : arrays
        Matrices ``J_k (m_k, m_{k-1})``, …, ``J_1 (m_1, m_0)`` in the layout of
        :mod:`nnmath.book.jacobians` (output axes first). The first may be a vector
        ``(m_{k-1},)``, the Jacobian of a scalar-valued function; the last may be
        a vector ``(m_1,)``, the Jacobian with respect to a scalar input.

    Returns
    -------
    J : ndarray
        ``J_k @ … @ J_1``, of shape ``(m_k, m_0)`` with a vector's axis dropped
        at either end (a scalar when both ends are vectors).

    Raises
    ------
    ValueError
        If no Jacobian is given, one is not 1-D or 2-D, a vector sits inside the
        chain, or neighbouring Jacobians have mismatched inner sizes.

    Notes
    -----
    .. math:: \frac{\partial h_i}{\partial x_j}
              = \sum_{a, b, \dots} (J_k)_{i a} (J_{k-1})_{a b} \cdots (J_1)_{\cdot j}

    Derived in chapter 3 (the chain rule as a product of Jacobians). The
    product runs left to right; with a vector first every step is a
    vector-Jacobian product, the order backpropagation uses.

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> chain_jacobian(np.array([1.0, 1.0]), np.diag([2.0, 0.5]), W)
    array([3.5, 6. ])
    """
    if not jacobians:
        raise ValueError("chain_jacobian: need at least one Jacobian")
    arrays = [_as_array(J) for J in jacobians]
    last = len(arrays) - 1
    for i, J in enumerate(arrays):
        if J.ndim not in (1, 2) or (J.ndim == 1 and 0 < i < last):
            raise ValueError(
                f"chain_jacobian: Jacobian {i} has shape {J.shape}; each must be a "
                f"matrix, and only the first or the last may be a vector"
            )
    for i in range(last):
        left, right = arrays[i], arrays[i + 1]
        if left.shape[-1] != right.shape[0]:
            raise ValueError(
                f"chain_jacobian: Jacobian {i} has shape {left.shape} and Jacobian "
                f"{i + 1} has shape {right.shape}; the inner sizes "
                f"{left.shape[-1]} and {right.shape[0]} must agree"
            )
    return reduce(lambda left, right: left @ right, arrays)
