r"""Functions built from the engine's core operations: softmax, logsumexp, the losses.

None of these but :func:`maximum` has a backward rule of its own: each is a composition of the
operations of :mod:`nnmath.autodiff.tensor`, so the engine differentiates it
with their rules alone (chapter 14).
"""

import numpy as np

from .tensor import Tensor, as_tensor, unbroadcast

__all__ = ["maximum", "leaky_relu", "logsumexp", "log_softmax", "softmax",
           "mse_loss", "softmax_cross_entropy_loss"]


def maximum(a, b):
    """Elementwise maximum of two tensors (or a tensor and a constant).

    The gradient is *routed* to the larger operand (to ``a`` on ties): the max
    gate of chapter 13.
    """
    a, b = as_tensor(a), as_tensor(b)
    a_wins = a.data >= b.data  # (broadcast below names both shapes if they do not fit)

    def backward(dY):  # ∂max(a,b)/∂a = [a ≥ b]: max routes dY to the winner
        return (unbroadcast(dY * a_wins, a.shape) if a.requires_grad else None,
                unbroadcast(dY * ~a_wins, b.shape) if b.requires_grad else None)
    return Tensor(np.maximum(a.data, b.data), _parents=(a, b), _op="max",
                  _backward=backward, _saved=a_wins)


def leaky_relu(x, slope=0.01):
    """Leaky ReLU of a Tensor (the primitive :meth:`Tensor.leaky_relu`)."""
    return as_tensor(x).leaky_relu(slope)


def logsumexp(x, axis=-1, keepdims=False):
    r"""``log Σ exp(x)`` along ``axis``, shifted by the (constant) maximum to avoid overflow.

    Notes
    -----
    .. math:: \operatorname{lse}(x) = m + \log \sum_j e^{x_j - m}, \quad m = \max_j x_j

    The shift ``m`` enters as a constant: ``lse`` does not depend on it, so
    no gradient needs to flow through it.
    """
    x = as_tensor(x)
    m = Tensor(np.max(x.data, axis=axis, keepdims=True), requires_grad=False)
    out = m + (x - m).exp().sum(axis=axis, keepdims=True).log()
    return out if keepdims else out.sum(axis=axis)


def log_softmax(x, axis=-1):
    """``x − logsumexp(x)`` along ``axis`` (built from core operations)."""
    x = as_tensor(x)
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x, axis=-1):
    """``exp(x − m) / Σ exp(x − m)`` along ``axis``, ``m`` the constant maximum."""
    x = as_tensor(x)
    e = (x - Tensor(np.max(x.data, axis=axis, keepdims=True), requires_grad=False)).exp()
    return e / e.sum(axis=axis, keepdims=True)


def mse_loss(Y, T):
    r"""Mean squared error ``1/(2N) Σ_n ‖y_n − t_n‖²`` with Tensor operations.

    Parameters
    ----------
    Y : Tensor, shape (N, C)
    T : array_like or Tensor, shape (N, C)

    Returns
    -------
    Tensor, shape ()

    Notes
    -----
    The convention of :class:`nnmath.MSE` (chapter 8); here nothing but the
    engine's core operations differentiates it.
    """
    Y = as_tensor(Y)
    return ((Y - T) ** 2).sum() * (0.5 / Y.shape[0])


def softmax_cross_entropy_loss(Z, T):
    r"""Mean cross-entropy ``−1/N Σ_n Σ_c T_nc log softmax(Z)_nc`` with Tensor operations.

    Parameters
    ----------
    Z : Tensor, shape (N, C)
        Logits.
    T : array_like, shape (N, C)
        One-hot targets (or rows of probabilities).

    Returns
    -------
    Tensor, shape ()
    """
    Z = as_tensor(Z)
    return (as_tensor(T) * log_softmax(Z, axis=-1)).sum() * (-1.0 / Z.shape[0])
