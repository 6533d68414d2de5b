"""nnmath.gradcheck against closed forms, known Jacobians and deliberately broken gradients."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnmath as nm
from nnmath import gradcheck as gc
from nnmath.book.jacobians import matrix_by_matrix_jacobian_W, matrix_by_matrix_jacobian_X
from nnmath.module import Module

from strategies import float_arrays, shapes
from nnmath.book.chapters import ch15_gradient_checking as ch15


# -- Jacobians and gradients of functions of several arrays -------------------

def test_jacobian_of_matmul_matches_the_exact_4d_tensors():
    rng = np.random.default_rng(0)
    X, W = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    JX, JW = gc.numeric_jacobian(lambda X, W: X @ W, X, W)
    # the product is bilinear: central differences are exact up to round-off
    np.testing.assert_allclose(JX, matrix_by_matrix_jacobian_X(X, W), rtol=0, atol=1e-9)
    np.testing.assert_allclose(JW, matrix_by_matrix_jacobian_W(X, W), rtol=0, atol=1e-9)


def test_gradient_of_several_inputs_matches_closed_form():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(5), rng.standard_normal(5)
    gx, gy = gc.numeric_gradient(lambda x, y: float(np.sum(np.sin(x) * y ** 2)), x, y)
    np.testing.assert_allclose(gx, np.cos(x) * y ** 2, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(gy, 2 * np.sin(x) * y, rtol=1e-7, atol=1e-9)


def test_wrt_selects_inputs_and_an_int_returns_one_array():
    x, y = np.array([1.0, 2.0]), np.array([3.0])
    f = lambda x, y: float(np.sum(x) * y[0])  # noqa: E731
    gy = gc.numeric_gradient(f, x, y, wrt=1)
    assert isinstance(gy, np.ndarray)
    np.testing.assert_allclose(gy, [3.0], rtol=1e-8)
    (gx,) = gc.numeric_gradient(f, x, y, wrt=[0])
    np.testing.assert_allclose(gx, [3.0, 3.0], rtol=1e-8)
    with pytest.raises(ValueError, match="out of range"):
        gc.numeric_gradient(f, x, y, wrt=2)


@pytest.mark.parametrize("scheme, order", [("forward", 1), ("central", 2)])
def test_truncation_error_has_the_derived_order(scheme, order):
    # halving h divides the error by 2**order while truncation dominates
    x = np.array([0.7])
    errs = [abs(gc.numeric_gradient(lambda v: float(np.exp(v[0])), x, h=h, scheme=scheme)[0]
                - np.exp(0.7)) for h in (1e-2, 5e-3)]
    assert errs[0] / errs[1] == pytest.approx(2 ** order, rel=0.05)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="scalar"):
        gc.numeric_gradient(lambda v: v * 2, np.ones(3))
    with pytest.raises(ValueError, match="scheme"):
        gc.numeric_jacobian(lambda v: v, np.ones(2), scheme="backward")
    with pytest.raises(ValueError, match="at least one"):
        gc.numeric_jacobian(lambda: 0.0)


# -- relative errors ------------------------------------------------------------

def test_relative_error_near_zero_and_far_from_it():
    err = gc.entrywise_relative_error([1.0, 0.0, 1e-12, -2.0], [1.01, 0.0, 0.0, 2.0], floor=1e-8)
    np.testing.assert_allclose(err, [0.01 / 1.01, 0.0, 1e-4, 2.0], rtol=1e-12)
    # default floor 1e-6: round-off of 1e-10 on a zero entry stays far below a bug's 1e-2
    assert gc.entrywise_relative_error([1e-10], [0.0])[0] == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="shapes differ"):
        gc.entrywise_relative_error(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="floor"):
        gc.entrywise_relative_error(1.0, 1.0, floor=0.0)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_relative_error_is_symmetric_bounded_and_finite(data):
    shape = data.draw(shapes())
    a = data.draw(float_arrays(shape, max_abs=1e6))
    e = data.draw(float_arrays(shape, max_abs=1e6))
    r = gc.entrywise_relative_error(a, e)
    np.testing.assert_array_equal(r, gc.entrywise_relative_error(e, a))
    assert np.all(np.isfinite(r)) and np.all(r >= 0) and np.all(r <= 2)


def test_array_relative_error_is_the_norm_ratio():
    a, e = np.array([3.0, 4.0]), np.array([3.0, 4.5])
    assert gc.norm_relative_error(a, e) == pytest.approx(0.5 / np.hypot(3.0, 4.5), rel=1e-12)
    assert gc.norm_relative_error(np.zeros(3), np.zeros(3)) == 0.0


# -- check() on functions --------------------------------------------------------

def test_check_passes_a_correct_gradient_of_a_scalar_function():
    x = np.random.default_rng(2).standard_normal((3, 2))
    report = gc.check(lambda x: float(np.sum(np.tanh(x))), x, grad=lambda x: 1 - np.tanh(x) ** 2)
    assert report.passed and bool(report)
    assert report.max_error < 1e-7


def test_check_names_the_wrong_entry_of_a_vjp_of_several_inputs():
    rng = np.random.default_rng(3)
    X, W = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))

    def vjp(delta, X, W):
        dW = X.T @ delta
        dW[2, 1] += 0.1  # the planted bug
        return delta @ W.T, dW

    report = gc.check(lambda X, W: X @ W, (X, W), grad=vjp, rng=rng)
    assert not report.passed
    name, index, analytic, numeric, err = report.worst_entry()
    assert (name, index) == ("x1", (2, 1))
    assert analytic - numeric == pytest.approx(0.1, abs=1e-7)
    assert "x1[2, 1]" in str(report) and "FAILED" in str(report)


def test_check_requires_grad_for_a_function_and_rejects_other_objects():
    with pytest.raises(TypeError, match="grad"):
        gc.check(np.sum, np.ones(2))
    with pytest.raises(TypeError, match="module"):
        gc.check(3.0, np.ones(2), grad=np.sum)


# -- check() on modules -----------------------------------------------------------

class _Scale(Module):
    """Y = X * a (a has shape (D,)); a test module independent of nnmath's layers."""

    def __init__(self, a, *, bug=0.0):
        self.a, self.da, self._X, self._bug = np.array(a, float), None, None, bug

    def forward(self, X):
        self._X = X
        return X * self.a

    def backward(self, dY):
        self.da = (dY * self._X).sum(0) * (1 + self._bug)
        return dY * self.a

    def parameters(self):
        return [("a", self.a, self.da)]


def test_check_a_module_with_a_parameter_and_a_planted_bug():
    X = np.random.default_rng(4).standard_normal((5, 3))
    assert gc.check(_Scale([1.0, -2.0, 0.5]), X).passed
    report = gc.check(_Scale([1.0, -2.0, 0.5], bug=1e-3), X)
    assert not report.passed
    assert report.worst.name == "a"
    assert report.worst.max_error == pytest.approx(1e-3, rel=1e-2)


def test_check_a_sequential_network_covers_every_parameter():
    rng = np.random.default_rng(5)
    model = nm.Sequential(nm.Linear(4, 6, rng=rng), nm.Tanh(), nm.Linear(6, 3, rng=rng),
                          nm.Sigmoid())
    W_before = model.layers[0].W.copy()
    report = gc.check(model, rng.standard_normal((5, 4)), rng=rng)
    assert report.passed, str(report)
    assert [c.name for c in report.arrays] == ["input", "0.W", "0.b", "2.W", "2.b"]
    np.testing.assert_array_equal(model.layers[0].W, W_before)  # perturbations undone


def test_check_fails_at_the_kink_of_relu_and_passes_away_from_it():
    away = np.array([[-1.0, 0.3, 2.0]])
    assert gc.check(nm.ReLU(), away).passed
    report = gc.check(nm.ReLU(), np.array([[0.0, 1e-9, 2.0]]))
    assert not report.passed
    assert report.worst_entry()[1] in {(0, 0), (0, 1)}


def test_check_rejects_an_upstream_of_the_wrong_shape():
    with pytest.raises(ValueError, match="upstream"):
        gc.check(nm.Tanh(), np.ones((2, 3)), upstream=np.ones((3, 2)))


# -- the error as a function of the step ---------------------------------------------

def test_difference_quotient_keeps_float32():
    q = ch15.difference_quotient(np.sin, np.float32(1.0), np.float32(1e-2))
    assert q.dtype == np.float32


@pytest.mark.parametrize("scheme", ["forward", "central"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_best_step_is_near_the_theoretical_one(scheme, dtype):
    steps = np.logspace(-14, -0.5, 160)
    errors = ch15.step_size_errors(np.sin, np.cos, 1.0, steps, scheme=scheme, dtype=dtype)
    best = steps[np.argmin(errors)]
    predicted = ch15.optimal_step(scheme, dtype)
    assert predicted / 30 < best < predicted * 30


def test_optimal_step_values():
    eps = np.finfo(np.float64).eps
    assert ch15.optimal_step("forward") == pytest.approx(eps ** 0.5)
    assert ch15.optimal_step("central", np.float32) == pytest.approx(np.finfo(np.float32).eps ** (1 / 3))
    with pytest.raises(ValueError):
        ch15.optimal_step("sideways")


def test_check_a_loss_as_a_function_of_the_logits():
    rng = np.random.default_rng(6)
    Y, labels = rng.standard_normal((4, 3)), np.array([0, 2, 1, 1])
    loss = nm.SoftmaxCrossEntropy()
    report = gc.check(lambda Y: loss.forward(Y, labels), Y,
                      grad=lambda Y: (loss.forward(Y, labels), loss.backward())[1])
    assert report.passed, str(report)
    assert [c.name for c in report.arrays] == ["input"]
