r"""Linear algebra in the engine: the inverse, the log-determinant and linear solves.

Each is a primitive with its own backward rule (a vector-Jacobian product)
beside its forward; its tangent rule (a Jacobian-vector product, chapter 19)
is in :mod:`nnmath.autodiff.tangents`. Both come from two differentials
derived in chapter 17,

.. math::
    d(X^{-1}) = -X^{-1}\, dX\, X^{-1}, \qquad d \log\det X = \operatorname{tr}(X^{-1} dX).

The VJPs are also public functions (:func:`inv_vjp`, :func:`logdet_vjp`,
:func:`solve_vjp`): the registry of chapter 17 checks those very functions.

Inputs must be square, finite and numerically invertible (condition number
``σ_max/σ_min`` below ``1/(n ε)`` for an ``n×n`` matrix and ε of float64, the
tolerance of ``numpy.linalg.matrix_rank``); anything else raises a ``ValueError`` that says
what is wrong, instead of returning NaN or infinity. Like every Tensor, the
results are float64, whatever the input's dtype.
"""

import numpy as np

from .tensor import Tensor, as_tensor

__all__ = ["inv", "logdet", "solve", "inv_vjp", "logdet_vjp", "solve_vjp"]

_EPS = np.finfo(np.float64).eps


def _check_invertible(X, who):
    """Raise a ValueError unless ``X`` is a finite, square, numerically invertible matrix."""
    if X.ndim != 2 or X.shape[0] != X.shape[1]:
        raise ValueError(f"{who}: needs a square matrix, got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{who}: the matrix is empty (shape {X.shape})")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{who}: the matrix has NaN or infinite entries")
    s = np.linalg.svd(X, compute_uv=False)  # singular values, largest first
    if s[-1] <= s[0] * X.shape[0] * _EPS:
        raise ValueError(f"{who}: the {X.shape[0]}x{X.shape[1]} matrix is singular to "
                         f"working precision (singular values {s[0]:.3g} ... {s[-1]:.3g})")


# -- the vector-Jacobian products (chapter 17) -----------------------------------

def inv_vjp(dY, X_inv):
    r"""``∂L/∂X = −X⁻ᵀ dY X⁻ᵀ`` for ``Y = X⁻¹`` with upstream ``dY = ∂L/∂Y`` (both ``(n, n)``)."""
    return -(X_inv.T @ dY @ X_inv.T)


def logdet_vjp(dY, X_inv):
    r"""``∂L/∂X = dY X⁻ᵀ`` for ``y = log det X`` with upstream ``dY = ∂L/∂y`` (a scalar)."""
    return dY * X_inv.T


def solve_vjp(dY, A, X):
    r"""Gradients ``(∂L/∂A, ∂L/∂B)`` of ``X = A⁻¹B`` given ``dY = ∂L/∂X``.

    ``∂L/∂B = A⁻ᵀ dY`` and ``∂L/∂A = −(∂L/∂B) Xᵀ``; ``B``, ``X`` and ``dY`` are
    ``(n,)`` or ``(n, k)``, ``A`` is ``(n, n)``.
    """
    dB = np.linalg.solve(A.T, dY)
    dA = -np.outer(dB, X) if X.ndim == 1 else -(dB @ X.T)
    return dA, dB


# -- the primitives ------------------------------------------------------------------

def inv(X):
    """The inverse ``X⁻¹`` of a square, invertible matrix ``X (n, n)`` (chapter 17).

    Raises
    ------
    ValueError
        If ``X`` is not square, not finite, or singular to working precision.
    """
    X = as_tensor(X)
    _check_invertible(X.data, "inv")
    Y = np.linalg.inv(X.data)

    def backward(dY):  # dX⁻¹ = −X⁻¹ dX X⁻¹  ⇒  ∂L/∂X = −X⁻ᵀ dY X⁻ᵀ (chapter 17)
        return (inv_vjp(dY, Y),)
    return Tensor(Y, _parents=(X,), _op="inv", _backward=backward)


def logdet(X):
    """``log det X`` of a square matrix ``X (n, n)`` with positive determinant (chapter 17).

    Raises
    ------
    ValueError
        If ``X`` is not square, not finite, singular to working precision, or
        has a negative determinant (the logarithm would be complex).
    """
    X = as_tensor(X)
    _check_invertible(X.data, "logdet")
    sign, value = np.linalg.slogdet(X.data)
    if sign < 0:
        raise ValueError(f"logdet: the determinant is negative (log |det| = {value:.4g}); "
                         f"log det is defined here for a positive determinant only")
    X_inv = np.linalg.inv(X.data)

    def backward(dY):  # d log det X = tr(X⁻¹ dX) = ⟨X⁻ᵀ, dX⟩  ⇒  ∂L/∂X = dY X⁻ᵀ (chapter 17)
        return (logdet_vjp(dY, X_inv),)
    return Tensor(value, _parents=(X,), _op="logdet", _backward=backward)


def solve(A, B):
    """The solution ``X = A⁻¹B`` of ``AX = B``: ``A (n, n)``, ``B (n,)`` or ``(n, k)`` (chapter 17).

    Cheaper and more accurate than ``inv(A) @ B``; differentiable in both ``A`` and ``B``.

    Raises
    ------
    ValueError
        If ``A`` is not square, not finite or singular, or ``B``'s first
        dimension differs from ``A``'s.
    """
    A, B = as_tensor(A), as_tensor(B)
    _check_invertible(A.data, "solve")
    if B.ndim not in (1, 2) or B.shape[0] != A.shape[0]:
        raise ValueError(f"solve: B must have shape ({A.shape[0]},) or ({A.shape[0]}, k) "
                         f"to match A of shape {A.shape}, got {B.shape}")
    X = np.linalg.solve(A.data, B.data)

    def backward(dY):  # dX = A⁻¹(dB − dA X)  ⇒  ∂L/∂B = A⁻ᵀdY, ∂L/∂A = −A⁻ᵀdY Xᵀ (chapter 17)
        return solve_vjp(dY, A.data, X)
    return Tensor(X, _parents=(A, B), _op="solve", _backward=backward)
