r"""Losses: mean squared error and softmax cross-entropy, with their gradients.

Every loss is a mean over the batch, so every gradient carries a factor
``1/N``. The formulas are derived in chapter 8 and registered in
:mod:`nnmath.book.identities.ch08_losses`; the classes :class:`MSE` and
:class:`SoftmaxCrossEntropy` call these same functions.
"""

import numpy as np

from .activations import softmax
from .layers import as_rows
from .targets import check_classification_targets, check_labels, check_regression_targets
from .module import Module

__all__ = [
    "one_hot", "logsumexp", "log_softmax", "mse", "mse_grad_Y",
    "softmax_cross_entropy", "softmax_cross_entropy_grad_Z", "cross_entropy_grad_from_probs",
    "MSE", "SoftmaxCrossEntropy",
]


def one_hot(labels, num_classes, *, dtype=np.float64):
    """Encode integer class labels as rows of the identity matrix.

    Parameters
    ----------
    labels : array_like of int, shape (N,)
        Class indices in ``0 … num_classes − 1``.
    num_classes : int
    dtype : floating dtype, optional

    Returns
    -------
    T : ndarray, shape (N, num_classes)
        ``T[n, labels[n]] = 1``, every other entry 0.

    Raises
    ------
    TypeError, ValueError
        For non-integer labels or labels outside ``[0, num_classes)``.

    Examples
    --------
    >>> one_hot([2, 0], 3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    labels = check_labels("one_hot", labels, num_classes)
    T = np.zeros((labels.shape[0], num_classes), dtype=dtype)
    T[np.arange(labels.shape[0]), labels] = 1
    return T


def logsumexp(Z):
    r"""``log Σ_k exp(z_k)`` over the last axis, without overflow or underflow.

    Parameters
    ----------
    Z : array_like, shape (..., C)

    Returns
    -------
    out : ndarray, shape (...)

    Notes
    -----
    .. math:: \log \sum_k e^{z_k} = m + \log \sum_k e^{z_k - m}, \quad m = \max_k z_k

    Every exponent is ``≤ 0`` and one of them is 0, so the sum lies in
    ``[1, C]`` and its log is finite (chapter 8).

    Examples
    --------
    >>> import numpy as np
    >>> print(f"{float(logsumexp(np.array([1000.0, 1000.0]))):.6f}")  # 1000 + log 2
    1000.693147
    """
    Z = np.asarray(Z)
    m = np.max(Z, axis=-1, keepdims=True)
    return (m + np.log(np.sum(np.exp(Z - m), axis=-1, keepdims=True)))[..., 0]


def log_softmax(Z):
    r"""Logarithm of the softmax over the last axis, computed stably.

    Parameters
    ----------
    Z : array_like, shape (..., C)

    Returns
    -------
    out : ndarray, shape (..., C)

    Notes
    -----
    .. math:: \log \operatorname{softmax}(z)_k = z_k - \operatorname{logsumexp}(z)

    Never forms ``log`` of an underflowed probability (chapter 8).
    """
    Z = np.asarray(Z)
    return Z - logsumexp(Z)[..., np.newaxis]


def mse(Y, targets):
    r"""Mean squared error ``1/(2N) Σ_n ‖y_n − t_n‖²``.

    Parameters
    ----------
    Y : array, shape (N, ...)
        Predictions.
    targets : array, shape of ``Y``
        Targets.

    Returns
    -------
    L : scalar

    Notes
    -----
    The ``1/2`` cancels the 2 of the derivative; the ``1/N`` makes the loss
    (and the learning rate) independent of the batch size (chapter 8).
    """
    return np.sum((Y - targets) ** 2) / (2 * Y.shape[0])


def mse_grad_Y(Y, targets):
    r"""Gradient of :func:`mse` with respect to the predictions.

    Parameters
    ----------
    Y : array, shape (N, ...)
    targets : array, shape of ``Y``

    Returns
    -------
    dY : array, shape of ``Y``

    Notes
    -----
    .. math:: \frac{\partial L}{\partial Y} = \frac{1}{N} (Y - T)

    with ``T`` the targets.

    Derived in chapter 8.
    """
    return (Y - targets) / Y.shape[0]


def softmax_cross_entropy(Z, targets):
    r"""Mean cross-entropy of ``softmax(Z)`` against ``targets``, via log-sum-exp.

    Parameters
    ----------
    Z : array, shape (N, C)
        Logits.
    targets : array, shape (N, C)
        One-hot targets (any rows of probabilities summing to 1 also work).

    Returns
    -------
    L : scalar

    Notes
    -----
    .. math:: L = -\frac{1}{N} \sum_{n,k} T_{nk} \log \operatorname{softmax}(z_n)_k
              = \frac{1}{N} \sum_n \Bigl(\operatorname{logsumexp}(z_n) - \langle t_n, z_n \rangle\Bigr)

    with ``T`` the targets. Computed with :func:`log_softmax`, so it is finite
    for logits of any finite size (chapter 8).
    """
    return -np.sum(targets * log_softmax(Z)) / Z.shape[0]


def cross_entropy_grad_from_probs(P, targets):
    r"""``(P − targets)/N``: the softmax cross-entropy gradient given ``P = softmax(Z)``.

    Parameters
    ----------
    P : array, shape (N, C)
        Softmax probabilities.
    targets : array, shape (N, C)
        Targets; each row sums to 1.

    Returns
    -------
    dZ : array, shape (N, C)

    Notes
    -----
    :class:`SoftmaxCrossEntropy` caches ``P`` in its forward pass and calls
    this in backward; :func:`softmax_cross_entropy_grad_Z` calls it on
    ``softmax(Z)``. Derived in chapter 8.
    """
    return (P - targets) / P.shape[0]


def softmax_cross_entropy_grad_Z(Z, targets):
    r"""Gradient of :func:`softmax_cross_entropy` with respect to the logits.

    Parameters
    ----------
    Z : array, shape (N, C)
    targets : array, shape (N, C)
        Rows summing to 1 (one-hot or probabilities).

    Returns
    -------
    dZ : array, shape (N, C)

    Notes
    -----
    .. math:: \frac{\partial L}{\partial Z} = \frac{1}{N}\bigl(\operatorname{softmax}(Z) - T\bigr)

    The softmax Jacobian ``diag(p) − p pᵀ`` times ``−t ⊘ p`` collapses to
    ``p − t`` because ``Σ_k t_k = 1`` (chapter 8).
    """
    return cross_entropy_grad_from_probs(softmax(Z), targets)


# -- modules -----------------------------------------------------------------

class MSE(Module):
    r"""Mean squared error ``L = 1/(2N) Σ_n ‖y_n − t_n‖²`` (chapter 8).

    ``forward(Y, targets)`` returns the loss as a float and caches both;
    ``backward()`` returns ``∂L/∂Y = (Y − targets)/N``. The targets are cast to
    the dtype of ``Y`` so float32 predictions give a float32 gradient.
    """

    input_name = "Y"
    takes_upstream = False  # backward() starts the chain

    def __init__(self):
        self._Y = None
        self._targets = None

    def check_inputs(self, Y, targets):
        return check_regression_targets("MSE.forward", Y, targets), {}

    def forward(self, Y, targets):
        """Return the loss ``1/(2N) Σ_n ‖y_n − t_n‖²`` as a float; cache ``Y`` and the targets.

        Parameters
        ----------
        Y : array, shape (N, ...)
            Predictions.
        targets : array, shape of ``Y``
            Cast to the dtype of ``Y``.

        Returns
        -------
        float
        """
        self._Y, self._targets = Y, targets
        return float(mse(Y, targets))

    def backward(self, dL=None):
        """Return ``(Y − targets)/N``, times ``dL`` if an upstream scalar is given."""
        dY = mse_grad_Y(self._Y, self._targets)
        return dY if dL is None else dY * dL


class SoftmaxCrossEntropy(Module):
    r"""Softmax followed by cross-entropy, on logits, averaged over the batch (chapter 8).

    ``forward(Z, labels)`` takes logits ``Z`` of shape (N, C) and either integer
    class labels of shape (N,) or one-hot targets of shape (N, C) (rows of
    probabilities summing to 1 are accepted too); it returns the loss as a
    float, computed with log-sum-exp so it stays finite for logits of ±1000.
    It caches ``P = softmax(Z)`` and the one-hot targets; ``backward()`` returns
    ``∂L/∂Z = (P − targets)/N``. Logits ``(N, T, C)`` with labels ``(N, T)``
    (sequence models, chapter 28) count every position as a row: the mean is
    over ``N·T``.
    """

    input_name = "Z"
    takes_upstream = False  # backward() starts the chain

    def __init__(self):
        self._P = None
        self._targets = None
        self._shape = None

    def check_inputs(self, Z, labels):
        return check_classification_targets("SoftmaxCrossEntropy.forward", Z, labels), {}

    def forward(self, Z, labels):
        """Return the mean cross-entropy of ``softmax(Z)`` against ``labels``; cache ``P``.

        Parameters
        ----------
        Z : array, shape (N, C), or (N, T, C) for sequences
            Logits.
        labels : array, shape (N,) of int in ``[0, C)``, or one-hot (N, C)
            ((N, T) or (N, T, C) with sequence logits); the base's check turns
            them into one-hot targets, one row per row of ``Z``.

        Returns
        -------
        float
            ``−(1/N) Σ_n log softmax(z_n)_{t_n}``, computed with log-sum-exp.
        """
        targets, rows = labels, as_rows(Z)  # every position is a row
        self._P, self._targets, self._shape = softmax(rows), targets, Z.shape
        return float(softmax_cross_entropy(rows, targets))

    def backward(self, dL=None):
        """Return ``(softmax(Z) − targets)/N``, times ``dL`` if an upstream scalar is given."""
        dZ = cross_entropy_grad_from_probs(self._P, self._targets).reshape(self._shape)
        return dZ if dL is None else dZ * dL
