"""Chapter 26 (embeddings and backpropagation through time): demonstrations and studies."""

import time

import numpy as np

from ... import sequence as seq

__all__ = ["embedding_jacobian", "assign_instead_of_add", "matrix_with_spectral_radius",
           "jacobian_product_norms", "nonnormal_counterexample", "truncated_grad_Wh",
           "bptt_seconds"]


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


def nonnormal_counterexample(T=40, scale=0.9, high=0.999):
    r"""A recurrence with spectral radius below 1 whose gradient grows: ``Wh = scale·[[1, 1], [−2, −1]]``.

    ``Wh`` has both eigenvalues of modulus ``scale`` (``Wh² = −scale² I``) but
    spectral norm ``scale·(1 + √2)``. The inputs are chosen (``Wx = I``,
    ``x_t = artanh(h_t) − h_{t−1} Wh``) so that the states alternate,
    ``h_1 = (high, 0)``, ``h_2 = (0, high)``, ...; each ``diag(1 − h_t²)`` nearly removes
    one coordinate, and what remains of ``diag(1 − h_t²) Whᵀ`` is the large
    off-diagonal entry of ``Wh``, not its small eigenvalues.

    Returns
    -------
    dict with ``rho`` (spectral radius of ``Wh``), ``norm_Wh`` (its spectral norm),
    ``jacobian_norm`` (``‖∂h_T/∂h_0‖₂``, each row from
    :func:`nnmath.sequence.rnn_grads`), ``product_norm`` (the same from the
    product of the step Jacobians ``diag(1 − h_t²) Whᵀ``), ``linear_norm``
    (``‖(Whᵀ)^T‖₂``, the regime ``D_s = I``) and ``states_error`` (largest
    distance of the run's states from the prescribed ones).
    """
    Wh = scale * np.array([[1.0, 1.0], [-2.0, -1.0]])
    states = np.array([[high, 0.0] if t % 2 == 1 else [0.0, high] for t in range(1, T + 1)])
    h0 = np.zeros((1, 2))
    previous = np.vstack([h0, states[:-1]])
    X = (np.arctanh(states) - previous @ Wh)[None]             # (1, T, 2): inputs that realise the states
    Hs = seq.rnn_forward(X, np.eye(2), Wh, np.zeros(2), h0)
    rows = []
    for i in range(2):                                         # row i of ∂h_T/∂h_0 = dh0 for dH = e_i at step T
        dH = np.zeros((1, T, 2))
        dH[0, -1, i] = 1.0
        rows.append(seq.rnn_grads(dH, X, Hs, h0, np.eye(2), Wh)[-1][0])
    J = np.eye(2)
    for t in range(T - 1, -1, -1):
        J = J @ (np.diag(1 - Hs[0, t] ** 2) @ Wh.T)
    return {"rho": float(np.max(np.abs(np.linalg.eigvals(Wh)))),
            "norm_Wh": float(np.linalg.norm(Wh, 2)),
            "jacobian_norm": float(np.linalg.norm(np.array(rows), 2)),
            "product_norm": float(np.linalg.norm(J, 2)),
            "linear_norm": float(np.linalg.norm(np.linalg.matrix_power(Wh.T, T), 2)),
            "states_error": float(np.abs(Hs[0] - states).max())}


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
            seq.rnn_grads(dH, X, Hs, h0, Wx, Wh)
            best = min(best, time.perf_counter() - start)
        out.append(best)
    return np.array(out)
