"""Finite differences and relative errors of integer and float32 data: computed in float64.

Independent route: the difference quotients and the norm ratio written out in NumPy on
float64 copies; integer data that float32 or integer arithmetic would get wrong.
"""

import numpy as np

from nnmath.finite_differences import norm_relative_error, numeric_gradient, numeric_jacobian


def test_integer_and_float32_points_are_perturbed_in_float64():
    f = lambda x: x ** 3  # noqa: E731
    for x in (np.array([1, 2]), np.array([1.0, 2.0], dtype=np.float32)):
        J = numeric_jacobian(f, x)                       # int: x + h would truncate to x
        np.testing.assert_allclose(J, np.diag(3.0 * np.array([1.0, 2.0]) ** 2), rtol=1e-8)
        J_fwd = numeric_jacobian(f, x, scheme="forward")
        np.testing.assert_allclose(J_fwd, np.diag(3.0 * np.array([1.0, 2.0]) ** 2), rtol=1e-5)


def test_float32_values_of_f_are_differenced_in_float64():
    f = lambda x: (x * np.array([1.0, 3.0])).astype(np.float32)  # noqa: E731
    x, h = np.array([0.3, 0.7]), 1e-3
    for scheme in ("central", "forward"):
        J = numeric_jacobian(f, x, h=h, scheme=scheme)
        expected = np.empty((2, 2))
        for i in range(2):
            e = np.zeros(2)
            e[i] = h
            f_plus = f(x + e).astype(np.float64)
            if scheme == "central":
                expected[:, i] = (f_plus - f(x - e).astype(np.float64)) / (2.0 * h)
            else:
                expected[:, i] = (f_plus - f(x).astype(np.float64)) / h
        assert J.dtype == np.float64
        np.testing.assert_array_equal(J, expected)


def test_the_gradient_calls_f_on_float64_arrays():
    f = lambda x: (x ** -1).sum()                       # an integer array would raise  # noqa: E731
    np.testing.assert_allclose(numeric_gradient(f, np.array([1, 2])), [-1.0, -0.25], rtol=1e-6)


def test_norm_relative_error_of_small_integers_and_float32():
    a, e = np.array([100, 0], dtype=np.int8), np.array([-100, 0], dtype=np.int8)
    assert norm_relative_error(a, e) == 200.0 / 100.0        # int8 would wrap around
    a32, e32 = np.array([1.1, 2.3], np.float32), np.array([1.0, 2.0], np.float32)
    a64, e64 = a32.astype(np.float64), e32.astype(np.float64)
    expected = np.linalg.norm(a64 - e64) / max(np.linalg.norm(a64), np.linalg.norm(e64))
    assert norm_relative_error(a32, e32) == expected


def test_norm_relative_error_of_float16_near_its_largest_value():
    # ‖e‖² overflows in float16 (max 65504); in float64 the error is 32/‖e‖ ≈ 3.8e-4
    actual = np.array([60000.0, 60000.0])
    expected = np.array([60000.0, 59968.0], dtype=np.float16)
    err = norm_relative_error(actual, expected)
    assert 3.7e-4 < err < 3.8e-4
    assert 3.7e-4 < norm_relative_error(expected, actual) < 3.8e-4
