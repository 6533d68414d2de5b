r"""Chapter 17 (differentials and the trace trick): forwards, compact gradients, an elimination route.

The functions here accept NumPy arrays and, where SymPy must enter them, object
arrays of SymPy symbols (the ``*_any`` helpers pick the right inverse, log and
determinant). :func:`gauss_jordan` writes matrix inversion as a sequence of
elementary row operations with :class:`nnmath.autodiff.Tensor` operations, so
that the engine can differentiate ``X⁻¹`` and ``log det X`` without the rules
``−X⁻¹ dX X⁻¹`` and ``tr(X⁻¹ dX)`` that the chapter derives.
"""

import numpy as np

from ...autodiff import Tensor

__all__ = ["inv_any", "logdet_any", "trace_quadratic", "trace_quadratic_grad_W",
           "trace_quadratic_grad_A", "gaussian_loglik", "gaussian_loglik_precision",
           "gaussian_grad_cov", "gaussian_grad_precision", "scatter", "gauss_jordan",
           "elimination_inv", "elimination_logdet", "diagonally_dominant", "spd"]


# -- helpers that work on numbers and on SymPy symbols ---------------------------------

def _is_symbolic(A):
    return np.asarray(A).dtype == object


def inv_any(X):
    """``X⁻¹`` of a float array (NumPy) or of an object array of SymPy expressions."""
    if _is_symbolic(X):
        import sympy as sp
        return np.array(sp.Matrix(np.asarray(X).tolist()).inv().tolist(), dtype=object)
    return np.linalg.inv(X)


def logdet_any(X):
    """``log det X`` of a float array with positive determinant, or of SymPy symbols."""
    if _is_symbolic(X):
        import sympy as sp
        return sp.log(sp.Matrix(np.asarray(X).tolist()).det())
    sign, value = np.linalg.slogdet(X)
    if sign <= 0:
        raise ValueError(f"logdet_any: the determinant is not positive (sign {sign})")
    return value


def _log_2pi(X):
    if _is_symbolic(X):
        import sympy as sp
        return sp.log(2 * sp.pi)
    return np.log(2 * np.pi)


# -- quadratic forms in a matrix -------------------------------------------------------

def trace_quadratic(A, W):
    """``tr(Wᵀ A W)`` for ``A (D, D)`` and ``W (D, K)``: a scalar."""
    return np.trace(W.T @ A @ W)


def trace_quadratic_grad_W(A, W):
    """``∂ tr(WᵀAW)/∂W = (A + Aᵀ) W``, shape ``(D, K)``."""
    return (A + A.T) @ W


def trace_quadratic_grad_A(W):
    """``∂ tr(WᵀAW)/∂A = W Wᵀ``, shape ``(D, D)``."""
    return W @ W.T


# -- the Gaussian log-likelihood ---------------------------------------------------------

def scatter(X, mu):
    """``S = Σ_n (x_n − μ)(x_n − μ)ᵀ = RᵀR`` with ``R = X − μ``; ``X (N, D)``, ``μ (D,)``."""
    R = X - mu
    return R.T @ R


def gaussian_loglik(Sigma, X, mu):
    r"""Log-likelihood of the rows of ``X (N, D)`` under ``N(μ, Σ)``, as a function of any ``Σ (D, D)``.

    .. math:: \ell = -\tfrac{1}{2}\bigl(N D \log 2\pi + N \log\det\Sigma + \operatorname{tr}(\Sigma^{-1} S)\bigr)

    ``Σ`` need not be symmetric here: the formula is evaluated for any matrix
    with positive determinant, so its ``D²`` entries are independent variables.
    """
    N, D = X.shape
    return -0.5 * (N * D * _log_2pi(X) + N * logdet_any(Sigma)
                   + np.trace(inv_any(Sigma) @ scatter(X, mu)))


def gaussian_loglik_precision(Lam, X, mu):
    r"""The same log-likelihood in terms of the precision ``Λ = Σ⁻¹``.

    .. math:: \ell = -\tfrac{1}{2}\bigl(N D \log 2\pi - N \log\det\Lambda + \operatorname{tr}(\Lambda S)\bigr)
    """
    N, D = X.shape
    return -0.5 * (N * D * _log_2pi(X) - N * logdet_any(Lam) + np.trace(Lam @ scatter(X, mu)))


def gaussian_grad_cov(Sigma, X, mu):
    r"""``∂ℓ/∂Σ = ½ (Σ⁻ᵀ S Σ⁻ᵀ − N Σ⁻ᵀ)``, shape ``(D, D)`` (chapter 17)."""
    P = inv_any(Sigma).T
    return 0.5 * (P @ scatter(X, mu) @ P - X.shape[0] * P)


def gaussian_grad_precision(Lam, X, mu):
    r"""``∂ℓ/∂Λ = ½ (N Λ⁻ᵀ − S)``, shape ``(D, D)`` (chapter 17)."""
    return 0.5 * (X.shape[0] * inv_any(Lam).T - scatter(X, mu))


# -- an independent engine route: Gauss–Jordan elimination with Tensor operations --------

def gauss_jordan(A):
    """Invert ``A (n, n)`` by Gauss–Jordan elimination without pivoting, in Tensor operations.

    Step ``k`` multiplies by the elementary matrix ``M_k = I − u e_kᵀ`` with
    ``u = (a_k − e_k)/a_kk`` (``a_k`` the current column ``k``), which turns
    column ``k`` into ``e_k``. After ``n`` steps ``M_n ⋯ M_1 A = I``, so the
    product of the ``M_k`` is ``A⁻¹``, and ``det A`` is the product of the pivots
    ``a_kk``.

    Parameters
    ----------
    A : Tensor, shape (n, n)
        Its leading principal minors must be non-zero (true for strictly
        diagonally dominant and for symmetric positive definite matrices).

    Returns
    -------
    inverse : Tensor, shape (n, n)
    pivots : list of Tensor
        The ``n`` pivots, each of shape ``()``.

    Notes
    -----
    Only ``[]``, ``−``, ``*``, ``**`` and ``@`` appear: the engine differentiates
    the elimination step by step, never using the differential of the inverse.
    """
    n = A.shape[0]
    eye = np.eye(n)
    current, inverse, pivots = A, Tensor(eye, requires_grad=False), []
    for k in range(n):
        pivot = current[k, k]
        u = (current[:, k] - eye[:, k]) / pivot          # (n,)
        M = eye - u.reshape(n, 1) * eye[k].reshape(1, n)  # I − u e_kᵀ
        current, inverse = M @ current, M @ inverse
        pivots.append(pivot)
    return inverse, pivots


def elimination_inv(A):
    """``A⁻¹`` by :func:`gauss_jordan` (a Tensor)."""
    return gauss_jordan(A)[0]


def elimination_logdet(A):
    """``log det A`` as the sum of the logarithms of the pivots; every pivot must be positive."""
    pivots = gauss_jordan(A)[1]
    total = pivots[0].log()
    for p in pivots[1:]:
        total = total + p.log()
    return total


# -- samplers ------------------------------------------------------------------------------

def diagonally_dominant(rng, n):
    """A random non-symmetric ``(n, n)`` matrix, strictly diagonally dominant with positive diagonal.

    Off-diagonal entries lie in ``[−1, 1]`` and the diagonal in ``[n, n + 1]``,
    so every leading minor and the determinant are positive (Gershgorin) and the
    condition number is small.
    """
    M = rng.uniform(-1.0, 1.0, (n, n))
    np.fill_diagonal(M, n + rng.uniform(0.0, 1.0, n))
    return M


def spd(rng, n):
    """A random symmetric positive definite ``(n, n)`` matrix ``B Bᵀ/n + I``."""
    B = rng.standard_normal((n, n))
    return B @ B.T / n + np.eye(n)
