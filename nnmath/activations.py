r"""Element-wise activations and softmax: forward, backward, and the modules that use them.

Each activation is a pair of functions, written once: ``f(Z)`` and
``f_backward(dY, cache)`` with the cache being whatever the derivative is
cheapest to compute from (the output for sigmoid, tanh and softmax; the input
for the ReLU family). Chapter 6 derives every backward formula from a
diagonal Jacobian (or, for softmax, a full one) and the registry
(:mod:`nnmath.book.identities.ch06_activations`) checks them. The module classes below
call these same functions.

All functions keep the floating dtype of their input (float32 stays float32).
"""

import numpy as np

from .fast import keep_where
from .checks import check_real
from .module import Module

__all__ = [
    "sigmoid", "sigmoid_grad_Z", "tanh", "tanh_grad_Z", "relu", "relu_grad_Z",
    "leaky_relu", "leaky_relu_grad_Z", "softmax", "softmax_grad_Z",
    "softmax_jacobian",
    "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Identity", "Softmax",
]


# -- functions ---------------------------------------------------------------

def sigmoid(Z):
    r"""Logistic sigmoid, computed without overflow.

    Parameters
    ----------
    Z : array_like, any shape

    Returns
    -------
    Y : ndarray, shape of ``Z``

    Notes
    -----
    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}} = \frac{e^{z}}{1 + e^{z}}

    Both forms are evaluated with ``e = exp(-|z|) ≤ 1``: the first for
    ``z ≥ 0``, the second for ``z < 0``. No exponential of a large positive
    number is ever taken, so ``σ(±1000)`` returns 1 and 0 without an overflow
    warning (chapter 6).

    Examples
    --------
    >>> import numpy as np
    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    Z = np.asarray(Z)
    e = np.exp(-np.abs(Z))  # in (0, 1]: cannot overflow
    return np.where(Z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad_Z(dY, Y):
    r"""Gradient through the sigmoid, from its output.

    Parameters
    ----------
    dY : array, shape S
        Upstream gradient ``∂L/∂Y``.
    Y : array, shape S
        The sigmoid's output ``σ(Z)``.

    Returns
    -------
    dZ : array, shape S

    Notes
    -----
    .. math:: \frac{\partial L}{\partial Z} = \delta \odot \sigma(Z) \odot (1 - \sigma(Z))

    The Jacobian of an element-wise map is diagonal, so the vector-Jacobian
    product is an element-wise product (chapter 6).
    """
    return dY * Y * (1 - Y)


def tanh(Z):
    """Hyperbolic tangent of ``Z`` (any shape); NumPy's saturates to ±1 without warnings."""
    return np.tanh(Z)


def tanh_grad_Z(dY, Y):
    r"""Gradient through tanh, from its output.

    Parameters
    ----------
    dY : array, shape S
    Y : array, shape S
        The output ``tanh(Z)``.

    Returns
    -------
    dZ : array, shape S

    Notes
    -----
    .. math:: \frac{\partial L}{\partial Z} = \delta \odot (1 - \tanh^2 Z)

    Derived in chapter 6.
    """
    return dY * (1 - Y ** 2)


def relu(Z):
    """Rectified linear unit ``max(z, 0)`` of ``Z`` (any shape)."""
    return np.maximum(Z, 0)


def relu_grad_Z(dY, Z):
    r"""Gradient through ReLU, from its input.

    Parameters
    ----------
    dY : array, shape S
    Z : array, shape S
        The ReLU's input.

    Returns
    -------
    dZ : array, shape S

    Notes
    -----
    .. math:: \frac{\partial L}{\partial Z} = \delta \odot [Z > 0]

    At ``z = 0`` ReLU has no derivative; we use 0 there, which is one of
    its subgradients (chapter 6).
    """
    return keep_where(np.asarray(Z) > 0, dY)  # np.where(Z > 0, dY, 0), faster


def leaky_relu(Z, slope):
    r"""Leaky ReLU: ``z`` for ``z > 0`` and ``slope · z`` otherwise.

    Parameters
    ----------
    Z : array_like, any shape
    slope : float
        Slope for negative inputs (``≥ 0``; 0 gives ReLU).

    Returns
    -------
    Y : ndarray, shape of ``Z``
    """
    Z = np.asarray(Z)
    return np.where(Z > 0, Z, slope * Z)


def leaky_relu_grad_Z(dY, Z, slope):
    r"""Gradient through leaky ReLU, from its input.

    Parameters
    ----------
    dY : array, shape S
    Z : array, shape S
        The input of the activation.
    slope : float

    Returns
    -------
    dZ : array, shape S

    Notes
    -----
    .. math:: \frac{\partial L}{\partial Z} = \delta \odot \bigl([Z > 0] + a\,[Z \le 0]\bigr)

    with ``a`` the slope; at ``z = 0`` we take the left derivative ``a``
    (chapter 6).
    """
    return np.where(Z > 0, dY, slope * dY)


def softmax(Z):
    r"""Softmax over the last axis, shifted by the row maximum so it cannot overflow.

    Parameters
    ----------
    Z : array_like, shape (..., C)
        Logits.

    Returns
    -------
    P : ndarray, shape (..., C)
        Non-negative, each row summing to 1.

    Notes
    -----
    .. math:: \operatorname{softmax}(z)_k = \frac{e^{z_k - m}}{\sum_j e^{z_j - m}},
              \quad m = \max_j z_j

    Subtracting ``m`` changes nothing mathematically (it cancels between
    numerator and denominator) but makes every exponent ``≤ 0``; the largest
    term is exactly 1, so the denominator is at least 1 (chapter 8).

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([1000.0, 1000.0]))
    array([0.5, 0.5])
    """
    Z = np.asarray(Z)
    E = np.exp(Z - np.max(Z, axis=-1, keepdims=True))
    return E / np.sum(E, axis=-1, keepdims=True)


def softmax_grad_Z(dY, P):
    r"""Gradient through softmax for any upstream gradient, from its output.

    Parameters
    ----------
    dY : array, shape (..., C)
        Upstream gradient ``∂L/∂P`` (any values, not only from cross-entropy).
    P : array, shape (..., C)
        The softmax output.

    Returns
    -------
    dZ : array, shape (..., C)

    Notes
    -----
    The Jacobian of one row is ``diag(p) − p pᵀ`` (:func:`softmax_jacobian`);
    multiplying it by ``δ`` without building it gives

    .. math:: \frac{\partial L}{\partial z} = p \odot \bigl(\delta - \langle \delta, p\rangle \mathbf{1}\bigr)

    row by row (chapter 8).
    """
    return P * (dY - np.sum(dY * P, axis=-1, keepdims=True))


def softmax_jacobian(p):
    r"""Full Jacobian ``∂ softmax(z) / ∂z = diag(p) − p pᵀ`` of one row.

    Parameters
    ----------
    p : array_like, shape (C,)
        A softmax output (a probability vector).

    Returns
    -------
    J : ndarray, shape (C, C)
        ``J[i, j] = ∂p_i / ∂z_j``; symmetric, and each row sums to 0.

    Notes
    -----
    Derived in chapter 8; :func:`softmax_grad_Z` is ``δ`` times this matrix.
    """
    p = np.asarray(p)
    if p.ndim != 1:
        raise ValueError(f"softmax_jacobian: p must be a vector of shape (C,), got {p.shape}")
    return np.diag(p) - np.outer(p, p)


# -- modules -----------------------------------------------------------------

class Sigmoid(Module):
    """Element-wise logistic sigmoid; caches its output (chapter 6)."""

    def __init__(self):
        self._Y = None

    def forward(self, X):
        """Return ``σ(X)`` element-wise; cache it."""
        self._Y = sigmoid(X)
        return self._Y.copy()  # the caller's own array, not the cache

    def backward(self, dY):
        """Return ``dY ⊙ σ(X) ⊙ (1 − σ(X))`` (chapter 6)."""
        return sigmoid_grad_Z(dY, self._Y)


class Tanh(Module):
    """Element-wise tanh; caches its output (chapter 6)."""

    def __init__(self):
        self._Y = None

    def forward(self, X):
        """Return ``tanh(X)`` element-wise; cache it."""
        self._Y = tanh(X)
        return self._Y.copy()  # the caller's own array, not the cache

    def backward(self, dY):
        """Return ``dY ⊙ (1 − tanh²X)`` (chapter 6)."""
        return tanh_grad_Z(dY, self._Y)


class ReLU(Module):
    """Element-wise ``max(x, 0)``; caches its input (chapter 6)."""

    def __init__(self):
        self._X = None

    def forward(self, X):
        """Return ``max(X, 0)`` element-wise; cache ``X``."""
        self._X = X
        return relu(self._X)

    def backward(self, dY):
        """Return ``dY ⊙ [X > 0]`` (chapter 6)."""
        return relu_grad_Z(dY, self._X)


class LeakyReLU(Module):
    """Element-wise leaky ReLU with a fixed non-negative ``slope``; caches its input.

    Parameters
    ----------
    slope : float, optional
        Slope for negative inputs, finite and ``≥ 0`` (default 0.01).
    """

    def __init__(self, slope=0.01):
        self.slope = check_real("LeakyReLU", "slope", slope, lambda v: v >= 0, "non-negative")
        self._X = None

    def forward(self, X):
        """Return ``X`` where positive and ``slope·X`` elsewhere; cache ``X``."""
        self._X = X
        return leaky_relu(self._X, self.slope)

    def backward(self, dY):
        """Return ``dY ⊙ ([X > 0] + slope·[X ≤ 0])`` (chapter 6)."""
        return leaky_relu_grad_Z(dY, self._X, self.slope)

    def __repr__(self):
        return f"LeakyReLU(slope={self.slope})"


class Identity(Module):
    """The identity map; backward passes the upstream gradient through unchanged."""

    def forward(self, X):
        """Return ``X`` unchanged."""
        return X

    def backward(self, dY):
        """Return ``dY`` unchanged."""
        return dY


class Softmax(Module):
    """Softmax over the last axis; caches its output (chapter 8).

    For classification, prefer :class:`nnmath.SoftmaxCrossEntropy` on the
    logits: it fuses the two and never forms ``log`` of a tiny probability.
    """

    input_shape = ("...", "C")  # a last axis with at least one entry

    def __init__(self):
        self._P = None

    def forward(self, X):
        """Return the softmax of ``X`` over the last axis; cache it."""
        self._P = softmax(X)
        return self._P.copy()  # the caller's own array, not the cache

    def backward(self, dY):
        """Return ``P ⊙ (dY − Σ_k dY_k P_k)`` row by row (chapter 8)."""
        return softmax_grad_Z(dY, self._P)
