r"""Root-mean-square normalisation, :class:`RMSNorm` (issue 25).

LayerNorm without the centring and without the shift: each row is divided by
its root mean square, then scaled,

.. math:: y = \gamma \odot \frac{x}{r}, \qquad r = \sqrt{\tfrac1D \textstyle\sum_i x_i^2 + \varepsilon}.

With ``x̂ = x / r`` the Jacobian of one row is ``(1/r)(I − x̂x̂ᵀ/D)``: LayerNorm's
``(1/s)(I − 11ᵀ/D − x̂x̂ᵀ/D)`` (:mod:`nnmath.norm`) without the mean term,
because nothing is subtracted. So the backward pass is

.. math:: \frac{\partial L}{\partial x} = \frac1r\Bigl(g - \hat x\,\overline{g \odot \hat x}\Bigr),
          \qquad g = \gamma \odot \delta .
"""

import numpy as np

from .checks import check_count, check_float_dtype, check_real
from .layers import as_rows
from .module import Module

__all__ = ["rms_normalize", "rms_normalize_grad_X", "RMSNorm"]


def rms_normalize(X, eps):
    r"""Divide each row of ``X`` (the last axis) by its root mean square.

    Parameters
    ----------
    X : ndarray, shape (..., D)
    eps : float > 0

    Returns
    -------
    Xhat : ndarray, shape (..., D)
        ``X / r``.
    inv_rms : ndarray, shape (..., 1)
        ``1 / r`` with ``r = √(mean(X², last axis) + eps)``.
    """
    inv_rms = 1.0 / np.sqrt(np.mean(X * X, axis=-1, keepdims=True) + eps)
    return X * inv_rms, inv_rms


def rms_normalize_grad_X(dY, Xhat, inv_rms):
    r"""Gradient through :func:`rms_normalize`, given its upstream gradient ``dY = ∂L/∂x̂``.

    Parameters
    ----------
    dY, Xhat : ndarray, shape (..., D)
    inv_rms : ndarray, shape (..., 1)

    Returns
    -------
    dX : ndarray, shape (..., D)

    Notes
    -----
    .. math:: \frac{\partial L}{\partial x} = \frac1r\bigl(g - \hat x\,\overline{g \odot \hat x}\bigr)

    with ``g = dY`` and the bar the mean over the row: ``g`` times the Jacobian
    ``(1/r)(I − x̂x̂ᵀ/D)`` of the row, exact for every ``eps``.
    """
    return inv_rms * (dY - Xhat * np.mean(dY * Xhat, axis=-1, keepdims=True))


class RMSNorm(Module):
    r"""Normalise each row by its root mean square, then scale; as ``torch.nn.RMSNorm``.

    Parameters
    ----------
    features : int
        ``D``, the length of the last axis.
    eps : float, optional
        Added to the mean square (``> 0``).
    dtype : floating dtype, optional
        dtype of ``gamma``.

    Attributes
    ----------
    gamma : ndarray, shape (D,)
        Ones.
    dgamma : ndarray or None
        ``Σ δ ⊙ x̂`` over every leading axis, from the last :meth:`backward`.

    Notes
    -----
    .. math:: y = \gamma \odot \frac{x}{\sqrt{\operatorname{mean}(x^2) + \varepsilon}}

    row by row over the last axis of ``(..., D)``; see the module docstring
    for the backward rule. Training and evaluation do the same thing.

    Examples
    --------
    >>> np.round(RMSNorm(2).forward(np.array([[3.0, 4.0]])), 4)
    array([[0.8485, 1.1314]])
    """

    def __init__(self, features, *, eps=1e-6, dtype=np.float64):
        self.features = check_count("RMSNorm", "features", features)
        self.eps = check_real("RMSNorm", "eps", eps, lambda v: v > 0, "> 0")
        self.gamma = np.ones(self.features, dtype=check_float_dtype("RMSNorm", dtype))
        self.dgamma = None
        self._Xhat = None
        self._inv_rms = None

    input_shape = ("...", "features")

    def forward(self, X):
        """Return ``γ ⊙ X / r`` for ``X`` of shape (..., features); cache ``x̂`` and ``1/r``."""
        self._Xhat, self._inv_rms = rms_normalize(X, self.eps)
        return self._Xhat * self.gamma

    def backward(self, dY):
        """Store ``dgamma``; return ``dX = (1/r)(g − x̂ mean(g ⊙ x̂))``, ``g = γ ⊙ δ``."""
        self.dgamma = np.sum(as_rows(dY * self._Xhat), axis=0)  # Σ δ ⊙ x̂ over the rows
        return rms_normalize_grad_X(dY * self.gamma, self._Xhat, self._inv_rms)

    def parameters(self):
        return [("gamma", self.gamma, self.dgamma)]

    def __repr__(self):
        return f"RMSNorm({self.features}, eps={self.eps}, dtype={self.gamma.dtype})"
