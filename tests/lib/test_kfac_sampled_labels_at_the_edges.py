"""K-FAC's true-Fisher labels at the two edges of the inverse CDF: a draw equal to a cumulative
probability, and a draw above a float32 cumulative sum that falls short of 1.

Independent route: the uniform draws of ``default_rng([seed, step])``, labels from
``np.searchsorted`` (side "left": the first class whose cumulative probability reaches the
draw, the last class past the end) and ``G = gᵀg / rows`` with ``g = p − onehot(label)``.
"""

import numpy as np

import nnmath as nm
from nnmath.activations import softmax
from nnmath.optim import KFAC


def _expected_G(P, u):
    """``gᵀg / rows`` for the labels ``u`` draws from ``P``, computed in float64."""
    labels = np.array([min(np.searchsorted(np.cumsum(p), v), len(p) - 1)  # in P's dtype
                       for p, v in zip(P, u)])
    g = P.astype(np.float64) - np.eye(P.shape[1])[labels]
    return g.T @ g / len(P), labels


def _logit_whose_probability_is(u):
    """A float ``d`` with ``softmax([d, 0])[0] == u`` exactly (bisection, then neighbours)."""
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if softmax(np.array([mid, 0.0]))[0] < u else (lo, mid)
    d = lo
    for _ in range(64):
        d = np.nextafter(d, -np.inf)
    for _ in range(128):
        if softmax(np.array([d, 0.0]))[0] == u:
            return d
        d = np.nextafter(d, np.inf)
    raise AssertionError("no logit gives that probability exactly")


def test_a_draw_equal_to_the_first_cumulative_probability_takes_the_first_class():
    seed = 0
    (u,) = np.random.default_rng([seed, 0]).random((1, 1))[:, 0]
    d = _logit_whose_probability_is(u)
    layer = nm.Linear(1, 2)
    layer.W[...] = 0.0
    layer.b[...] = [d, 0.0]                              # logits [d, 0]: p₀ = u exactly
    opt = KFAC(layer, lr=0.1, seed=seed)
    Z = layer.forward(np.zeros((1, 1)))
    layer.backward(np.zeros_like(Z))
    P = softmax(Z)
    assert P[0, 0] == u
    G, labels = _expected_G(P, [u])
    assert labels.tolist() == [0]
    opt.step()
    np.testing.assert_allclose(opt.factors["W"]["G"], G, rtol=1e-12)


def test_a_draw_above_the_float32_total_takes_the_last_class():
    # 31 equal float32 probabilities fl(1/31) add up to 1 − 4.8e-7; the 179th draw of
    # default_rng([824, 0]) is 1 − 1.2e-7, above that total
    N, C, seed = 180, 31, 824
    rng = np.random.default_rng(5)
    layer = nm.Linear(1, C, rng=rng, dtype=np.float32)
    layer.W[...] = 0.0                                   # every logit exactly 0
    X = rng.standard_normal((N, 1)).astype(np.float32)
    opt = KFAC(layer, lr=0.1, seed=seed)
    Z = layer.forward(X)
    layer.backward(np.zeros_like(Z))
    u = np.random.default_rng([seed, 0]).random((N, 1))[:, 0]
    P = np.full((N, C), np.float32(1) / np.float32(C), dtype=np.float32)
    total = np.cumsum(P[0])[-1]
    assert (u > total).sum() == 1
    G, labels = _expected_G(P, u)
    assert labels[u > total].tolist() == [C - 1]
    opt.step()
    np.testing.assert_allclose(opt.factors["W"]["G"], G, rtol=2e-5, atol=1e-7)
