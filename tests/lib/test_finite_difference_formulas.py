"""Finite differences against their closed forms on polynomials, and the relative errors.

Independent route: for ``f(x) = x³`` the central quotient is exactly
``3x² + h²`` and the forward one ``3x² + 3xh + h²`` (with ``h = 1/2`` and small
integers, exact in floating point); a linear map must give its own matrix in
the layout ``f(x).shape + x.shape``; the relative errors are written out with
``max(|a|, |e|, floor)``. Error texts are compared in full.
"""

import numpy as np
import pytest

from nnmath.finite_differences import (entrywise_relative_error, norm_relative_error,
                                       numeric_gradient, numeric_jacobian)

X = np.array([1.0, -2.0, 3.0])


def test_central_and_forward_quotients_are_the_closed_forms():
    cube = lambda x: x ** 3  # noqa: E731
    np.testing.assert_array_equal(numeric_jacobian(cube, X, h=0.5),
                                  np.diag(3 * X ** 2 + 0.25))
    np.testing.assert_array_equal(numeric_jacobian(cube, X, h=0.5, scheme="forward"),
                                  np.diag(3 * X ** 2 + 1.5 * X + 0.25))


def test_the_default_step_is_one_millionth():
    J = numeric_jacobian(lambda x: x ** 2, np.array([1.0]), scheme="forward")  # 2x + h
    assert abs(J[0, 0] - (2.0 + 1e-6)) < 1e-8


def test_layout_is_output_shape_then_input_shape():
    A = np.random.default_rng(0).standard_normal((4, 6))
    J = numeric_jacobian(lambda x: A @ x.ravel(), np.ones((2, 3)))
    np.testing.assert_allclose(J, A.reshape(4, 2, 3), atol=1e-8)


def test_several_inputs_and_wrt():
    f = lambda a, b: a * b[0] + 2 * b[1]  # noqa: E731
    a, b = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    Ja, Jb = numeric_jacobian(f, a, b, h=0.5)
    np.testing.assert_allclose(Ja, 3 * np.eye(2))
    np.testing.assert_allclose(Jb, [[1.0, 2.0], [2.0, 2.0]])
    np.testing.assert_allclose(numeric_jacobian(f, a, b, h=0.5, wrt=-1), Jb)
    (only,) = numeric_jacobian(f, a, b, h=0.5, wrt=[1])
    np.testing.assert_allclose(only, Jb)
    g = numeric_gradient(lambda a, b: np.sum(a * a) + np.sum(b), a, b, h=0.5, wrt=0)
    np.testing.assert_allclose(g, 2 * a)


@pytest.mark.parametrize("call, message", [
    (lambda: numeric_jacobian(np.sin, X, scheme="backward"),
     "numeric_jacobian: unknown scheme 'backward'; use one of ('central', 'forward')"),
    (lambda: numeric_jacobian(np.sin), "numeric_jacobian: give at least one input array"),
    (lambda: numeric_jacobian(np.sin, X, wrt=1), "numeric_jacobian: wrt=1 is out of range for 1 inputs"),
    (lambda: numeric_jacobian(np.sin, X, wrt=-2), "numeric_jacobian: wrt=-2 is out of range for 1 inputs"),
    (lambda: numeric_gradient(np.sin, X),
     "numeric_gradient: f must return a scalar, got an output of shape (3,); use "
     "numeric_jacobian for array outputs"),
    (lambda: entrywise_relative_error(X, X[:2]),
     "entrywise_relative_error: shapes differ: actual (3,), expected (2,)"),
    (lambda: entrywise_relative_error(X, X, floor=0),
     "entrywise_relative_error: floor must be positive, got 0"),
    (lambda: norm_relative_error(X, X[:2]),
     "norm_relative_error: shapes differ: actual (3,), expected (2,)"),
    (lambda: norm_relative_error(X, X, floor=-1.0),
     "norm_relative_error: floor must be positive, got -1.0"),
])
def test_errors_are_exact(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == message


def test_relative_errors_written_out():
    a, e = np.array([1.0, 0.0, 1e-9, -4.0]), np.array([1.5, 1e-8, 0.0, 4.0])
    expected = [0.5 / 1.5, 1e-8 / 1e-6, 1e-9 / 1e-6, 8.0 / 4.0]
    np.testing.assert_allclose(entrywise_relative_error(a, e), expected, rtol=1e-15)
    np.testing.assert_allclose(entrywise_relative_error(a, e, floor=1e-3)[1:3], [1e-5, 1e-6])
    d = np.sqrt(0.25 + 1e-16 + 1e-18 + 64.0)
    assert norm_relative_error(a, e) == pytest.approx(d / np.sqrt(1.5 ** 2 + 1e-16 + 16.0), rel=1e-15)
    assert norm_relative_error([1e-9], [0.0]) == pytest.approx(1e-3, rel=1e-12)
    assert norm_relative_error([1e-9], [0.0], floor=1e-8) == pytest.approx(0.1, rel=1e-12)
