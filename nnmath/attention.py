r"""Scaled dot-product attention and a multi-head self-attention layer (chapter 27).

:func:`attention_forward` computes ``A = softmax(Q Kᵀ/√d + M)`` row by row and
``Y = A V``; :func:`attention_grads` returns ``dQ, dK, dV`` without forming
any Jacobian. Both work on any leading batch axes, e.g. ``(N, heads, T, d)``.
:class:`SelfAttention` adds the projections and splits the width into heads by
reshapes; with ``rope`` it turns each head's queries and keys by their
positions (:mod:`nnmath.rope`), and with ``block_size`` it runs the
memory-efficient kernels of :mod:`nnmath.flash`.
"""

import numpy as np

from .activations import softmax, softmax_grad_Z
from .flash import block_attention_grads, block_attention_forward
from .checks import check_count, check_init
from .module import Module
from .rope import rope, rope_angles, rope_grad_X

__all__ = ["causal_mask", "attention_forward", "attention_grads", "split_heads",
           "merge_heads", "self_attention_grads", "SelfAttention"]


def causal_mask(T):
    """Boolean ``(T, T)`` mask, True where position ``t`` may see ``s`` (``s ≤ t``)."""
    return np.tri(T, dtype=bool)


def _swap(A):
    """Transpose the last two axes (the matrix transpose of every batch entry)."""
    return np.swapaxes(A, -1, -2)


def attention_forward(Q, K, V, mask=None):
    r"""Scaled dot-product attention.

    Parameters
    ----------
    Q : array, shape (..., T, d)
    K : array, shape (..., S, d)
    V : array, shape (..., S, d_v)
    mask : bool array, shape (T, S), optional
        True where attention is allowed; every row needs at least one True.

    Returns
    -------
    Y : ndarray, shape (..., T, d_v)
    A : ndarray, shape (..., T, S)
        The attention weights; rows sum to 1, masked entries are exactly 0.

    Notes
    -----
    .. math:: A = \operatorname{softmax}\Bigl(\frac{Q K^\top}{\sqrt d} + M\Bigr), \qquad Y = A V

    with ``M = 0`` where allowed and ``−∞`` elsewhere; the row maximum is
    finite, so the masked exponentials are exactly 0 without a warning (chapter 27).
    """
    S = (Q @ _swap(K)) * Q.shape[-1] ** -0.5
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    A = softmax(S)
    return A @ V, A


def attention_grads(dY, Q, K, V, A):
    r"""Gradients of :func:`attention_forward` with respect to ``Q``, ``K`` and ``V``.

    Parameters
    ----------
    dY : array, shape (..., T, d_v)
        Upstream gradient ``δ = ∂L/∂Y``.
    Q, K, V : arrays, as in :func:`attention_forward`
    A : array, shape (..., T, S)
        The attention weights of the forward pass.

    Returns
    -------
    dQ, dK, dV : arrays of the shapes of Q, K, V

    Notes
    -----
    .. math::
        dV = A^\top \delta, \quad dA = \delta V^\top, \quad
        dS_{t,:} = a_t \odot \bigl(dA_{t,:} - \langle dA_{t,:}, a_t\rangle\bigr), \quad
        dQ = \frac{dS\, K}{\sqrt d}, \quad dK = \frac{dS^\top Q}{\sqrt d}

    ``dS`` is each row's softmax Jacobian ``diag(a) − a aᵀ`` applied to
    ``dA`` (chapter 8); masked entries have ``a = 0`` and so ``dS = 0``
    there: the mask needs no code of its own. Chapter 27.
    """
    scale = Q.shape[-1] ** -0.5
    dV = _swap(A) @ dY
    dS = softmax_grad_Z(dY @ _swap(V), A)
    return (dS @ K) * scale, (_swap(dS) @ Q) * scale, dV


def split_heads(Z, n_heads):
    """``(N, T, D)`` to ``(N, heads, T, D/heads)``: head ``h`` takes columns ``h·d_h … (h+1)·d_h − 1``."""
    N, T, D = Z.shape
    return Z.reshape(N, T, n_heads, D // n_heads).transpose(0, 2, 1, 3)


def merge_heads(Z):
    """``(N, heads, T, d_h)`` back to ``(N, T, heads·d_h)``: the inverse of :func:`split_heads`."""
    N, H, T, dh = Z.shape
    return Z.transpose(0, 2, 1, 3).reshape(N, T, H * dh)


def self_attention_grads(dY, X, Q, K, V, A, C, Wq, Wk, Wv, Wo, *, heads_backward=None):
    r"""Gradients of multi-head self-attention given its forward cache.

    Parameters
    ----------
    dY : array, shape (N, T, D)
        Upstream gradient of ``Y = C Wo``.
    X : array, shape (N, T, D)
    Q, K, V : arrays, shape (N, heads, T, d_h)
        The projections split into heads.
    A : array, shape (N, heads, T, T)
    C : array, shape (N, T, D)
        The heads' outputs side by side (:func:`merge_heads`).
    Wq, Wk, Wv, Wo : arrays, shape (D, D)
    heads_backward : callable, optional
        ``dC_heads -> (dQ, dK, dV)``, all ``(N, heads, T, d_h)``; by default
        :func:`attention_grads` with ``Q, K, V, A`` (the layer passes the
        block kernels and the rotary embedding's backward here).

    Returns
    -------
    dX, dWq, dWk, dWv, dWo : arrays

    Notes
    -----
    ``dWo = Cᵀδ`` and ``dC = δWoᵀ`` (chapter 5); :func:`attention_grads`
    per head; ``dWq = Xᵀ dQ`` (and so for ``K``, ``V``) and, since ``X`` feeds
    three products, ``dX = dQ Wqᵀ + dK Wkᵀ + dV Wvᵀ``. Every product runs on
    the ``N·T`` rows at once (chapter 27).
    """
    N, T, D = X.shape
    X2, dY2 = X.reshape(N * T, D), dY.reshape(N * T, D)
    dWo = C.reshape(N * T, D).T @ dY2
    dC = split_heads((dY2 @ Wo.T).reshape(N, T, D), Q.shape[1])
    grads = (attention_grads(dC, Q, K, V, A) if heads_backward is None
             else heads_backward(dC))
    dQ, dK, dV = (merge_heads(g).reshape(N * T, D) for g in grads)
    dX = dQ @ Wq.T + dK @ Wk.T + dV @ Wv.T      # X is used three times: the gradients add
    return dX.reshape(N, T, D), X2.T @ dQ, X2.T @ dK, X2.T @ dV, dWo


class SelfAttention(Module):
    r"""Multi-head self-attention without biases (chapter 27).

    Parameters
    ----------
    d_model : int
        ``D``, the width of the input ``(N, T, D)`` and of the output.
    n_heads : int, optional
        Number of heads; must divide ``d_model``.
    causal : bool, optional
        Mask the future: position ``t`` attends to ``s ≤ t`` only.
    rope : bool, optional
        Rotary position embedding on each head's queries and keys
        (:func:`nnmath.rope.rope`, rotate-half, base 10000); needs an even head width.
    block_size : int, optional
        Run :func:`nnmath.flash.block_attention_forward` and its backward with
        this many keys per block: the same results to round-off, memory
        ``O(T · block_size)`` per head instead of ``O(T²)``; ``A`` stays None.
    rng : numpy.random.Generator, optional
    dtype : floating dtype, optional

    Attributes
    ----------
    Wq, Wk, Wv, Wo : ndarray, shape (D, D)
        ``N(0, 1/D)``.
    dWq, dWk, dWv, dWo : ndarray or None
    A : ndarray, shape (N, heads, T, T) or None
        The attention weights of the last forward (for plots).

    Notes
    -----
    .. math:: Q = X W_q,\; K = X W_k,\; V = X W_v, \quad
              Y = \operatorname{concat}_h\bigl(\operatorname{attn}(Q_h, K_h, V_h)\bigr) W_o

    with ``Q_h`` the columns of head ``h`` (:func:`split_heads`). ``backward``
    applies :func:`attention_grads` per head (all heads at once) and the
    matrix-product rules of chapter 5 to the projections; the input gets the
    sum of its three uses, ``dX = dQ Wqᵀ + dK Wkᵀ + dV Wvᵀ``.

    Examples
    --------
    >>> att = SelfAttention(8, n_heads=2, causal=True, rng=np.random.default_rng(0))
    >>> att.forward(np.ones((3, 5, 8))).shape
    (3, 5, 8)
    """

    def __init__(self, d_model, n_heads=1, *, causal=False, rope=False, block_size=None,
                 rng=None, dtype=np.float64):
        self.d_model = check_count("SelfAttention", "d_model", d_model)
        self.n_heads = check_count("SelfAttention", "n_heads", n_heads)
        if self.d_model % self.n_heads:
            raise ValueError(f"SelfAttention: d_model = {self.d_model} is not divisible by "
                             f"n_heads = {self.n_heads}")
        self.causal = bool(causal)
        self.rope = bool(rope)
        if self.rope and (self.d_model // self.n_heads) % 2:
            raise ValueError(f"SelfAttention: rope needs an even head width, got d_model / "
                             f"n_heads = {self.d_model} / {self.n_heads} = "
                             f"{self.d_model // self.n_heads}")
        self.block_size = None if block_size is None else check_count(
            "SelfAttention", "block_size", block_size)
        rng, dtype = check_init("SelfAttention", rng, dtype)
        D = self.d_model
        self.Wq, self.Wk, self.Wv, self.Wo = (
            (rng.standard_normal((D, D)) * np.sqrt(1.0 / D)).astype(dtype) for _ in range(4))
        self.dWq = self.dWk = self.dWv = self.dWo = None
        self.A = None
        self._cache = None
        self._flash = None      # (O per head, log-sum-exp) of the block path

    input_shape = ("N", "T", "d_model")

    def forward(self, X):
        """Return ``(N, T, D)`` attention outputs; cache what backward needs."""
        N, T, D = X.shape
        X2 = X.reshape(N * T, D)
        Q, K, V = (split_heads((X2 @ W).reshape(N, T, D), self.n_heads)
                   for W in (self.Wq, self.Wk, self.Wv))
        if self.rope:                                   # turn q_t and k_t by their position t
            angles = [a.astype(X.dtype) for a in rope_angles(T, D // self.n_heads)]
            Q, K = rope(Q, *angles), rope(K, *angles)
        if self.block_size is None:
            Yh, self.A = attention_forward(Q, K, V, causal_mask(T) if self.causal else None)
            self._flash = None
        else:                                           # keep O and each row's log-sum-exp only
            Yh, lse = block_attention_forward(Q, K, V, causal=self.causal,
                                              block_size=self.block_size)
            self.A, self._flash = None, (Yh, lse)
        C = merge_heads(Yh)                             # heads side by side: (N, T, D)
        self._cache = (X, Q, K, V, C)
        return (C.reshape(N * T, D) @ self.Wo).reshape(N, T, D)

    def backward(self, dY):
        """Store ``dWq``, ``dWk``, ``dWv``, ``dWo``; return ``dX`` (chapter 27)."""
        X, Q, K, V, C = self._cache
        dX, self.dWq, self.dWk, self.dWv, self.dWo = self_attention_grads(
            dY, X, Q, K, V, self.A, C, self.Wq, self.Wk, self.Wv, self.Wo,
            heads_backward=self._heads_backward(Q, K, V))
        return dX

    def _heads_backward(self, Q, K, V):
        """``dC_heads -> (dQ, dK, dV)`` for the block kernels and rope; None for the plain path."""
        if self._flash is None and not self.rope:
            return None

        def heads_backward(dC):
            if self._flash is None:
                dQ, dK, dV = attention_grads(dC, Q, K, V, self.A)
            else:
                dQ, dK, dV = block_attention_grads(dC, Q, K, V, *self._flash,
                                                      causal=self.causal,
                                                      block_size=self.block_size)
            if self.rope:                               # Y = R X: ∂L/∂X = Rᵀ δ, turn back
                angles = [a.astype(dC.dtype) for a in rope_angles(Q.shape[2], Q.shape[3])]
                dQ, dK = rope_grad_X(dQ, *angles), rope_grad_X(dK, *angles)
            return dQ, dK, dV
        return heads_backward

    def parameters(self):
        return [("Wq", self.Wq, self.dWq), ("Wk", self.Wk, self.dWk),
                ("Wv", self.Wv, self.dWv), ("Wo", self.Wo, self.dWo)]

    def __repr__(self):
        extra = (", rope=True" if self.rope else "") + (
            f", block_size={self.block_size}" if self.block_size else "")
        return (f"SelfAttention({self.d_model}, n_heads={self.n_heads}, causal={self.causal}"
                f"{extra}, dtype={self.Wq.dtype})")
