"""Chapter 26 (embeddings and backpropagation through time): demonstrations and studies."""

import time

import numpy as np

from ... import sequence as seq

__all__ = ["embedding_jacobian", "assign_instead_of_add", "matrix_with_spectral_radius",
           "jacobian_product_norms", "truncated_grad_Wh", "bptt_seconds"]


def embedding_jacobian(indices, num_embeddings, dim):
    """Full Jacobian ``∂Y/∂W`` of ``Y = W[indices]``: shape ``(P, dim, V, dim)`` for P indices.

    ``J[p, j, v, k] = [i_p = v][j = k]``: a selection, with exactly one 1 per
    output entry.
    """
    indices = np.asarray(indices).reshape(-1)
    E = np.eye(num_embeddings)[indices]                    # (P, V) one-hot rows
    return np.einsum("pv,jk->pjvk", E, np.eye(dim))


def assign_instead_of_add(indices, dY, num_embeddings):
    """The bug: ``dW[idx] = δ``, where a repeated token keeps only one of its gradients."""
    dim = dY.shape[-1]
    dW = np.zeros((num_embeddings, dim))
    dW[np.reshape(indices, -1)] = np.reshape(dY, (-1, dim))
    return dW


def matrix_with_spectral_radius(radius, n, rng):
    """A random ``(n, n)`` matrix rescaled to spectral radius ``radius``."""
    W = rng.standard_normal((n, n))
    return W * (radius / np.max(np.abs(np.linalg.eigvals(W))))


def jacobian_product_norms(Wh, lags, *, rng, scale=0.0, batch=1, h0_scale=0.5):
    r"""Spectral norms of ``∂h_T/∂h_{T−k} = ∏ diag(1 − h_t²) Wh`` (column form) for ``k = 1 … lags``.

    Runs an RNN with input weights of size ``scale`` (0: no input, so the
    states follow ``Wh`` alone from a random ``h0``) for ``lags`` steps and
    multiplies the one-step Jacobians from the last step backwards.

    Returns
    -------
    norms : ndarray, shape (lags,)
        ``norms[k − 1] = ‖∂h_T/∂h_{T−k}‖₂`` averaged over ``batch`` runs.
    """
    H = Wh.shape[0]
    X = rng.standard_normal((batch, lags, H)) * scale
    h0 = rng.standard_normal((batch, H)) * h0_scale
    Hs = seq.rnn_forward(X, np.eye(H), Wh, np.zeros(H), h0)
    norms = np.zeros(lags)
    for n in range(batch):
        J = np.eye(H)
        for k in range(1, lags + 1):
            t = lags - k                                   # step whose Jacobian joins the product
            J = J @ (np.diag(1 - Hs[n, t] ** 2) @ Wh.T)    # ∂h_t/∂h_{t−1} = diag(1 − h_t²) Whᵀ
            norms[k - 1] += np.linalg.norm(J, 2) / batch
    return norms


def truncated_grad_Wh(X, Wx, Wh, b, dH, k):
    """``∂L/∂Wh`` when the gradient of each step is carried back at most ``k`` steps.

    The reference for truncated BPTT: for every step ``s`` that receives a
    gradient, backpropagate it ``k`` steps and stop. ``k ≥ T`` gives full BPTT.
    """
    N, T, Hd = dH.shape
    h0 = np.zeros((N, Hd))
    Hs = seq.rnn_forward(X, Wx, Wh, b, h0)
    H_prev = np.concatenate([h0[:, None], Hs[:, :-1]], axis=1)
    dWh = np.zeros_like(Wh)
    for s in range(T):
        g = dH[:, s]
        for t in range(s, max(s - k, -1), -1):
            d = g * (1 - Hs[:, t] ** 2)
            dWh += H_prev[:, t].T @ d
            g = d @ Wh.T
    return dWh


def bptt_seconds(lengths, *, N=32, I=16, H=64, repeats=5, rng):
    """Best-of-``repeats`` seconds of one RNN forward + backward for each sequence length."""
    out = []
    Wx, Wh = rng.standard_normal((I, H)) / 4, rng.standard_normal((H, H)) / 8
    for T in lengths:
        X, dH = rng.standard_normal((N, T, I)), rng.standard_normal((N, T, H))
        h0 = np.zeros((N, H))
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            Hs = seq.rnn_forward(X, Wx, Wh, np.zeros(H), h0)
            seq.rnn_backward(dH, X, Hs, h0, Wx, Wh)
            best = min(best, time.perf_counter() - start)
        out.append(best)
    return np.array(out)
