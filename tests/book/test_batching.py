"""Tests of nnmath.book.chapters.ch11_minibatches (chapter 11): per-sample gradients, the folded bias, conditioning.

Independent routes: an explicit Python loop over samples, nnmath.Linear's own
backward, closed-form eigenvalues and numpy.linalg.lstsq.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnmath as nm
from nnmath.book.chapters.ch11_minibatches import (append_ones_column, condition_number, fold_bias,
                             gradient_descent_path, least_squares_hessian,
                             per_sample_weight_gradients, unfold_bias)
from nnmath.matmul import matmul_grad_W

from strategies import float_arrays, sides


def _rng(seed=0):
    return np.random.default_rng(seed)


# -- per-sample gradients -------------------------------------------------------

def test_per_sample_gradients_are_the_outer_products_of_a_loop():
    rng = _rng(1)
    X, dY = rng.standard_normal((7, 4)), rng.standard_normal((7, 3))
    G = per_sample_weight_gradients(X, dY)
    assert G.shape == (7, 4, 3)
    total = np.zeros((4, 3))
    for n in range(X.shape[0]):            # the slow route, one sample at a time
        outer = np.zeros((4, 3))
        for j in range(4):
            for k in range(3):
                outer[j, k] = X[n, j] * dY[n, k]
        np.testing.assert_allclose(G[n], outer, rtol=0, atol=1e-15)
        total += outer
    np.testing.assert_allclose(G.sum(axis=0), total, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(matmul_grad_W(dY, X), total, rtol=1e-13, atol=1e-13)


@settings(max_examples=30, deadline=None)
@given(st.tuples(sides(), sides(), sides()).flatmap(
    lambda s: st.tuples(float_arrays((s[0], s[1])), float_arrays((s[0], s[2])))))
def test_sum_of_per_sample_gradients_is_one_matrix_product(arrays):
    X, dY = arrays
    np.testing.assert_allclose(per_sample_weight_gradients(X, dY).sum(axis=0), X.T @ dY,
                               rtol=1e-12, atol=1e-12)


def test_mean_loss_gradient_is_the_mean_of_single_sample_gradients():
    rng = _rng(2)
    model = nm.Sequential(nm.Linear(3, 5, rng=rng), nm.Tanh(), nm.Linear(5, 2, rng=rng))
    loss = nm.MSE()
    X, T = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    loss.forward(model.forward(X), T)
    model.backward(loss.backward())
    batch = [g.copy() for _, _, g in model.parameters()]
    mean = [np.zeros_like(g) for g in batch]
    for n in range(X.shape[0]):            # each sample on its own, as a batch of one
        loss.forward(model.forward(X[n:n + 1]), T[n:n + 1])
        model.backward(loss.backward())
        for acc, (_, _, g) in zip(mean, model.parameters()):
            acc += g / X.shape[0]
    for b, m in zip(batch, mean):
        np.testing.assert_allclose(b, m, rtol=1e-12, atol=1e-14)


def test_per_sample_gradients_run_on_sympy_symbols():
    from nnmath.book.symbolic import is_zero, symbol_array

    X, dY = symbol_array("X", (3, 2), real=True), symbol_array("d", (3, 2), real=True)
    assert is_zero(per_sample_weight_gradients(X, dY).sum(axis=0) - X.T @ dY)


# -- the bias as an extra weight row --------------------------------------------

def test_folded_bias_matches_linear_forward_and_gradients():
    rng = _rng(3)
    layer = nm.Linear(4, 3, rng=rng)
    layer.b = rng.standard_normal(3)
    X, dY = rng.standard_normal((8, 4)), rng.standard_normal((8, 3))
    Y = layer.forward(X)
    layer.backward(dY)
    X1, Wb = append_ones_column(X), fold_bias(layer.W, layer.b)
    assert X1.shape == (8, 5) and Wb.shape == (5, 3)
    np.testing.assert_allclose(X1 @ Wb, Y, rtol=0, atol=1e-12)
    dW, db = unfold_bias(matmul_grad_W(dY, X1))
    np.testing.assert_allclose(dW, layer.dW, rtol=0, atol=1e-12)
    np.testing.assert_allclose(db, layer.db, rtol=0, atol=1e-12)


def test_fold_and_unfold_are_inverse():
    rng = _rng(4)
    W, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    W2, b2 = unfold_bias(fold_bias(W, b))
    np.testing.assert_array_equal(W2, W)
    np.testing.assert_array_equal(b2, b)
    np.testing.assert_array_equal(append_ones_column(np.zeros((2, 0))), np.ones((2, 1)))


# -- conditioning ---------------------------------------------------------------

def test_condition_number_of_a_diagonal_and_a_rotated_matrix():
    assert condition_number(np.diag([9.0, 3.0, 0.5])) == pytest.approx(18.0, rel=1e-12)
    c, s = np.cos(0.3), np.sin(0.3)
    R = np.array([[c, -s], [s, c]])
    assert condition_number(R @ np.diag([100.0, 4.0]) @ R.T) == pytest.approx(25.0, rel=1e-10)
    assert condition_number(np.array([[1.0, 1.0], [1.0, 1.0]])) == np.inf


def test_hessian_is_the_second_derivative_of_the_mse():
    rng = _rng(5)
    X, t = rng.standard_normal((9, 3)), rng.standard_normal((9, 1))
    H = least_squares_hessian(X)

    def grad(w):
        return nm.gradcheck.numeric_gradient(lambda v: nm.losses.mse(X @ v.reshape(3, 1), t), w)

    H_fd = nm.gradcheck.numeric_jacobian(grad, np.zeros(3))
    np.testing.assert_allclose(H, H_fd, rtol=1e-4, atol=1e-5)


def test_standardising_a_badly_scaled_design_cuts_the_condition_number():
    rng = _rng(6)
    N = 500
    X = np.column_stack([rng.standard_normal(N), 1000.0 * rng.standard_normal(N)])
    raw = condition_number(least_squares_hessian(X))
    standardised = condition_number(least_squares_hessian(nm.data.Standardizer().fit_transform(X)))
    assert raw > 1e5
    assert standardised < 1.5
    assert raw / standardised > 1e5


def test_standardising_a_design_with_a_bias_column_leaves_the_correlation_matrix():
    rng = _rng(7)
    X = rng.standard_normal((400, 2)) @ np.array([[2.0, 0.5], [0.0, 0.3]]) + [5.0, -3.0]
    Z = nm.data.Standardizer().fit_transform(X)
    H = least_squares_hessian(append_ones_column(Z))
    R = np.corrcoef(X, rowvar=False)
    np.testing.assert_allclose(H[:2, :2], R, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(H[2], [0.0, 0.0, 1.0], rtol=0, atol=1e-12)
    assert condition_number(least_squares_hessian(append_ones_column(X))) > 50 * condition_number(H)


def test_gradient_descent_path_reaches_the_least_squares_solution():
    rng = _rng(8)
    X = append_ones_column(nm.data.Standardizer().fit_transform(rng.standard_normal((50, 2))))
    T = rng.standard_normal((50, 1))
    lr = 1.0 / np.linalg.eigvalsh(least_squares_hessian(X))[-1]
    path = gradient_descent_path(X, T, np.zeros((3, 1)), lr=lr, steps=200)
    assert path.shape == (201, 3, 1)
    np.testing.assert_array_equal(path[0], np.zeros((3, 1)))
    W_star = np.linalg.lstsq(X, T, rcond=None)[0]
    np.testing.assert_allclose(path[-1], W_star, rtol=0, atol=1e-8)


# -- bad input -----------------------------------------------------------------

@pytest.mark.parametrize("call, match", [
    (lambda: per_sample_weight_gradients(np.ones((3, 2)), np.ones((4, 2))), r"\(3, 2\).*\(4, 2\)"),
    (lambda: per_sample_weight_gradients(np.ones(3), np.ones((3, 2))), "X must be 2-D"),
    (lambda: append_ones_column(np.ones(4)), r"append_ones_column: X must be 2-D, got shape \(4,\)"),
    (lambda: fold_bias(np.ones((3, 2)), np.ones(3)), r"b must have shape \(2,\), got \(3,\)"),
    (lambda: fold_bias(np.ones((3, 2)), np.ones((1, 2))), r"fold_bias"),
    (lambda: unfold_bias(np.ones((1, 2))), r"unfold_bias.*\(1, 2\)"),
    (lambda: least_squares_hessian(np.ones((2, 2, 2))), "least_squares_hessian"),
    (lambda: condition_number(np.ones((2, 3))), r"square.*\(2, 3\)"),
    (lambda: condition_number(np.array([[1.0, 2.0], [0.0, 1.0]])), "symmetric"),
    (lambda: condition_number(np.diag([1.0, -1.0])), "negative eigenvalue"),
    (lambda: condition_number(np.zeros((2, 2))), "zero"),
    (lambda: condition_number(np.diag([1.0, np.nan])), "NaN"),
    (lambda: gradient_descent_path(np.ones((3, 2)), np.ones((3, 1)), np.ones((2, 2)),
                                   lr=0.1, steps=1), r"W0 \(2, 2\)"),
    (lambda: gradient_descent_path(np.ones((3, 2)), np.ones((3, 1)), np.ones((2, 1)),
                                   lr=0.0, steps=1), "lr must be"),
    (lambda: gradient_descent_path(np.ones((3, 2)), np.ones((3, 1)), np.ones((2, 1)),
                                   lr=0.1, steps=-1), "steps must be"),
])
def test_bad_input_raises_a_clear_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_non_numeric_input_raises_type_error():
    with pytest.raises(TypeError, match="per_sample_weight_gradients: X"):
        per_sample_weight_gradients(np.array([["a"]]), np.ones((1, 1)))
