"""Chapter 29: momentum's matrix and step limit, Polyak's tuning, Adam's bias correction.

These results are statements about recurrences, not vector-Jacobian products, so they
are not registry entries; each is checked here against the library's optimisers
(``nnmath.optim``), and each proof or check is handed a wrong formula that it must reject.
The registry entry of the chapter (``least_squares_hvp``) is covered by
``tests/book/test_identities.py`` and ``tests/book/test_wrong_formulas.py``; its proof for every
size is handed wrong formulas below.
"""

import numpy as np
import pytest

from nnmath.book.chapters import ch29_momentum_adam as ch
from nnmath.book.identities import get
from nnmath.optim import SGD, Adam, AdamW


def _iterates_by_matrix(matrix, x0, steps):
    M = np.array(matrix, dtype=float)
    return np.array([(np.linalg.matrix_power(M, t) @ np.array([x0, 0.0]))[0]
                     for t in range(steps + 1)])


@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("lam, eta, mu", [(1.7, 0.3, 0.8), (0.2, 2.0, 0.5), (3.0, 0.1, 0.95)])
def test_matrix_is_the_library_rule(nesterov, lam, eta, mu):
    path = ch.run(lambda m: SGD(m, eta, momentum=mu, nesterov=nesterov), [1.0],
                  lambda th: lam * th, 40)[:, 0]
    matrix = (ch.nesterov_matrix if nesterov else ch.heavy_ball_matrix)(eta, mu, lam)
    np.testing.assert_allclose(path, _iterates_by_matrix(matrix, 1.0, 40), rtol=1e-12, atol=1e-12)
    wrong = (ch.heavy_ball_matrix if nesterov else ch.nesterov_matrix)(eta, mu, lam)
    assert not np.allclose(path, _iterates_by_matrix(wrong, 1.0, 40), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("nesterov", [False, True])
def test_step_limit_proofs_hold(nesterov):
    matrix = ch.nesterov_matrix if nesterov else ch.heavy_ball_matrix
    assert ch.prove_step_limit(matrix, nesterov=nesterov).holds


@pytest.mark.parametrize("matrix, limit, nesterov", [
    (ch.heavy_ball_matrix, lambda mu, nesterov=False: 2, False),              # GD's limit
    (ch.heavy_ball_matrix, lambda mu, nesterov=False: 2 * (1 + mu) ** 2, False),
    (ch.nesterov_matrix, lambda mu, nesterov=False: 2 * (1 + mu), True),      # heavy ball's
    (ch.heavy_ball_matrix, ch.step_limit, True),                              # Nesterov's limit
    (lambda eta, mu, lam: [[1 - eta * lam, -eta * mu], [lam, -mu]], ch.step_limit, False),
    (lambda eta, mu, lam: [[1 - eta * lam, eta * mu], [lam, mu]], ch.step_limit, False),
])
def test_step_limit_proof_rejects_wrong_formulas(matrix, limit, nesterov):
    assert not ch.prove_step_limit(matrix, limit, nesterov=nesterov).holds


@pytest.mark.parametrize("nesterov", [False, True])
def test_step_limit_is_where_the_spectral_radius_crosses_one(nesterov):
    matrix = ch.nesterov_matrix if nesterov else ch.heavy_ball_matrix
    for mu in np.linspace(0, 0.97, 15):
        x = ch.step_limit(mu, nesterov=nesterov)
        assert ch.spectral_radius(matrix(0.999 * x, mu, 1.0)) < 1
        assert ch.spectral_radius(matrix(1.001 * x, mu, 1.0)) > 1
    # the wrong limit (GD's 2) is not where heavy ball turns unstable
    assert ch.spectral_radius(ch.heavy_ball_matrix(1.001 * 2, 0.5, 1.0)) < 1


def test_step_limit_with_the_library_on_a_quadratic():
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    H = Q @ np.diag(np.linspace(0.3, 3.0, 6)) @ Q.T
    for mu in (0.0, 0.5, 0.9):
        limit = ch.step_limit(mu) / 3.0
        with np.errstate(all="ignore"):   # the unstable run may overflow: that is the point
            end = {f: np.linalg.norm(ch.run(lambda m: SGD(m, f * limit, momentum=mu), np.ones(6),
                                            lambda th: H @ th, 3000)[-1]) for f in (0.98, 1.02)}
        assert end[0.98] < 1e-3 and not end[1.02] < 1e3


def test_optimal_heavy_ball_rate_and_grid():
    lam = np.array([0.1, 0.4, 1.0, 2.5])
    eta, mu, rate = ch.optimal_heavy_ball(lam[0], lam[-1])
    radii = [ch.spectral_radius(ch.heavy_ball_matrix(eta, mu, l)) for l in lam]
    np.testing.assert_allclose(max(radii), rate, rtol=1e-6)
    np.testing.assert_allclose(rate, np.sqrt(mu))
    grid = min(max(ch.spectral_radius(ch.heavy_ball_matrix(e, m, l)) for l in lam)
               for e in np.linspace(0.05, 5, 40) for m in np.linspace(0, 0.95, 40))
    assert grid >= rate - 1e-9
    eta_gd, rate_gd = ch.optimal_gradient_descent(lam[0], lam[-1])
    np.testing.assert_allclose(np.max(np.abs(1 - eta_gd * lam)), rate_gd)
    # a wrong tuning (mu = rate instead of rate²) gives a worse rate than claimed
    radii_wrong = [ch.spectral_radius(ch.heavy_ball_matrix(eta, rate, l)) for l in lam]
    assert max(radii_wrong) > rate + 1e-3
    with pytest.raises(ValueError, match="optimal_heavy_ball"):
        ch.optimal_heavy_ball(2.0, 1.0)
    with pytest.raises(ValueError, match="optimal_gradient_descent"):
        ch.optimal_gradient_descent(0.0, 1.0)


def test_velocity_gain_is_the_buffer_steady_state():
    for mu in (0.3, 0.9):
        for omega in (0.0, np.pi / 3, np.pi):
            t = np.arange(3000)
            g = np.exp(1j * omega * t)      # the filter's response to e^{iωt} has modulus gain
            v, vs = 0.0, []
            for gt in g:
                v = mu * v + gt
                vs.append(v)
            np.testing.assert_allclose(np.abs(vs[-1]), ch.velocity_gain(mu, omega), rtol=1e-9)
            assert abs(np.abs(vs[-1]) - 1 / abs(1 + mu * np.exp(-1j * omega))) > 1e-3 or omega == np.pi / 2


def test_bias_correction_proof_and_wrong_ones():
    assert ch.prove_bias_correction().holds
    for wrong in (lambda b, t: 1 - b ** (t - 1), lambda b, t: 1 - b ** (t + 1),
                  lambda b, t: (1 - b) * t, lambda b, t: 1 + 0 * b):
        assert not ch.prove_bias_correction(wrong).holds


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.8)])
def test_bias_correction_with_the_library(betas):
    g = np.array([2.0, -0.5, 1e-3])
    model = ch.FunctionModel(np.zeros(3), lambda th: g)
    adam = Adam(model, lr=1e-3, betas=betas)
    for t in range(1, 30):
        model.backward()
        adam.step()
        state = adam.state["theta"]
        np.testing.assert_allclose(state["exp_avg"] / ch.bias_correction(betas[0], t), g, rtol=1e-12)
        np.testing.assert_allclose(state["exp_avg_sq"] / ch.bias_correction(betas[1], t), g * g,
                                   rtol=1e-12)
        if 1 < t < 6:   # a wrong correction is off while beta^t is not negligible
            assert not np.allclose(state["exp_avg"] / (1 - betas[0] ** (t - 1)), g, rtol=1e-6)


def test_adam_first_step_and_decoupled_decay():
    g = np.array([1e3, 1.0, -1e-3])
    model = ch.FunctionModel(np.zeros(3), lambda th: g)
    model.backward()
    Adam(model, lr=0.01).step()
    np.testing.assert_allclose(model.theta, -0.01 * np.sign(g), rtol=1e-4)
    # an ignored weight: AdamW decays it by exactly (1 - eta lambda)^t, Adam+L2 does not
    grad = lambda w: np.array([w[0] - 2.0, 0.0])
    for decay in (0.1, 0.001):
        w_adamw = ch.run(lambda m: AdamW(m, lr=0.01, weight_decay=decay), [1.0, 1.0], grad, 50)[-1]
        np.testing.assert_allclose(w_adamw[1], (1 - 0.01 * decay) ** 50, rtol=1e-12)
    w_l2 = [ch.run(lambda m: Adam(m, lr=0.01, weight_decay=d), [1.0, 1.0], grad, 50)[-1][1]
            for d in (0.1, 0.001)]
    np.testing.assert_allclose(w_l2[0], w_l2[1], rtol=1e-4)     # independent of lambda
    assert abs(w_l2[0] - 0.999 ** 50) > 0.3


def test_least_squares_hvp_all_sizes_proof_rejects_wrong_formulas():
    entry = get("least_squares_hvp")
    assert entry.prove_all_sizes().holds
    for wrong in (lambda d, o, w, V, X, y: d * X.T * X * V,               # no 1/N
                  lambda d, o, w, V, X, y: d * X.T * (X * w - y) / X.shape[0],  # the gradient
                  lambda d, o, w, V, X, y: d * X.T * X * w / X.shape[0]):    # H w, not H V
        assert not entry.prove_all_sizes(wrong).holds


def test_train_steps_stops_on_blow_up_and_follows_schedule():
    import nnmath as nm
    rng = np.random.default_rng(0)
    X, T = rng.standard_normal((20, 2)), rng.standard_normal((20, 1))
    model = nm.Linear(2, 1, rng=rng)
    optimizer = SGD(model, 100.0)
    losses = ch.train_steps(model, nm.MSE(), optimizer, X, T, steps=200, batch_size=20, rng=rng)
    assert len(losses) < 201 and not losses[-1] < 1e6
    optimizer = SGD(nm.Linear(2, 1, rng=rng), 0.1)
    ch.train_steps(optimizer.model, nm.MSE(), optimizer, X, T, steps=3, batch_size=5, rng=rng,
                   schedule=lambda s: 0.5 ** s)
    assert optimizer.lr == pytest.approx(0.1 * 0.25)
