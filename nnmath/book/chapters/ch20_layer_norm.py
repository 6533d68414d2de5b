r"""Chapter ch-layer-norm (layer normalisation): the Jacobian of one row, and of a batch.

The library's :class:`nnmath.LayerNorm` never builds these matrices; the
chapter builds them to show their structure (dense within a row, zero across
rows) and their rank, and to check the compact backward against them.
Every function accepts NumPy numbers or, where noted, SymPy object arrays.
"""

import numpy as np

from ...norm import standardize

__all__ = ["standardize_any", "row_jacobian", "bracket", "full_jacobian", "bracket_spectrum",
           "rank_table"]


def standardize_any(X, axis, eps):
    r"""``(x̂, 1/s)`` of :func:`nnmath.norm.standardize`, also for SymPy object arrays.

    For an object array the same steps run on the symbols, with
    :func:`sympy.sqrt` for the square root, so a SymPy check can feed the
    library's backward functions exactly what the layer feeds them.
    """
    X = np.asarray(X)
    if X.dtype != object:
        Xhat, inv_std, _ = standardize(X, axis, eps)
        return Xhat, inv_std
    import sympy as sp

    eps = np.asarray(eps, dtype=object)[()]  # a 0-d array of one symbol -> the symbol

    centred = X - X.mean(axis=axis, keepdims=True)
    var = (centred * centred).mean(axis=axis, keepdims=True)
    inv_std = np.vectorize(lambda v: 1 / sp.sqrt(v + eps), otypes=[object])(var)
    return centred * inv_std, inv_std


def bracket(xhat):
    r"""The matrix :math:`I - \mathbf{1}\mathbf{1}^\top/D - \hat x \hat x^\top / D` of a row ``x̂ (D,)``."""
    xhat = np.asarray(xhat)
    D = xhat.shape[-1]
    if xhat.dtype == object:  # exact rationals 1/D for SymPy, never the float 0.333...
        import sympy as sp

        D_ = sp.Integer(D)
        return np.eye(D, dtype=int).astype(object) - (np.ones((D, D), dtype=object)
                                                      + np.outer(xhat, xhat)) / D_
    return np.eye(D) - (np.ones((D, D)) + np.outer(xhat, xhat)) / D


def row_jacobian(x, eps):
    r"""Jacobian ``∂x̂/∂x`` of normalising one row ``x (D,)``: :math:`\frac1s\,(I - 11^\top/D - \hat x\hat x^\top/D)`.

    Parameters
    ----------
    x : array, shape (D,)
        Numbers or SymPy symbols.
    eps : float or SymPy symbol

    Returns
    -------
    J : array, shape (D, D)
        ``J[i, j] = ∂x̂_i / ∂x_j``, with ``x̂`` and ``s = √(σ² + eps)`` as in the layer.
    """
    xhat, inv_std = standardize_any(x, -1, eps)
    return bracket(xhat) * inv_std[0]


def full_jacobian(X, eps, gamma=None):
    r"""The 4-D Jacobian ``∂Y/∂X`` of LayerNorm over a batch ``X (N, D)``.

    ``J[n, i, m, j] = [n = m] γ_i (∂x̂_n/∂x_n)[i, j]``: block-diagonal across
    rows (``n ≠ m`` gives zero), each block the :func:`row_jacobian` of that
    row with its rows scaled by ``γ``.
    """
    X = np.asarray(X, dtype=float)
    N, D = X.shape
    gamma = np.ones(D) if gamma is None else np.asarray(gamma, dtype=float)
    blocks = np.stack([row_jacobian(x, eps) for x in X]) * gamma[None, :, None]
    return np.einsum("nm,nij->nimj", np.eye(N), blocks)


def bracket_spectrum(x, eps):
    r"""Eigenvalues (ascending) of the bracket of a row ``x``, and the predicted middle one.

    Returns
    -------
    eigenvalues : ndarray, shape (D,)
    predicted : float
        :math:`\varepsilon / (\sigma^2 + \varepsilon)`, the eigenvalue on ``x̂``
        (chapter ch-layer-norm); the others are one 0 (on ``1``) and ``D − 2`` ones.
    """
    x = np.asarray(x, dtype=float)
    var = float(np.var(x))
    if eps == 0:
        xhat = (x - x.mean()) / np.sqrt(var)
    else:
        xhat = standardize_any(x, -1, eps)[0]
    return np.linalg.eigvalsh(bracket(xhat)), eps / (var + eps)


def rank_table(sizes, eps_values, rng, *, tol=1e-12):
    """``{(D, eps): rank of the bracket}`` for a random non-constant row of each size."""
    table = {}
    for D in sizes:
        x = rng.standard_normal(D)
        for eps in eps_values:
            eigenvalues, _ = bracket_spectrum(x, eps)
            table[D, eps] = int(np.sum(np.abs(eigenvalues) > tol))
    return table
