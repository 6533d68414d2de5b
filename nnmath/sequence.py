r"""Sequence layers: token embeddings, learned positions, and a recurrent network.

* :class:`Embedding` looks rows up in a table; its gradient is a scatter-add in
  which repeated tokens accumulate (chapter 26).
* :class:`PositionalEmbedding` adds a learned vector per position (chapter 28).
* :class:`RNN` runs ``h_t = tanh(x_t Wx + h_{t−1} Wh + b)`` and differentiates it
  by backpropagation through time (chapter 26).

The formulas are module-level functions that the classes and the identity
registry both call, so a proof checks the code that runs.
"""

import numpy as np

from .checks import (check_count, check_finite_array, check_indices, check_init,
                     check_nonempty, check_sequence_length)
from .module import Module

__all__ = ["embedding_forward", "embedding_grad_W", "positional_grad_P", "rnn_forward",
           "rnn_grads",
           "Embedding", "PositionalEmbedding", "RNN"]


# -- embeddings ----------------------------------------------------------------

def embedding_forward(W, indices):
    """Rows of ``W`` picked by ``indices``: shape ``indices.shape + (dim,)`` (chapter 26)."""
    return W[indices]


def embedding_grad_W(dY, indices, num_embeddings):
    r"""Gradient of a loss with respect to the table of an embedding lookup.

    Parameters
    ----------
    dY : array, shape S + (dim,)
        Upstream gradient ``δ = ∂L/∂Y`` of ``Y = W[indices]``.
    indices : int array, any shape S
    num_embeddings : int
        Rows of ``W``.

    Returns
    -------
    dW : array, shape (num_embeddings, dim)

    Notes
    -----
    .. math:: \frac{\partial L}{\partial W_{v,:}} = \sum_{p \,:\, i_p = v} \delta_{p,:}
              = (E^\top \delta)_{v,:}

    with ``E`` the one-hot matrix of the indices: a scatter-*add*, so a token
    that occurs twice receives both gradients (``dW[idx] = δ`` would keep only
    one of them). Chapter 26.
    """
    dim = dY.shape[-1]
    dW = np.zeros((num_embeddings, dim), dtype=dY.dtype)
    np.add.at(dW, np.reshape(indices, -1), np.reshape(dY, (-1, dim)))
    return dW


def positional_grad_P(dY, max_len):
    r"""Gradient of ``Y[n, t] = X[n, t] + P[t]`` with respect to ``P (max_len, D)``.

    .. math:: \frac{\partial L}{\partial P_{t,:}} = \sum_{n} \delta_{n,t,:} \; (t < T),
              \qquad 0 \; (t \ge T)

    The bias rule of chapter 7, one bias per position (chapter 28).
    """
    N, T, D = dY.shape
    dP = np.zeros((max_len, D), dtype=dY.dtype)
    dP[:T] = dY.sum(axis=0)
    return dP


class Embedding(Module):
    r"""A lookup table ``Y = W[indices]`` of learned vectors (chapter 26).

    Parameters
    ----------
    num_embeddings : int
        ``V``, the number of tokens.
    embedding_dim : int
        ``D``, the length of each vector.
    rng : numpy.random.Generator, optional
    dtype : floating dtype, optional

    Attributes
    ----------
    W : ndarray, shape (V, D)
        Initialised standard normal.
    dW : ndarray or None

    Notes
    -----
    ``forward(indices)`` takes integers of any shape ``S`` and returns
    ``S + (D,)``; ``backward(dY)`` stores ``dW`` by :func:`embedding_grad_W`
    and returns None (integer indices have no gradient).

    Examples
    --------
    >>> emb = Embedding(10, 3, rng=np.random.default_rng(0))
    >>> emb.forward(np.array([[1, 2], [2, 9]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, *, rng=None, dtype=np.float64):
        self.num_embeddings = check_count("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = check_count("Embedding", "embedding_dim", embedding_dim)
        rng, dtype = check_init("Embedding", rng, dtype)
        self.W = rng.standard_normal((self.num_embeddings, self.embedding_dim)).astype(dtype)
        self.dW = None
        self._indices = None

    def check_input(self, indices):
        return check_indices("Embedding.forward", indices, self.num_embeddings)

    def forward(self, indices):
        """Return ``W[indices]``, shape ``indices.shape + (D,)``; cache the indices."""
        self._indices = indices
        return embedding_forward(self.W, indices)

    def backward(self, dY):
        """Store ``dW`` (scatter-add of ``dY``, chapter 26); return None."""
        self.dW = embedding_grad_W(dY, self._indices, self.num_embeddings)
        return None

    def parameters(self):
        return [("W", self.W, self.dW)]

    def __repr__(self):
        return f"Embedding({self.num_embeddings}, {self.embedding_dim}, dtype={self.W.dtype})"


class PositionalEmbedding(Module):
    r"""Add a learned vector per position: ``Y[n, t] = X[n, t] + P[t]`` (chapter 28).

    Parameters
    ----------
    max_len : int
        Longest sequence; ``P`` has one row per position.
    dim : int
        Feature size ``D`` of the input ``(N, T, D)``.
    rng : numpy.random.Generator, optional
    dtype : floating dtype, optional

    Notes
    -----
    ``P`` (``(max_len, D)``, initialised ``N(0, 0.1²)``) is broadcast over the
    batch, so ``dP[t] = Σ_n dY[n, t]`` (the bias rule of chapter 7, one bias
    per position) for ``t < T`` and 0 for the unused rows; ``dX = dY``.
    """

    def __init__(self, max_len, dim, *, rng=None, dtype=np.float64):
        self.max_len = check_count("PositionalEmbedding", "max_len", max_len)
        self.dim = check_count("PositionalEmbedding", "dim", dim)
        rng, dtype = check_init("PositionalEmbedding", rng, dtype)
        self.P = (0.1 * rng.standard_normal((self.max_len, self.dim))).astype(dtype)
        self.dP = None

    input_shape = ("N", "T", "dim")

    def check_input(self, X):
        X = super().check_input(X)
        check_sequence_length("PositionalEmbedding.forward", X.shape[1], self.max_len, "max_len")
        return X

    def forward(self, X):
        """Return ``X + P[:T]`` for ``X`` of shape (N, T, D)."""
        return X + self.P[:X.shape[1]]

    def backward(self, dY):
        """Store ``dP`` (the batch sum per position); return ``dY`` unchanged."""
        self.dP = positional_grad_P(dY, self.max_len)
        return dY

    def parameters(self):
        return [("P", self.P, self.dP)]

    def __repr__(self):
        return f"PositionalEmbedding({self.max_len}, {self.dim}, dtype={self.P.dtype})"


# -- recurrent network ---------------------------------------------------------

def rnn_forward(X, Wx, Wh, b, h0):
    r"""All hidden states of ``h_t = tanh(x_t Wx + h_{t−1} Wh + b)``.

    Parameters
    ----------
    X : array, shape (N, T, I)
    Wx : array, shape (I, H)
    Wh : array, shape (H, H)
    b : array, shape (H,)
    h0 : array, shape (N, H)

    Returns
    -------
    Hs : ndarray, shape (N, T, H)
        ``Hs[:, t]`` is ``h_{t+1}`` in the 1-based notation of chapter 26.

    Notes
    -----
    The input products of all steps are one matrix product; only the
    recurrence ``h_{t−1} Wh`` runs step by step.
    """
    N, T, _ = X.shape
    # time-major (T, N, H) inside: each step then reads and writes one contiguous block
    XW = (np.swapaxes(X, 0, 1).reshape(T * N, -1) @ Wx).reshape(T, N, -1) + b  # x_t Wx + b, all t
    Hs = np.empty_like(XW)
    h = h0
    for t in range(T):
        h = Hs[t] = np.tanh(XW[t] + h @ Wh)
    return np.swapaxes(Hs, 0, 1)


def rnn_grads(dY, X, Hs, h0, Wx, Wh):
    r"""Backpropagation through time: gradients of ``rnn_forward`` given ``dY = ∂L/∂Hs``.

    Parameters
    ----------
    dY : array, shape (N, T, H)
        Upstream gradient of every hidden state (zeros where the loss does not
        read a state).
    X : array, shape (N, T, I)
    Hs : array, shape (N, T, H)
        The forward's output.
    h0 : array, shape (N, H)
    Wx : array, shape (I, H)
    Wh : array, shape (H, H)

    Returns
    -------
    dX, dWx, dWh, db, dh0 : arrays of the shapes of X, Wx, Wh, b (H,), h0

    Notes
    -----
    With ``δ_t = ∂L/∂a_t`` for the pre-activation ``a_t``, the total gradient
    of ``h_t`` is its own upstream plus what ``h_{t+1}`` sends back:

    .. math:: \delta_t = \bigl(\mathrm{dY}_t + \delta_{t+1} W_h^\top\bigr) \odot (1 - h_t^2),
              \qquad \delta_{T+1} = 0

    and then ``dWh = Σ_t h_{t−1}ᵀ δ_t``, ``dWx = Σ_t x_tᵀ δ_t``,
    ``db = Σ_t 1ᵀ δ_t``, ``dx_t = δ_t Wxᵀ``, ``dh0 = δ_1 Whᵀ`` (chapter 26).
    Only the recursion for ``δ`` loops over time; the sums over ``t`` are
    single matrix products over all ``N·T`` rows. The same code runs on
    NumPy object arrays of SymPy symbols (the registry's proofs).
    """
    N, T, Hd = dY.shape
    dY_t, H_t = np.swapaxes(dY, 0, 1), np.swapaxes(Hs, 0, 1)     # time-major (T, N, H) views
    delta = np.zeros_like(H_t, shape=(T, N, Hd))
    carry = np.zeros_like(delta[0])                    # δ_{t+1} Whᵀ, zero after the last step
    for t in range(T - 1, -1, -1):
        delta[t] = (dY_t[t] + carry) * (1 - H_t[t] * H_t[t])   # tanh' = 1 − h²
        carry = delta[t] @ Wh.T
    H_prev = np.concatenate([h0[None], H_t[:-1]], axis=0)       # h_{t−1} for every t
    flat = delta.reshape(T * N, Hd)
    dWh = H_prev.reshape(T * N, Hd).T @ flat
    dWx = np.swapaxes(X, 0, 1).reshape(T * N, -1).T @ flat
    db = flat.sum(axis=0)
    dX = np.swapaxes((flat @ Wx.T).reshape(T, N, -1), 0, 1)
    return dX, dWx, dWh, db, carry


class RNN(Module):
    r"""A tanh recurrent layer over whole sequences, trained by BPTT (chapter 26).

    Parameters
    ----------
    input_size : int
        ``I``.
    hidden_size : int
        ``H``.
    rng : numpy.random.Generator, optional
    dtype : floating dtype, optional

    Attributes
    ----------
    Wx : ndarray, shape (I, H)
        ``N(0, 1/I)``.
    Wh : ndarray, shape (H, H)
        ``N(0, 1/H)``.
    b : ndarray, shape (H,)
        Zeros.
    dWx, dWh, db : ndarray or None
    dh0 : ndarray or None
        Gradient with respect to the initial state of the last forward.

    Notes
    -----
    ``forward(X, h0=None)`` maps ``X (N, T, I)`` to all hidden states
    ``(N, T, H)``; ``backward(dY)`` runs :func:`rnn_grads` and returns
    ``dX``. Truncated BPTT is done by the caller: run a long sequence in
    chunks, passing the last state of a chunk as ``h0`` of the next, and do
    not send ``dh0`` back into the previous chunk (chapter 26).

    Examples
    --------
    >>> rnn = RNN(3, 5, rng=np.random.default_rng(0))
    >>> rnn.forward(np.ones((2, 4, 3))).shape
    (2, 4, 5)
    """

    def __init__(self, input_size, hidden_size, *, rng=None, dtype=np.float64):
        self.input_size = check_count("RNN", "input_size", input_size)
        self.hidden_size = check_count("RNN", "hidden_size", hidden_size)
        rng, dtype = check_init("RNN", rng, dtype)
        I, H = self.input_size, self.hidden_size
        self.Wx = (rng.standard_normal((I, H)) * np.sqrt(1.0 / I)).astype(dtype)
        self.Wh = (rng.standard_normal((H, H)) * np.sqrt(1.0 / H)).astype(dtype)
        self.b = np.zeros(H, dtype=dtype)
        self.dWx = self.dWh = self.db = self.dh0 = None
        self._cache = None

    input_shape = ("N", "T", "input_size")

    def check_inputs(self, X, h0=None):
        X = self.check_input(X)
        check_nonempty("RNN.forward", X)
        if h0 is None:  # the zero state
            return (X, np.zeros((X.shape[0], self.hidden_size), np.result_type(X, self.Wh))), {}
        return (X, check_finite_array("RNN.forward", h0, "h0", (X.shape[0], self.hidden_size))), {}

    def forward(self, X, h0=None):
        """Return all hidden states ``(N, T, H)``; cache ``X``, the states and ``h0``."""
        Hs = rnn_forward(X, self.Wx, self.Wh, self.b, h0)
        self._cache = (X, Hs, h0)
        return Hs.copy()  # the caller's own array, not the cache

    def backward(self, dY):
        """BPTT: store ``dWx``, ``dWh``, ``db``, ``dh0``; return ``dX`` (chapter 26)."""
        X, Hs, h0 = self._cache
        dX, self.dWx, self.dWh, self.db, self.dh0 = rnn_grads(dY, X, Hs, h0, self.Wx, self.Wh)
        return dX

    def parameters(self):
        return [("Wx", self.Wx, self.dWx), ("Wh", self.Wh, self.dWh), ("b", self.b, self.db)]

    def __repr__(self):
        return f"RNN({self.input_size}, {self.hidden_size}, dtype={self.Wh.dtype})"
