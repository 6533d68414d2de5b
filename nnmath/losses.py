r"""Losses: mean squared error and softmax cross-entropy, with their gradients.

Every loss is a mean over the batch, so every gradient carries a factor
``1/N``. The formulas are derived in chapter 8 and registered in
:mod:`nnmath.book.identities.ch08_losses`; the classes :class:`MSE` and
:class:`SoftmaxCrossEntropy` call these same functions.
"""

import numpy as np

from .activations import softmax
from .module import Module, as_float_array, check_forward_called

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
    labels = _check_labels("one_hot", labels, num_classes)
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


def mse(Y, T):
    r"""Mean squared error ``1/(2N) Σ_n ‖y_n − t_n‖²``.

    Parameters
    ----------
    Y : array, shape (N, ...)
        Predictions.
    T : array, shape of ``Y``
        Targets.

    Returns
    -------
    L : scalar

    Notes
    -----
    The ``1/2`` cancels the 2 of the derivative; the ``1/N`` makes the loss
    (and the learning rate) independent of the batch size (chapter 8).
    """
    return np.sum((Y - T) ** 2) / (2 * Y.shape[0])


def mse_grad_Y(Y, T):
    r"""Gradient of :func:`mse` with respect to the predictions.

    Parameters
    ----------
    Y : array, shape (N, ...)
    T : array, shape of ``Y``

    Returns
    -------
    dY : array, shape of ``Y``

    Notes
    -----
    .. math:: \frac{\partial L}{\partial Y} = \frac{1}{N} (Y - T)

    Derived in chapter 8.
    """
    return (Y - T) / Y.shape[0]


def softmax_cross_entropy(Z, T):
    r"""Mean cross-entropy of ``softmax(Z)`` against targets ``T``, via log-sum-exp.

    Parameters
    ----------
    Z : array, shape (N, C)
        Logits.
    T : array, shape (N, C)
        One-hot targets (any rows of probabilities summing to 1 also work).

    Returns
    -------
    L : scalar

    Notes
    -----
    .. math:: L = -\frac{1}{N} \sum_{n,k} T_{nk} \log \operatorname{softmax}(z_n)_k
              = \frac{1}{N} \sum_n \Bigl(\operatorname{logsumexp}(z_n) - \langle t_n, z_n \rangle\Bigr)

    Computed with :func:`log_softmax`, so it is finite for logits of any
    finite size (chapter 8).
    """
    return -np.sum(T * log_softmax(Z)) / Z.shape[0]


def cross_entropy_grad_from_probs(P, T):
    r"""``(P − T)/N``: the softmax cross-entropy gradient given ``P = softmax(Z)``.

    Parameters
    ----------
    P : array, shape (N, C)
        Softmax probabilities.
    T : array, shape (N, C)
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
    return (P - T) / P.shape[0]


def softmax_cross_entropy_grad_Z(Z, T):
    r"""Gradient of :func:`softmax_cross_entropy` with respect to the logits.

    Parameters
    ----------
    Z : array, shape (N, C)
    T : array, shape (N, C)
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
    return cross_entropy_grad_from_probs(softmax(Z), T)


# -- validation --------------------------------------------------------------

def _check_labels(owner, labels, num_classes):
    """Integer labels of shape (N,) within [0, num_classes); returned as intp."""
    try:
        labels = np.asarray(labels)
    except (ValueError, TypeError) as err:
        raise TypeError(f"{owner}: labels are not a numeric array ({err})") from None
    if labels.ndim != 1:
        raise ValueError(f"{owner}: labels must have shape (N,), got {labels.shape}")
    kind = labels.dtype.kind
    if kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            bad = labels[~np.isfinite(labels) | (labels != np.round(labels))][0]
            raise ValueError(f"{owner}: labels must be integers, got {bad.item()!r}")
    elif kind not in "iu":
        raise TypeError(f"{owner}: labels must be integers, got dtype {labels.dtype}")
    if labels.size and labels.min() < 0:
        raise ValueError(f"{owner}: labels must be non-negative, got {labels.min().item()!r}")
    if labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"{owner}: label {labels.max().item()!r} is out of range for {num_classes} classes"
            f" (valid: 0 to {num_classes - 1})"
        )
    return labels.astype(np.intp)


def _check_batch(owner, Y, T, names):
    if Y.ndim < 1 or Y.shape[0] == 0:
        raise ValueError(f"{owner}: empty batch, {names[0]} has shape {Y.shape}")
    if Y.shape != T.shape:
        if Y.ndim >= 1 and T.ndim >= 1 and Y.shape[0] != T.shape[0]:
            raise ValueError(
                f"{owner}: batch sizes differ, {names[0]} has shape {Y.shape}"
                f" and {names[1]} has shape {T.shape}"
            )
        raise ValueError(
            f"{owner}: {names[1]} has shape {T.shape}, expected {Y.shape} (the shape of {names[0]})"
        )


# -- modules -----------------------------------------------------------------

class MSE(Module):
    r"""Mean squared error ``L = 1/(2N) Σ_n ‖y_n − t_n‖²`` (chapter 8).

    ``forward(Y, T)`` returns the loss as a float and caches ``Y`` and ``T``;
    ``backward()`` returns ``∂L/∂Y = (Y − T)/N``. ``T`` is cast to the dtype
    of ``Y`` so float32 predictions give a float32 gradient.
    """

    def __init__(self):
        self._Y = None
        self._T = None

    def forward(self, Y, T):
        """Return the loss ``1/(2N) Σ_n ‖y_n − t_n‖²`` as a float; cache ``Y`` and ``T``.

        Parameters
        ----------
        Y : array, shape (N, ...)
            Predictions.
        T : array, shape of ``Y``
            Targets, cast to the dtype of ``Y``.

        Returns
        -------
        float
        """
        Y = as_float_array("MSE.forward", Y, "Y")
        T = as_float_array("MSE.forward", T, "T")
        _check_batch("MSE.forward", Y, T, ("Y", "T"))
        self._Y, self._T = Y, T.astype(Y.dtype, copy=False)
        return float(mse(self._Y, self._T))

    def backward(self, dL=None):
        """Return ``(Y − T)/N``, times ``dL`` if an upstream scalar is given."""
        check_forward_called("MSE.backward", self._Y)
        grad = mse_grad_Y(self._Y, self._T)
        return grad if dL is None else grad * dL


class SoftmaxCrossEntropy(Module):
    r"""Softmax followed by cross-entropy, on logits, averaged over the batch (chapter 8).

    ``forward(Z, labels)`` takes logits ``Z`` of shape (N, C) and either integer
    class labels of shape (N,) or one-hot targets of shape (N, C) (rows of
    probabilities summing to 1 are accepted too); it returns the loss as a
    float, computed with log-sum-exp so it stays finite for logits of ±1000.
    It caches ``P = softmax(Z)`` and the targets; ``backward()`` returns
    ``∂L/∂Z = (P − T)/N``. Logits ``(N, T, C)`` with labels ``(N, T)`` (sequence
    models, chapter 28) count every position as a row: the mean is over ``N·T``.
    """

    def __init__(self):
        self._P = None
        self._T = None
        self._shape = None

    def forward(self, Z, labels):
        """Return the mean cross-entropy of ``softmax(Z)`` against ``labels``; cache ``P``, ``T``.

        Parameters
        ----------
        Z : array, shape (N, C), or (N, T, C) for sequences
            Logits.
        labels : array, shape (N,) of int in ``[0, C)``, or one-hot (N, C)
            ((N, T) or (N, T, C) with sequence logits).

        Returns
        -------
        float
            ``−(1/N) Σ_n log softmax(z_n)_{t_n}``, computed with log-sum-exp.
        """
        owner = "SoftmaxCrossEntropy.forward"
        Z = as_float_array(owner, Z, "Z")
        shape = Z.shape
        if Z.ndim == 3:  # sequences: logits (N, T, C), labels (N, T); mean over all N·T positions
            Z, labels = self._flatten_positions(owner, Z, labels)
        if Z.ndim != 2 or Z.shape[1] == 0:
            raise ValueError(f"{owner}: logits Z must have shape (N, C) with C >= 1, got {Z.shape}"
                             f" (or (N, T, C) for sequences)")
        if Z.shape[0] == 0:
            raise ValueError(f"{owner}: empty batch, Z has shape {Z.shape}")
        T = self._targets(owner, labels, Z)
        self._P, self._T, self._shape = softmax(Z), T, shape
        return float(softmax_cross_entropy(Z, T))

    @staticmethod
    def _flatten_positions(owner, Z, labels):
        """``(N, T, C)`` logits and ``(N, T)`` labels (or ``(N, T, C)`` targets) as N·T rows."""
        arr = np.asarray(labels)
        if arr.shape not in (Z.shape[:2], Z.shape):
            raise ValueError(f"{owner}: labels have shape {arr.shape}, expected {Z.shape[:2]}"
                             f" (class indices) or {Z.shape} (one-hot) for logits {Z.shape}")
        return Z.reshape(-1, Z.shape[2]), arr.reshape((-1,) + arr.shape[2:])

    @staticmethod
    def _targets(owner, labels, Z):
        N, C = Z.shape
        arr = np.asarray(labels) if not isinstance(labels, np.ndarray) else labels
        if arr.ndim == 1:
            if arr.shape[0] != N:
                raise ValueError(
                    f"{owner}: batch sizes differ, Z has shape {Z.shape} and labels have"
                    f" shape {arr.shape}"
                )
            return one_hot(_check_labels(owner, arr, C), C, dtype=Z.dtype)
        if arr.ndim == 2:
            T = as_float_array(owner, arr, "one-hot targets")
            if T.shape != Z.shape:
                raise ValueError(
                    f"{owner}: one-hot targets have shape {T.shape}, expected {Z.shape}"
                    f" (the shape of Z)"
                )
            if not (np.all(T >= 0) and np.allclose(T.sum(axis=1), 1.0, atol=1e-6)):
                raise ValueError(
                    f"{owner}: one-hot targets must be non-negative with rows summing to 1"
                )
            return T.astype(Z.dtype, copy=False)
        raise ValueError(
            f"{owner}: labels must be class indices (N,) or one-hot (N, C), got shape {arr.shape}"
        )

    def backward(self, dL=None):
        """Return ``(softmax(Z) − T)/N``, times ``dL`` if an upstream scalar is given."""
        check_forward_called("SoftmaxCrossEntropy.backward", self._P)
        grad = cross_entropy_grad_from_probs(self._P, self._T).reshape(self._shape)
        return grad if dL is None else grad * dL
