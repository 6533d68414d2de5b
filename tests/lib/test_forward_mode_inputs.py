"""jvp and hvp: their inputs checked with exact messages, the result's dtype for every input type."""

import numpy as np
import pytest

from nnmath.autodiff import Tensor
from nnmath.autodiff.forward import forward_mode_jacobian, hvp, jvp

SQUARES = lambda x: (x * x).sum()  # noqa: E731


def _message(exc_type, call):
    with pytest.raises(exc_type) as info:
        call()
    return str(info.value)


@pytest.mark.parametrize("fn, who", [(jvp, "jvp"), (hvp, "hvp")])
def test_the_checks_in_full(fn, who):
    one = np.ones(2)
    assert (_message(TypeError, lambda: fn(SQUARES, np.ones(2, complex), one))
            == f"{who}: x must hold real numbers, got dtype complex128")
    assert (_message(TypeError, lambda: fn(SQUARES, one, np.ones(2, bool)))
            == f"{who}: v must hold real numbers, got dtype bool")
    assert (_message(ValueError, lambda: fn(SQUARES, np.array([1.0, -np.inf]), one))
            == f"{who}: x has NaN or infinite entries")
    assert (_message(ValueError, lambda: fn(SQUARES, one, np.array([np.nan, 1.0])))
            == f"{who}: v has NaN or infinite entries")
    assert (_message(ValueError, lambda: fn(SQUARES, np.ones((2, 1)), one))
            == f"{who}: v has shape (2,) but x has shape (2, 1); the direction v must have "
               f"the shape of x")
    assert (_message(TypeError, lambda: fn(lambda x: 3.0, one, one))
            == f"{who}: f must return a Tensor, got float")


def test_hvp_scalar_message_in_full():
    assert (_message(ValueError, lambda: hvp(lambda x: x * x, np.ones((2, 2)), np.ones((2, 2))))
            == "hvp: f must return a scalar (one-element) Tensor, got shape (2, 2); the "
               "Hessian-vector product needs a scalar function")
    # one element of any shape is a scalar
    np.testing.assert_allclose(hvp(lambda x: (x * x).sum().reshape(1, 1), np.ones(2),
                                   np.array([1.0, 3.0])), [2.0, 6.0])


@pytest.mark.parametrize("x_dtype, v_dtype, expected", [
    (np.float32, np.float32, np.float32), (np.float16, np.float16, np.float32),
    (np.float64, np.float32, np.float64), (np.float32, np.float64, np.float64),
    (np.int64, np.int32, np.float64),
    (np.longdouble, np.float64, np.float64), (np.int8, np.float32, np.float32),
])
def test_the_result_dtype(x_dtype, v_dtype, expected):
    x, v = np.array([1, 2], dtype=x_dtype), np.array([1, 1], dtype=v_dtype)
    y, Jv = jvp(SQUARES, x, v)
    assert y.dtype == Jv.dtype == expected
    assert y == 5 and Jv == 6                              # Σx², ⟨2x, v⟩
    Hv = hvp(SQUARES, x, v)
    assert Hv.dtype == expected
    np.testing.assert_array_equal(Hv, [2, 2])
    linear = hvp(lambda t: (t * 2.0).sum(), x, v)          # H = 0, still of the right type
    assert linear.dtype == expected and linear.shape == (2,)
    np.testing.assert_array_equal(linear, 0)


def test_a_broadcast_tangent_and_an_independent_output():
    # x (2,) broadcast against a (3, 2) constant: the tangent is v in every row
    y, Jv = jvp(lambda t: t * Tensor(np.ones((3, 2)), requires_grad=False), np.ones(2),
                np.array([1.0, -2.0]))
    np.testing.assert_array_equal(Jv, np.tile([1.0, -2.0], (3, 1)))
    y, Jv = jvp(lambda t: Tensor(np.arange(3.0), requires_grad=False), np.ones(2), np.ones(2))
    np.testing.assert_array_equal(y, [0, 1, 2])
    assert Jv.shape == (3,) and not Jv.any()


def test_jacobian_against_the_matrix_of_a_linear_map():
    A = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 4.0]])
    J = forward_mode_jacobian(lambda t: Tensor(A, requires_grad=False) @ t, np.array([1, 2, 3]))
    np.testing.assert_array_equal(J, A)
