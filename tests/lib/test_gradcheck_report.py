"""nnmath.gradcheck in detail: difference quotients, errors, the report and its messages.

References: closed forms of the difference quotients themselves (the central
difference of ``x³`` with step ``h`` is ``3x² + h²`` exactly), a central
difference written out here with its own loop, hand-computed relative errors,
the exact text of the report and of the error messages.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath.gradcheck import (ArrayCheck, GradCheckReport, check, entrywise_relative_error,
                              norm_relative_error, numeric_gradient, numeric_jacobian)


def _rng(*key):
    return np.random.default_rng([41, *key])


# -- the report as text -------------------------------------------------------------

def _report(rtol=1e-4, h=1e-6, names=("x0", "x1")):
    a = ArrayCheck(names[0], np.array([1.0, 2.0]), np.array([1.0, 2.0]), np.zeros(2), 0.0)
    b = ArrayCheck(names[1], np.array([[1.0, 3.0]]), np.array([[1.0, 2.0]]),
                   np.array([[0.0, 1 / 3]]), 0.3)
    return GradCheckReport([a, b], rtol=rtol, h=h)


def test_report_text_of_a_failure():
    assert str(_report()) == (
        "array  shape         max entry err   array err\n"
        "x0     (2,)               0.00e+00    0.00e+00\n"
        "x1     (1, 2)             3.33e-01    3.00e-01\n"
        "FAILED (rtol 1e-04, h 1e-06); worst entry: x1[0, 1] analytic 3.000000e+00 "
        "numeric 2.000000e+00 relative error 3.33e-01")


def test_report_text_of_a_pass_with_long_names():
    assert str(_report(rtol=0.5, h=1e-5, names=("input", "layers[0].W"))) == (
        "array        shape         max entry err   array err\n"
        "input        (2,)               0.00e+00    0.00e+00\n"
        "layers[0].W  (1, 2)             3.33e-01    3.00e-01\n"
        "passed (rtol 5e-01, h 1e-05); worst entry: layers[0].W[0, 1] analytic 3.000000e+00 "
        "numeric 2.000000e+00 relative error 3.33e-01")


# -- check(): what it passes on -------------------------------------------------------

def test_check_uses_the_given_upstream_gradient():
    x = np.array([0.5, -1.0, 2.0])
    u = np.array([1.0, 2.0, 3.0])
    report = check(lambda v: v ** 2, x, grad=lambda d, v: 2 * v * d, upstream=u)
    np.testing.assert_allclose(report.arrays[0].analytic, 2 * x * u, rtol=1e-15)
    layer = nm.Linear(3, 2, rng=np.random.default_rng(0))
    U = np.array([[1.0, -1.0], [2.0, 0.5]])
    report = check(layer, np.ones((2, 3)), upstream=U)
    np.testing.assert_allclose(report.arrays[0].analytic, U @ layer.W.T, rtol=1e-14)


def test_check_draws_the_upstream_gradient_from_default_rng_0_or_the_given_rng():
    x = np.array([0.5, -1.0, 2.0])

    def run(**kw):
        return check(lambda v: v ** 2, x, grad=lambda d, v: 2 * v * d, **kw).arrays[0].analytic

    np.testing.assert_array_equal(run(), run(rng=np.random.default_rng(0)))
    np.testing.assert_array_equal(run(rng=np.random.default_rng(5)),
                                  2 * x * np.random.default_rng(5).standard_normal(3))


def test_check_uses_the_given_step():
    # central difference of x³ with step h is exactly 3x² + h²
    x, h = np.array([0.5, -1.5]), 0.25
    report = check(lambda v: float(np.sum(v ** 3)), x, grad=lambda v: 3 * v ** 2, h=h)
    np.testing.assert_allclose(report.arrays[0].numeric, 3 * x ** 2 + h ** 2, rtol=1e-12)
    assert report.h == h


def test_check_of_a_module_uses_the_given_step():
    rng = _rng(1)
    model = nm.Sequential(nm.Linear(2, 2, rng=rng), nm.Tanh())
    X, U, h = rng.standard_normal((3, 2)), rng.standard_normal((3, 2)), 0.3
    report = check(model, X, upstream=U, h=h)

    def loss(X_, W_):
        return float(np.sum(U * np.tanh(X_ @ W_ + model.layers[0].b)))

    W = model.layers[0].W.copy()
    dX, dW = np.zeros_like(X), np.zeros_like(W)
    for idx in np.ndindex(X.shape):
        e = np.zeros_like(X)
        e[idx] = h
        dX[idx] = (loss(X + e, W) - loss(X - e, W)) / (2 * h)
    for idx in np.ndindex(W.shape):
        e = np.zeros_like(W)
        e[idx] = h
        dW[idx] = (loss(X, W + e) - loss(X, W - e)) / (2 * h)
    numeric = {c.name: c.numeric for c in report.arrays}
    np.testing.assert_allclose(numeric["input"], dX, rtol=1e-10)
    np.testing.assert_allclose(numeric["0.W"], dW, rtol=1e-10)


def test_check_uses_the_given_floor():
    # the gradient of 1e-8·Σx is 1e-8; an analytic 2e-8 is off by 1e-8:
    # entry error 1e-8 / max(2e-8, floor), array error √2·1e-8 / max(√2·2e-8, floor)
    x = np.array([1.0, 2.0])

    def run(**kw):
        return check(lambda v: 1e-8 * float(np.sum(v)), x, grad=lambda v: np.full(2, 2e-8),
                     rtol=0.1, **kw)

    default = run()
    assert default.floor == 1e-6
    np.testing.assert_allclose(default.max_error, 1e-2, rtol=1e-3)
    np.testing.assert_allclose(default.arrays[0].array_error, np.sqrt(2) * 1e-2, rtol=1e-3)
    assert default.passed
    tiny = run(floor=1e-11)  # above ZERO_SCALE × 2e-8, so the given floor is the one used
    assert tiny.floor == 1e-11
    np.testing.assert_allclose(tiny.max_error, 0.5, rtol=1e-3)
    np.testing.assert_allclose(tiny.arrays[0].array_error, 0.5, rtol=1e-3)
    assert not tiny.passed
    layer = nm.Linear(2, 1, rng=np.random.default_rng(0))
    assert check(layer, np.ones((1, 2)), floor=1e-3).floor == 1e-3


def test_check_works_in_float64_on_a_float32_input():
    X = _rng(2).standard_normal((3, 4)).astype(np.float32)
    report = check(nm.Tanh(), X)
    assert report.max_error < 1e-8  # float32 arithmetic alone would give about 1e-7


def test_check_accepts_a_module_without_parameters_method():
    class Double:  # duck-typed: forward and backward only
        def forward(self, X):
            return 2 * X

        def backward(self, dY):
            return 2 * dY

    report = check(Double(), np.array([1.0, -2.0]))
    assert report.passed and [c.name for c in report.arrays] == ["input"]


def test_an_object_with_forward_but_no_backward_is_checked_as_a_function():
    class Square:
        def forward(self, x):
            return x ** 2

        def __call__(self, x):
            return float(np.sum(x ** 2))

    assert check(Square(), np.array([1.0, 3.0]), grad=lambda x: 2 * x).passed


@pytest.mark.parametrize("call, error, message", [
    (lambda: check(nm.Tanh(), np.ones(2), grad=lambda x: x), TypeError,
     r"^check: grad is only for functions; a module supplies its own backward$"),
    (lambda: check(lambda x: x, np.ones(2)), TypeError,
     r"^check: a plain function needs grad=\.\.\., its analytic gradient$"),
    (lambda: check(3, np.ones(2)), TypeError,
     r"^check: expected a module \(forward/backward\) or a callable, got int$"),
    (lambda: check(lambda x: x, np.ones(2), grad=lambda d, x: d, upstream=np.ones(3)), ValueError,
     r"^check: upstream gradient has shape \(3,\), but the function returned shape \(2,\)$"),
    (lambda: check(nm.Tanh(), np.ones(2), upstream=np.ones(3)), ValueError,
     r"^check: upstream gradient has shape \(3,\), but Tanh\.forward returned shape \(2,\)$"),
    (lambda: check(lambda x, y: float(np.sum(x * y)), (np.ones(2), np.ones(2)),
                   grad=lambda x, y: (y,)), ValueError,
     r"^check: grad returned 1 gradients for 2 inputs$"),
    (lambda: check(lambda x: float(np.sum(x)), np.ones(2), grad=lambda x: np.ones(3)),
     ValueError, r"^check: the analytic gradient of input has shape \(3,\), the numeric one "
                 r"\(2,\)$"),
], ids=["grad-for-module", "no-grad", "not-callable", "function-upstream", "module-upstream",
        "too-few-gradients", "gradient-shape"])
def test_check_error_messages(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_check_reports_an_unset_parameter_gradient():
    class Lazy(nm.Linear):
        def backward(self, dY, **kw):
            super().backward(dY, **kw)
            self.db = None
            return dY @ self.W.T

    with pytest.raises(ValueError, match=r"^check: Lazy\.backward left the gradient of "
                                         r"parameter 'b' unset$"):
        check(Lazy(2, 2, rng=np.random.default_rng(0)), np.ones((1, 2)))


def test_a_single_function_input_given_as_a_list_of_gradients():
    report = check(lambda x: float(np.sum(x ** 2)), np.array([1.0, 2.0]),
                   grad=lambda x: [2 * x])
    assert report.passed and report.arrays[0].analytic.shape == (2,)


# -- finite differences --------------------------------------------------------------

@pytest.mark.parametrize("scheme, h, expected", [("central", 1e-6, -1 / 2e-6),
                                                 ("forward", 1e-6, -1 / 1e-6)])
def test_difference_quotient_of_an_integer_valued_step(scheme, h, expected):
    # f jumps from 1 to 0 at x = 0 and returns uint8: the differences must be taken
    # in float64 (in uint8, 0 − 1 would wrap to 255).
    def step(x):
        return (x <= 0).astype(np.uint8) if scheme == "forward" else (x < 0).astype(np.uint8)

    J = numeric_jacobian(step, np.array([0.0]), h=h, scheme=scheme)
    np.testing.assert_allclose(J, [[expected]], rtol=1e-9)


def test_inputs_held_fixed_are_float64_too():
    # a·a·b with a = 200 in uint8 would overflow before b is reached
    J = numeric_jacobian(lambda a, b: a * a * b, np.array([200], dtype=np.uint8),
                         np.array([1.0]), wrt=1)
    np.testing.assert_allclose(J, [[40000.0]], rtol=1e-9)


def test_wrt_counts_from_the_end_down_to_minus_the_number_of_inputs():
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    gx = numeric_gradient(lambda a, b: float(np.sum(a * b)), x, y, wrt=-2)
    np.testing.assert_allclose(gx, y, rtol=1e-9)
    with pytest.raises(ValueError, match=r"^numeric_jacobian: wrt=-3 is out of range for 2 "
                                         r"inputs$"):
        numeric_jacobian(lambda a, b: a * b, x, y, wrt=-3)


def test_numeric_gradient_refuses_an_array_output():
    with pytest.raises(ValueError, match=r"^numeric_gradient: f must return a scalar, got an "
                                         r"output of shape \(2,\); use numeric_jacobian"):
        numeric_gradient(lambda x: x, np.ones(2))


# -- relative errors --------------------------------------------------------------------

def test_relative_errors_of_integer_arrays_are_computed_in_float64():
    a, e = np.array([1, 4], dtype=np.uint8), np.array([2, 2], dtype=np.uint8)
    np.testing.assert_allclose(entrywise_relative_error(a, e), [0.5, 0.5], rtol=1e-15)
    np.testing.assert_allclose(entrywise_relative_error(e, a), [0.5, 0.5], rtol=1e-15)
    # ‖a − e‖ = √5, ‖a‖ = √17
    assert norm_relative_error(a, e) == pytest.approx(np.sqrt(5 / 17), rel=1e-15)
    assert norm_relative_error(e, a) == pytest.approx(np.sqrt(5 / 17), rel=1e-15)


def test_norm_relative_error_of_small_arrays_and_its_floor():
    assert norm_relative_error([1e-3], [2e-3]) == pytest.approx(0.5, rel=1e-12)
    assert norm_relative_error([3.0, 4.0], [0.0, 0.0]) == pytest.approx(1.0, rel=1e-15)
    assert norm_relative_error([0.0, 0.0], [3.0, 4.0]) == pytest.approx(1.0, rel=1e-15)
    with pytest.raises(ValueError, match=r"^norm_relative_error: floor must be positive, "
                                         r"got 0$"):
        norm_relative_error([1.0], [1.0], floor=0)
    with pytest.raises(ValueError, match=r"^norm_relative_error: shapes differ: actual \(1,\), "
                                         r"expected \(2,\)$"):
        norm_relative_error([1.0], [1.0, 2.0])


def test_entrywise_relative_error_of_int8_minus_128():
    # |−128| does not exist in int8 (np.abs gives −128 back): the error must be taken in float64
    big = np.array([-128], dtype=np.int8)
    np.testing.assert_allclose(entrywise_relative_error(big, np.array([0.0])), [1.0], rtol=1e-15)
    np.testing.assert_allclose(entrywise_relative_error(np.array([0.0]), big), [1.0], rtol=1e-15)


def test_check_works_in_float64_on_integer_inputs_and_upstream():
    # 3·200² does not fit in int16, and 200 + 200 does not fit in uint8: the inputs and the
    # upstream gradient reach the user's functions as float64.
    x = np.array([200, 3], dtype=np.int16)
    assert check(lambda v: float(np.sum(v ** 3)), x, grad=lambda v: 3 * v ** 2, rtol=1e-3).passed
    u = np.array([200, 1], dtype=np.uint8)
    assert check(lambda v: 2 * v, np.array([0.5, 1.5]), grad=lambda d, v: d + d, upstream=u).passed

    class Double:
        def forward(self, X):
            return 2 * X

        def backward(self, dY):
            return dY + dY

    assert check(Double(), np.array([0.5, 1.5]), upstream=u).passed


# -- check() of a loss (forward(Y, T), backward()) ----------------------------------------

def test_check_of_a_loss_compares_the_gradient_in_the_predictions():
    rng = _rng(3)
    Y, T = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    report = check(nm.MSE(), (Y, T))
    assert [c.name for c in report.arrays] == ["input"]
    np.testing.assert_allclose(report.arrays[0].analytic, (Y - T) / 4, rtol=1e-14)
    assert report.passed
    # float32 predictions are checked in float64: the loss sees them (exactly) as float64
    Y32 = Y.astype(np.float32)
    np.testing.assert_allclose(check(nm.MSE(), (Y32, T)).arrays[0].analytic,
                               (Y32.astype(np.float64) - T) / 4, rtol=1e-14)


def test_check_of_a_loss_uses_the_given_step():
    rng = _rng(4)
    Z, labels, h = rng.standard_normal((2, 3)), np.array([2, 0]), 0.3
    report = check(nm.SoftmaxCrossEntropy(), (Z, labels), h=h)

    def loss(V):
        return nm.SoftmaxCrossEntropy().forward(V, labels)

    fd = np.zeros_like(Z)
    for idx in np.ndindex(Z.shape):
        e = np.zeros_like(Z)
        e[idx] = h
        fd[idx] = (loss(Z + e) - loss(Z - e)) / (2 * h)
    np.testing.assert_allclose(report.arrays[0].numeric, fd, rtol=1e-10)


def test_check_of_a_loss_needs_a_pair_of_inputs():
    Y = np.ones((2, 2))
    for inputs in ((Y, Y, Y), [Y]):
        with pytest.raises(TypeError, match=r"^check: MSE is a loss; give inputs as a pair "
                                            r"\(Y, T\) of predictions and targets$"):
            check(nm.MSE(), inputs)


def test_a_module_whose_backward_has_no_signature_is_not_a_loss():
    class Doubling:  # a callable inspect cannot read (as some C functions)
        __signature__ = "unreadable"

        def __call__(self, dY):
            return 2 * dY

    class Double:
        backward = Doubling()

        def forward(self, X):
            return 2 * X

    report = check(Double(), np.array([1.0, -2.0]))
    assert report.passed and [c.name for c in report.arrays] == ["input"]
