r"""Normalisation layers: :class:`LayerNorm` (over features) and :class:`BatchNorm` (over the batch).

Both standardise a group of numbers, ``x̂ = (x − μ) / √(σ² + ε)`` with the mean
``μ`` and the biased variance ``σ²`` of the group, then scale and shift,
``y = γ ⊙ x̂ + β``. They differ only in the group: one row of features for
LayerNorm (chapter :ref:`ch-layer-norm`), one feature across the batch for
BatchNorm (chapter :ref:`ch-batch-norm`). So one pair of functions,
:func:`standardize` and :func:`standardize_grad_X`, serves both; the
layers choose the axes.

The backward pass never builds the ``M × M`` Jacobian of a group of size ``M``:

.. math:: \frac{\partial L}{\partial x} = \frac{1}{s}\Bigl(g - \operatorname{mean}(g)
          - \hat x \odot \operatorname{mean}(g \odot \hat x)\Bigr),
          \qquad g = \gamma \odot \delta, \quad s = \sqrt{\sigma^2 + \varepsilon}.
"""

import numpy as np

from .checks import check_batch_variance, check_count, check_float_dtype, check_real
from .layers import as_rows
from .module import Module

__all__ = ["standardize", "standardize_grad_X", "affine_grads", "LayerNorm", "BatchNorm"]


# -- the shared rule -------------------------------------------------------------

def standardize(X, axis, eps):
    r"""Subtract the mean and divide by ``√(σ² + eps)`` over ``axis``.

    Parameters
    ----------
    X : ndarray, any shape
    axis : int or tuple of int
        The axes of one group (``-1`` for LayerNorm, ``0`` or ``(0, 2, 3)`` for BatchNorm).
    eps : float > 0

    Returns
    -------
    Xhat : ndarray, shape of ``X``
        ``(X − μ) / s``.
    inv_std : ndarray
        ``1 / s`` with ``s = √(σ² + eps)``, shape of ``X`` with ``axis`` kept as length 1.
    var : ndarray
        The biased variance ``σ²`` over ``axis`` (same shape as ``inv_std``).

    Notes
    -----
    The variance is the mean of the squared *centred* values (two passes), so
    it is never negative; a constant group has ``σ² = 0``, ``x̂ = 0`` and
    ``1/s = 1/√eps``, finite because ``eps > 0``.
    """
    centred = X - X.mean(axis=axis, keepdims=True)
    var = np.mean(centred * centred, axis=axis, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    return centred * inv_std, inv_std, var


def standardize_grad_X(dY, Xhat, inv_std, axis):
    r"""Gradient through :func:`standardize`, given its upstream gradient ``dY = ∂L/∂x̂``.

    Parameters
    ----------
    dY : ndarray, shape of ``Xhat``
        Upstream gradient with respect to ``x̂`` (``γ ⊙ δ`` in a layer).
    Xhat, inv_std : ndarray
        From :func:`standardize`.
    axis : int or tuple of int
        The same axes as in the forward pass.

    Returns
    -------
    dX : ndarray, shape of ``Xhat``

    Notes
    -----
    .. math:: \frac{\partial L}{\partial x} = \frac{1}{s}\Bigl(g - \bar g
              - \hat x\, \overline{g \odot \hat x}\Bigr)

    with ``g = dY`` and bars the means over ``axis``: ``g`` times the Jacobian
    ``(1/s)(I − 11ᵀ/M − x̂x̂ᵀ/M)`` of each group (chapter :ref:`ch-layer-norm`),
    exact for every ``eps``.
    """
    mean_g = dY.mean(axis=axis, keepdims=True)
    mean_gx = np.mean(dY * Xhat, axis=axis, keepdims=True)
    return inv_std * (dY - mean_g - Xhat * mean_gx)


def affine_grads(dY, Xhat, axis):
    r"""Gradients of ``Y = γ ⊙ x̂ + β`` with respect to ``γ`` and ``β``.

    Parameters
    ----------
    dY, Xhat : ndarray, same shape
    axis : int or tuple of int
        Every axis that ``γ`` is broadcast over (the batch axes).

    Returns
    -------
    dgamma, dbeta : ndarray
        ``Σ δ ⊙ x̂`` and ``Σ δ`` over ``axis``: a parameter shared by many
        entries collects all their gradients (chapter :ref:`ch-layer-norm`).
    """
    return np.sum(dY * Xhat, axis=axis), np.sum(dY, axis=axis)


# -- LayerNorm -------------------------------------------------------------------

class LayerNorm(Module):
    r"""Normalise each row over its last axis, then scale and shift.

    Parameters
    ----------
    features : int
        ``D``, the length of the last axis.
    eps : float, optional
        Added to the variance (``> 0``), so a constant row gives ``x̂ = 0``.
    dtype : floating dtype, optional
        dtype of ``gamma`` and ``beta``.

    Attributes
    ----------
    gamma, beta : ndarray, shape (D,)
        Scale (ones) and shift (zeros).
    dgamma, dbeta : ndarray or None
        Gradients from the last :meth:`backward`.

    Notes
    -----
    For ``X`` of shape ``(..., D)``, each row ``x`` (the last axis) becomes

    .. math:: y = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \varepsilon}} + \beta,
              \quad \mu = \tfrac1D \textstyle\sum_i x_i,\
              \sigma^2 = \tfrac1D \sum_i (x_i - \mu)^2 .

    Rows do not interact: the Jacobian over a batch is block-diagonal
    (chapter :ref:`ch-layer-norm`). Training and evaluation do the same thing.

    Examples
    --------
    >>> import numpy as np
    >>> Y = LayerNorm(3).forward(np.array([[1.0, 2.0, 3.0]]))
    >>> np.round(Y, 4)
    array([[-1.2247,  0.    ,  1.2247]])
    """

    def __init__(self, features, *, eps=1e-5, dtype=np.float64):
        self.features = check_count("LayerNorm", "features", features)
        self.eps = check_real("LayerNorm", "eps", eps, lambda v: v > 0, "> 0")
        dtype = check_float_dtype("LayerNorm", dtype)
        self.gamma = np.ones(self.features, dtype=dtype)
        self.beta = np.zeros(self.features, dtype=dtype)
        self.dgamma = None
        self.dbeta = None
        self._Xhat = None
        self._inv_std = None

    input_shape = ("...", "features")

    def forward(self, X):
        """Return ``γ ⊙ x̂ + β`` for ``X`` of shape (..., features); cache ``x̂`` and ``1/s``."""
        self._Xhat, self._inv_std, _ = standardize(X, -1, self.eps)
        return self._Xhat * self.gamma + self.beta

    def backward(self, dY):
        """Store ``dgamma``, ``dbeta``; return ``dX`` (the compact rule of chapter ch-layer-norm)."""
        # Σ δ ⊙ x̂ and Σ δ over the rows: every leading axis is a batch axis
        self.dgamma, self.dbeta = affine_grads(as_rows(dY), as_rows(self._Xhat), 0)
        # ∂L/∂x = (1/s)(g − mean g − x̂ mean(g ⊙ x̂)), g = γ ⊙ δ, per row
        return standardize_grad_X(dY * self.gamma, self._Xhat, self._inv_std, -1)

    def parameters(self):
        return [("gamma", self.gamma, self.dgamma), ("beta", self.beta, self.dbeta)]

    def __repr__(self):
        return f"LayerNorm({self.features}, eps={self.eps}, dtype={self.gamma.dtype})"


# -- BatchNorm -------------------------------------------------------------------

class BatchNorm(Module):
    r"""Normalise each feature over the batch (and spatial axes), then scale and shift.

    Parameters
    ----------
    features : int
        ``F`` (or ``C`` for images): the length of axis 1.
    eps : float, optional
        Added to the variance (``> 0``).
    momentum : float, optional
        Weight of the new batch in the running statistics, in ``[0, 1]``.
    dtype : floating dtype, optional
        dtype of the parameters and running statistics.

    Attributes
    ----------
    gamma, beta : ndarray, shape (F,)
        Scale (ones) and shift (zeros).
    running_mean, running_var : ndarray, shape (F,)
        Start at zeros and ones; in training mode every forward pass sets
        ``r ← (1 − momentum) r + momentum · stat``, with the batch mean and
        the *unbiased* batch variance (as PyTorch does).
    dgamma, dbeta : ndarray or None

    Notes
    -----
    Input ``(N, F)`` is normalised over ``N``; input ``(N, F, H, W)`` over
    ``N, H, W`` (``M = N·H·W`` numbers per feature). In training mode

    .. math:: y = \gamma \odot \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \varepsilon}} + \beta

    with the batch's mean and biased variance, so every output of a feature
    depends on every sample of the batch (chapter :ref:`ch-batch-norm`); a
    group of ``M = 1`` has no variance and is an error. In evaluation mode
    ``μ_B, σ_B²`` are replaced by the running statistics, which stay fixed:
    the layer is an affine map of each sample and its backward is
    ``δ ⊙ γ / √(r_var + ε)``.

    Examples
    --------
    >>> import numpy as np
    >>> bn = BatchNorm(2)
    >>> Y = bn.forward(np.array([[0.0, 1.0], [2.0, 5.0]]))
    >>> np.round(Y, 4), np.round(bn.running_mean, 4)
    (array([[-1., -1.],
           [ 1.,  1.]]), array([0.1, 0.3]))
    """

    buffer_names = ("running_mean", "running_var")  # state, not trained: in state_dict()

    def __init__(self, features, *, eps=1e-5, momentum=0.1, dtype=np.float64):
        self.features = check_count("BatchNorm", "features", features)
        self.eps = check_real("BatchNorm", "eps", eps, lambda v: v > 0, "> 0")
        self.momentum = check_real("BatchNorm", "momentum", momentum,
                                   lambda v: 0 <= v <= 1, "in [0, 1]")
        dtype = check_float_dtype("BatchNorm", dtype)
        self.gamma = np.ones(self.features, dtype=dtype)
        self.beta = np.zeros(self.features, dtype=dtype)
        self.running_mean = np.zeros(self.features, dtype=dtype)
        self.running_var = np.ones(self.features, dtype=dtype)
        self.dgamma = None
        self.dbeta = None
        self._Xhat = None
        self._inv_std = None
        self._train_mode = None  # the mode of the last forward

    input_shape = [("N", "features"), ("N", "features", "height", "width")]

    def check_input(self, X):
        X = super().check_input(X)
        if self.training:
            check_batch_variance("BatchNorm.forward", X, self.features)
        return X

    def _layout(self, X):
        """The reduction axes and the shape that broadcasts a (F,) vector against ``X``."""
        return (0, (1, self.features)) if X.ndim == 2 else ((0, 2, 3), (1, self.features, 1, 1))

    def forward(self, X):
        """Normalise ``X`` with batch statistics (training) or running ones (eval)."""
        axis, vec = self._layout(X)
        gamma, beta = self.gamma.reshape(vec), self.beta.reshape(vec)
        if self.training:
            M = X.size // self.features
            self._Xhat, self._inv_std, var = standardize(X, axis, self.eps)
            mean = X.mean(axis=axis)
            m = self.momentum
            self.running_mean *= 1 - m
            self.running_mean += m * mean
            self.running_var *= 1 - m
            self.running_var += (m * M / (M - 1)) * var.reshape(-1)  # unbiased variance
        else:
            self._inv_std = (1.0 / np.sqrt(self.running_var + self.eps)).reshape(vec)
            self._Xhat = (X - self.running_mean.reshape(vec)) * self._inv_std
        self._train_mode = self.training
        return self._Xhat * gamma + beta

    def backward(self, dY):
        """Store ``dgamma``, ``dbeta``; return ``dX`` for the mode of the last forward."""
        axis, vec = self._layout(dY)
        self.dgamma, self.dbeta = affine_grads(dY, self._Xhat, axis)  # Σ δ ⊙ x̂, Σ δ
        dXhat = dY * self.gamma.reshape(vec)
        if not self._train_mode:  # fixed affine map: ∂L/∂x = γ δ / √(r_var + ε)
            return dXhat * self._inv_std
        # ∂L/∂x = (1/s)(g − mean g − x̂ mean(g ⊙ x̂)), means over the batch (and H, W)
        return standardize_grad_X(dXhat, self._Xhat, self._inv_std, axis)

    def parameters(self):
        return [("gamma", self.gamma, self.dgamma), ("beta", self.beta, self.dbeta)]

    def __repr__(self):
        return (f"BatchNorm({self.features}, eps={self.eps}, momentum={self.momentum}, "
                f"dtype={self.gamma.dtype})")
