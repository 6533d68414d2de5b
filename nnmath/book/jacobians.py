r"""Full Jacobians: the sparse 3-D and 4-D tensors that compact formulas replace.

The *slow route* to a gradient builds the whole Jacobian ``∂Y/∂W`` (a 3-D or
4-D array) and contracts it with the upstream gradient. Chapters 4 and 5 build
these tensors to show where their non-zeros sit; the compact formulas in
:mod:`nnmath.matmul` give the same answer without ever storing them.

Index convention: a Jacobian of an output of shape ``S_out`` with respect to an
input of shape ``S_in`` has shape ``S_out + S_in``, with
``J[out_index + in_index] = ∂ out[out_index] / ∂ in[in_index]``.
"""

import numpy as np

__all__ = [
    "vector_by_matrix_jacobian",
    "column_vector_by_matrix_jacobian",
    "matrix_by_matrix_jacobian_X",
    "matrix_by_matrix_jacobian_W",
    "contract_with_upstream",
    "nonzero_fraction",
    "jacobian_memory",
]


def _check_matmul_shapes(name, left, right, left_ndim):
    """Raise ValueError unless ``left`` (``left_ndim``-D) times ``right`` (2-D) is defined."""
    if left.ndim != left_ndim or right.ndim != 2 or left.shape[-1] != right.shape[0]:
        what = "a vector (D,)" if left_ndim == 1 else "a matrix (N, D)"
        raise ValueError(
            f"{name}: cannot multiply shapes {left.shape} and {right.shape}; "
            f"the left factor must be {what}, the right one a matrix (D, C), "
            f"and the inner dimensions must agree"
        )


def vector_by_matrix_jacobian(x, W):
    r"""Full 3-D Jacobian of the row-vector product ``y = x W`` with respect to ``W``.

    Parameters
    ----------
    x : array, shape (D,)
    W : array, shape (D, C)

    Returns
    -------
    F : ndarray, shape (C, D, C)
        ``F[i, j, k] = ∂y_i / ∂W_jk``.

    Notes
    -----
    .. math:: \frac{\partial y_i}{\partial W_{jk}} = x_j \, [i = k]

    Only the ``k = i`` slices are non-zero, so ``C·D`` of the ``C²·D`` entries
    can be non-zero (chapter 4).
    """
    x, W = np.asarray(x), np.asarray(W)
    _check_matmul_shapes("vector_by_matrix_jacobian", x, W, 1)
    C = W.shape[1]
    return np.einsum("ik,j->ijk", np.eye(C, dtype=np.result_type(x, W)), x)


def column_vector_by_matrix_jacobian(W, x):
    r"""Full 3-D Jacobian of the column product ``y = W x`` with respect to ``W``.

    Parameters
    ----------
    W : array, shape (C, D)
    x : array, shape (D,)

    Returns
    -------
    F : ndarray, shape (C, C, D)
        ``F[i, j, k] = ∂y_i / ∂W_jk``.

    Notes
    -----
    .. math:: \frac{\partial y_i}{\partial W_{jk}} = [i = j] \, x_k

    The transpose of the row-vector case: here the *row* index of ``W`` must
    match the output index (chapter 4).
    """
    W, x = np.asarray(W), np.asarray(x)
    if W.ndim != 2 or x.ndim != 1 or W.shape[1] != x.shape[0]:
        raise ValueError(
            f"column_vector_by_matrix_jacobian: cannot multiply shapes {W.shape} "
            f"and {x.shape}; W must be (C, D) and x must be (D,)"
        )
    C = W.shape[0]
    return np.einsum("ij,k->ijk", np.eye(C, dtype=np.result_type(W, x)), x)


def matrix_by_matrix_jacobian_X(X, W):
    r"""Full 4-D Jacobian of ``Y = X W`` with respect to ``X``.

    Parameters
    ----------
    X : array, shape (N, D)
    W : array, shape (D, C)

    Returns
    -------
    J : ndarray, shape (N, C, N, D)
        ``J[a, b, c, d] = ∂Y_ab / ∂X_cd``.

    Notes
    -----
    .. math:: \frac{\partial Y_{ab}}{\partial X_{cd}} = [a = c] \, W_{db}

    Row ``a`` of ``Y`` depends only on row ``a`` of ``X``: a fraction ``1/N``
    of the entries can be non-zero (chapter 5).
    """
    X, W = np.asarray(X), np.asarray(W)
    _check_matmul_shapes("matrix_by_matrix_jacobian_X", X, W, 2)
    N = X.shape[0]
    return np.einsum("ac,db->abcd", np.eye(N, dtype=np.result_type(X, W)), W)


def matrix_by_matrix_jacobian_W(X, W):
    r"""Full 4-D Jacobian of ``Y = X W`` with respect to ``W``.

    Parameters
    ----------
    X : array, shape (N, D)
    W : array, shape (D, C)

    Returns
    -------
    J : ndarray, shape (N, C, D, C)
        ``J[a, b, c, d] = ∂Y_ab / ∂W_cd``.

    Notes
    -----
    .. math:: \frac{\partial Y_{ab}}{\partial W_{cd}} = X_{ac} \, [b = d]

    Column ``b`` of ``Y`` depends only on column ``b`` of ``W``: a fraction
    ``1/C`` of the entries can be non-zero (chapter 5).
    """
    X, W = np.asarray(X), np.asarray(W)
    _check_matmul_shapes("matrix_by_matrix_jacobian_W", X, W, 2)
    C = W.shape[1]
    return np.einsum("ac,bd->abcd", X, np.eye(C, dtype=np.result_type(X, W)))


def contract_with_upstream(J, upstream):
    r"""Contract a full Jacobian with an upstream gradient (the slow route).

    Parameters
    ----------
    J : array, shape ``S_out + S_in``
        Full Jacobian of an output with respect to an input.
    upstream : array, shape ``S_out``
        ``∂L/∂out``.

    Returns
    -------
    grad : ndarray, shape ``S_in``
        ``∂L/∂in``, summing over every output index.

    Notes
    -----
    .. math:: \frac{\partial L}{\partial \mathrm{in}_{j}}
              = \sum_{o} \frac{\partial L}{\partial \mathrm{out}_o}
                \frac{\partial \mathrm{out}_o}{\partial \mathrm{in}_j}

    This is the chain rule written for arrays of any rank (chapter 3).
    """
    J, upstream = np.asarray(J), np.asarray(upstream)
    k = upstream.ndim
    if J.shape[:k] != upstream.shape:
        raise ValueError(
            f"contract_with_upstream: upstream shape {upstream.shape} does not match "
            f"the Jacobian's output axes {J.shape[:k]}"
        )
    return np.tensordot(upstream, J, axes=k)


def nonzero_fraction(J, *, atol=0.0):
    """Fraction of entries of a tensor whose magnitude exceeds ``atol``.

    Parameters
    ----------
    J : array_like
    atol : float, optional

    Returns
    -------
    fraction : float
    """
    J = np.asarray(J)
    if J.size == 0:
        raise ValueError(f"nonzero_fraction: the tensor is empty (shape {J.shape})")
    return float(np.count_nonzero(np.abs(J) > atol)) / J.size


def jacobian_memory(N, D, C, dtype=np.float64):
    """Bytes needed by the full Jacobians of ``Y = X W`` and by the compact gradients.

    Parameters
    ----------
    N, D, C : int
        Batch size, input features, output features.
    dtype : numpy dtype, optional

    Returns
    -------
    sizes : dict
        ``{"dY/dW": ..., "dY/dX": ..., "dL/dW": ..., "dL/dX": ...}`` in bytes,
        as Python ints (no overflow for real layer sizes).
    """
    item = np.dtype(dtype).itemsize
    for label, value in (("N", N), ("D", D), ("C", C)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"jacobian_memory: {label} must be a positive int, got {value!r}")
    N, D, C = int(N), int(D), int(C)
    return {
        "dY/dW": N * C * D * C * item,  # shape (N, C, D, C)
        "dY/dX": N * C * N * D * item,  # shape (N, C, N, D)
        "dL/dW": D * C * item,          # shape (D, C)
        "dL/dX": N * D * item,          # shape (N, D)
    }
