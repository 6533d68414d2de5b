r"""The fully connected layer ``Y = X W + b`` and the gradient formulas it runs.

The weight and input gradients come from :mod:`nnmath.matmul` (chapters 4
and 5); the bias gradient :func:`bias_grad` is derived in chapter 7.
"""

import numpy as np

from .init import initial_weights
from .matmul import matmul_forward, matmul_grad_W, matmul_grad_X
from .checks import check_count, check_float_dtype, check_rng
from .module import Module

__all__ = ["Linear", "bias_grad", "as_rows"]


def as_rows(A):
    """``A (..., k)`` as the matrix ``(prod(...), k)`` of its rows: a view, no copy."""
    return A.reshape(-1, A.shape[-1])


def bias_grad(dY):
    r"""Gradient of a loss with respect to the bias broadcast over a batch.

    Parameters
    ----------
    dY : array, shape (N, C)
        Upstream gradient ``δ = ∂L/∂Y`` of ``Y = X W + b``.

    Returns
    -------
    db : array, shape (C,)

    Notes
    -----
    Broadcasting copies ``b`` into every row, ``Y_{nc} = (XW)_{nc} + b_c``, so
    ``∂Y_{nc}/∂b_k = [c = k]`` for every ``n`` and the chain rule adds the rows:

    .. math:: \frac{\partial L}{\partial b} = \sum_{n} \delta_{n,:} = \mathbf{1}^\top \delta

    Derived in chapter 7.
    """
    return np.sum(dY, axis=0)


class Linear(Module):
    r"""Fully connected layer ``Y = X W + b`` on a batch of rows.

    Parameters
    ----------
    in_features : int
        ``D``, the number of input features.
    out_features : int
        ``C``, the number of outputs.
    rng : numpy.random.Generator, optional
        Source of the initial weights; ``None`` uses a fresh unseeded
        generator (pass one for reproducible results).
    dtype : floating dtype, optional
        dtype of ``W`` and ``b`` (default float64). The input is cast to it,
        so a float32 layer computes in float32 whatever data it is given.
    init : {"lecun", "xavier", "he", "naive"} or callable, optional
        How ``W`` is drawn (:mod:`nnmath.init`, chapter 16): ``"lecun"``
        (default) has variance ``1/D``, ``"xavier"`` ``2/(D + C)``, ``"he"``
        ``2/D``; a callable is called as ``init(D, C, rng)`` and must return
        a ``(D, C)`` array of floats.

    Attributes
    ----------
    W : ndarray, shape (D, C)
        Drawn by ``init``. With the default each output has variance about
        ``Σ_j x_j² / D``, the mean square of the input (LeCun scaling), so
        activations keep their scale with width.
    b : ndarray, shape (C,)
        Initialised to zeros.
    dW, db : ndarray or None
        Gradients from the last :meth:`backward`.

    Notes
    -----
    ``backward`` applies ``∂L/∂W = Xᵀδ``, ``∂L/∂X = δWᵀ`` (chapter 5) and
    ``∂L/∂b = 1ᵀδ`` (chapter 7).

    Examples
    --------
    >>> import numpy as np
    >>> layer = Linear(3, 2, rng=np.random.default_rng(0))
    >>> layer.forward(np.ones((4, 3))).shape
    (4, 2)
    """

    def __init__(self, in_features, out_features, *, rng=None, dtype=np.float64,
                 init="lecun"):
        self.in_features = check_count("Linear", "in_features", in_features)
        self.out_features = check_count("Linear", "out_features", out_features)
        dtype = check_float_dtype("Linear", dtype)
        rng = check_rng("Linear", rng, optional=True)
        D, C = self.in_features, self.out_features
        self.W = initial_weights("Linear", init, D, C, rng).astype(dtype)
        self.b = np.zeros(C, dtype=dtype)
        self.dW = None
        self.db = None
        self._X = None

    input_shape = ("N", "...", "in_features")  # checked by the Module base

    def check_input(self, X):
        # a float32 layer computes in float32, whatever the dtype of the data
        return super().check_input(X).astype(self.W.dtype, copy=False)

    def forward(self, X):
        """Return ``X W + b`` for ``X`` of shape (N, in_features) or (..., in_features).

        Leading axes (e.g. ``(N, T, in)`` in sequence models, chapter 26) are
        flattened into one batch axis and restored on the output.
        """
        self._X = X
        Y = matmul_forward(as_rows(X), self.W) + self.b
        return Y.reshape(X.shape[:-1] + (self.out_features,))

    def backward(self, dY):
        """Store ``dW = Xᵀ dY`` and ``db = Σ_n dY_n``; return ``dX = dY Wᵀ``."""
        self.parameter_grads(dY)
        return matmul_grad_X(dY, self.W)             # δWᵀ, chapter 5

    def parameter_grads(self, dY):
        """Store ``dW = Xᵀ dY`` (chapter 5) and ``db = 1ᵀ dY`` (chapter 7); return None.

        ``backward(dY, input_grad=False)`` runs this alone: training never needs dX.
        """
        X, dY = as_rows(self._X), as_rows(dY)  # every leading position is one more row
        self.dW = matmul_grad_W(dY, X)
        self.db = bias_grad(dY)

    def parameters(self):
        return [("W", self.W, self.dW), ("b", self.b, self.db)]

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features}, dtype={self.W.dtype})"
