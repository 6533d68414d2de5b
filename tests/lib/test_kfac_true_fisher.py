"""K-FAC's true Fisher: labels drawn by the inverse CDF of the softmax, for logits with a
sequence axis, in float32; the factors against NumPy written out.

Independent route: the probabilities of every row, one uniform draw per row from
``default_rng([seed, step])`` mapped to a label by ``np.searchsorted`` on the cumulative
sums (the inverse CDF), ``g = p − onehot(label)`` and ``ã = [x, 1]``, then
``A = ãᵀã / rows`` and ``G = gᵀg / rows`` (chapter 30), computed in float64.
"""

import numpy as np

import nnmath as nm
from nnmath.optim import KFAC


def _softmax(Z):
    E = np.exp(Z - Z.max(-1, keepdims=True))
    return E / E.sum(-1, keepdims=True)


def test_true_fisher_factors_of_sequence_logits_in_float32():
    rng = np.random.default_rng(4)
    N, T, D, C, seed = 5, 8, 3, 4, 7
    layer = nm.Linear(D, C, rng=rng, dtype=np.float32)
    X = rng.standard_normal((N, T, D)).astype(np.float32)
    W, b = layer.W.astype(np.float64), layer.b.astype(np.float64)
    opt = KFAC(layer, lr=0.1, seed=seed)
    for step in range(2):
        Z = layer.forward(X)
        assert Z.shape == (N, T, C)
        layer.backward(np.zeros_like(Z))
        P = _softmax(X.astype(np.float64).reshape(-1, D) @ W + b)          # (N·T, C)
        u = np.random.default_rng([seed, step]).random(N * T)
        labels = np.array([np.searchsorted(np.cumsum(p), v) for p, v in zip(P, u)])
        if step == 0:
            assert set(labels) == set(range(C))          # the last class is drawn too
        g = P - np.eye(C)[labels]
        a = np.hstack([X.reshape(-1, D).astype(np.float64), np.ones((N * T, 1))])
        A, G = a.T @ a / (N * T), g.T @ g / (N * T)
        if step == 1:                                    # moving average, decay 0.95
            A, G = 0.95 * A0 + 0.05 * A, 0.95 * G0 + 0.05 * G
        opt.step()
        (factors,) = opt.factors.values()
        assert factors["A"].dtype == factors["G"].dtype == np.float32
        np.testing.assert_allclose(factors["A"], A, rtol=2e-5, atol=1e-6)
        np.testing.assert_allclose(factors["G"], G, rtol=2e-5, atol=1e-6)
        A0, G0 = A, G
        W, b = layer.W.astype(np.float64), layer.b.astype(np.float64)
