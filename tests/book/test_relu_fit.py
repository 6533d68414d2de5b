"""The least-squares search over kinks of chapter 12 (nnmath.book.chapters.ch12_experiments)."""

import numpy as np
import pytest

from nnmath.book.chapters import ch12_experiments as ch12


def test_search_recovers_a_function_a_1_3_1_relu_network_draws_exactly():
    x = np.linspace(0.0, 1.0, 400)
    target = 0.5 - 2.0 * np.maximum(0, x - 0.3) + 3.0 * np.maximum(0, 0.62 - x) \
        + 1.5 * np.maximum(0, x - 0.8)
    fit = ch12.best_relu_fit(x, target)
    assert fit["mse"] < 1e-12
    np.testing.assert_allclose(np.sort(fit["kinks"]), [0.3, 0.62, 0.8], atol=1e-6)


def test_the_fit_is_a_real_network_with_the_reported_error():
    u = (np.arange(1, 1001) - 0.5) / 1000
    f = 3 * np.sin(20 * u)
    fit = ch12.best_relu_fit(u, f)
    net = ch12.to_network(fit, rng=np.random.default_rng(0))
    grid_mse = float(np.mean((net.forward(u[:, None])[:, 0] - f) ** 2))
    assert grid_mse == pytest.approx(fit["mse"], rel=1e-9)
    assert fit["mse"] < 0.6 * np.var(f)     # far below the best constant
    # the alternation theorem still holds: some extremum is missed by >= 3
    x_ext = (2 * np.arange(6) + 1) * np.pi / 40
    miss = np.abs(net.forward(x_ext[:, None])[:, 0] - 3 * np.sin(20 * x_ext))
    assert miss.max() >= 3.0


def test_least_squares_fit_matches_numpy_lstsq():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1, 50), rng.standard_normal(50)
    kinks, signs = np.array([0.2, 0.5, 0.7]), np.array([1.0, -1.0, 1.0])
    mse, coef = ch12.least_squares_fit(x, y, kinks, signs)
    A = np.column_stack([np.ones(50)] + [np.maximum(0, s * (x - k)) for k, s in zip(kinks, signs)])
    ref, *_ = np.linalg.lstsq(A, y, rcond=None)
    np.testing.assert_allclose(coef, ref, rtol=1e-8, atol=1e-10)
    assert mse == pytest.approx(np.mean((A @ ref - y) ** 2), rel=1e-10)
