r"""The fully connected layer ``Y = X W + b`` and the gradient formulas it runs.

The weight and input gradients come from :mod:`nnmath.matmul` (chapters 4
and 5); the bias gradient :func:`bias_grad` is derived in chapter 7.
"""

import numpy as np

from .init import INITIALISERS
from .matmul import matmul_forward, matmul_grad_W, matmul_grad_X
from .module import (Module, as_float_array, check_count, check_float_dtype,
                     check_forward_called, check_rng)

__all__ = ["Linear", "bias_grad"]


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


def _initial_weights(init, D, C, rng):
    """``W (D, C)`` drawn by the scheme ``init`` names (or returned by the callable ``init``)."""
    if callable(init):
        W = np.asarray(init(D, C, rng))
        if W.shape != (D, C) or W.dtype.kind != "f":
            raise ValueError(f"Linear: init returned an array of shape {W.shape} and dtype "
                             f"{W.dtype}; expected floats of shape ({D}, {C})")
        return W
    if init not in INITIALISERS:
        raise ValueError(f"Linear: init must be one of {sorted(INITIALISERS)} or a callable "
                         f"init(in_features, out_features, rng), got {init!r}")
    return INITIALISERS[init](D, C, rng)


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
        self.W = _initial_weights(init, D, C, rng).astype(dtype)
        self.b = np.zeros(C, dtype=dtype)
        self.dW = None
        self.db = None
        self._X = None

    def forward(self, X):
        """Return ``X W + b`` for ``X`` of shape (N, in_features) or (..., in_features).

        Leading axes (e.g. ``(N, T, in)`` in sequence models, chapter 26) are
        flattened into one batch axis and restored on the output.
        """
        X = as_float_array("Linear.forward", X, "X").astype(self.W.dtype, copy=False)
        if X.ndim < 2 or X.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear.forward: X has shape {X.shape}, expected (N, {self.in_features})"
                f" for Linear({self.in_features}, {self.out_features})"
                f" (or (..., {self.in_features}), e.g. (N, T, {self.in_features}))"
            )
        self._X = X
        X2 = X if X.ndim == 2 else X.reshape(-1, self.in_features)  # a view, no copy
        Y = matmul_forward(X2, self.W)
        Y += self.b  # in place: the product is a fresh array, no second (N, C) allocation
        return Y if X.ndim == 2 else Y.reshape(X.shape[:-1] + (self.out_features,))

    # Sequential.backward(..., input_grad=False) may ask this layer to skip dX.
    can_skip_input_grad = True

    def backward(self, dY, *, input_grad=True):
        """Store ``dW = Xᵀ dY`` and ``db = Σ_n dY_n``; return ``dX = dY Wᵀ``.

        With ``input_grad=False`` the product ``dY Wᵀ`` (as costly as the
        forward pass) is skipped and None is returned: training never needs
        the gradient with respect to the data.
        """
        check_forward_called("Linear.backward", self._X)
        dY = as_float_array("Linear.backward", dY, "dY")
        expected = self._X.shape[:-1] + (self.out_features,)
        if dY.shape != expected:
            raise ValueError(
                f"Linear.backward: dY has shape {dY.shape}, expected {expected}"
                f" (batch of the last forward, out_features)"
            )
        X, shape = self._X, dY.shape
        if X.ndim != 2:  # (..., in): every leading position is one more row of the batch
            X, dY = X.reshape(-1, self.in_features), dY.reshape(-1, self.out_features)
        self.dW = matmul_grad_W(dY, X)         # Xᵀδ, chapter 5 (sums over all leading axes)
        self.db = bias_grad(dY)                # 1ᵀδ, chapter 7
        if not input_grad:
            return None
        return matmul_grad_X(dY, self.W).reshape(shape[:-1] + (self.in_features,))  # δWᵀ

    def parameters(self):
        return [("W", self.W, self.dW), ("b", self.b, self.db)]

    def __repr__(self):
        return f"Linear({self.in_features}, {self.out_features}, dtype={self.W.dtype})"
