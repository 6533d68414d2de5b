"""nnmath.book.chapters.ch03_derivatives: the chain rule as a product of Jacobians, and input checks.

The registry entries of chapter 3 (linear_map_grad_x, quadratic_form_grad,
quadratic_form_grad_A) are checked by tests/book/test_identities.py; here the chain
rule is compared with central differences of the composed function, an
independent route that never forms the factors.
"""

import numpy as np
import pytest

from nnmath.book.chapters import ch03_derivatives as calc
from nnmath.gradcheck import numeric_gradient, numeric_jacobian

# Central differences with h = 1e-6 on order-one values are good to ~1e-9.
RTOL, ATOL = 1e-6, 1e-8


def _tanh_jacobian(z):
    # Elementwise map: a diagonal Jacobian with tanh'(z) = 1 - tanh(z)² (closed form).
    return np.diag(1.0 - np.tanh(z) ** 2)


@pytest.mark.parametrize("seed", range(3))
def test_chain_jacobian_scalar_composition_matches_finite_differences(seed):
    # h(x) = q(tanh(W x)) with q(u) = uᵀ A u: vector -> vector -> vector -> scalar.
    rng = np.random.default_rng(seed)
    W, A, x = rng.standard_normal((4, 3)), rng.standard_normal((4, 4)), rng.standard_normal(3)
    z = W @ x
    u = np.tanh(z)
    chained = calc.chain_jacobian(calc.quadratic_form_grad(A, u), _tanh_jacobian(z), W)

    def h(v):
        t = np.tanh(W @ v)
        return float(t @ A @ t)

    assert chained.shape == (3,)
    np.testing.assert_allclose(chained, numeric_jacobian(h, x), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("seed", range(3))
def test_chain_jacobian_vector_composition_matches_finite_differences(seed):
    # Two tanh layers: R^3 -> R^5 -> R^2, four Jacobian factors.
    rng = np.random.default_rng(10 + seed)
    W1, W2, x = rng.standard_normal((5, 3)), rng.standard_normal((2, 5)), rng.standard_normal(3)
    z1 = W1 @ x
    z2 = W2 @ np.tanh(z1)
    chained = calc.chain_jacobian(_tanh_jacobian(z2), W2, _tanh_jacobian(z1), W1)
    expected = numeric_jacobian(lambda v: np.tanh(W2 @ np.tanh(W1 @ v)), x)
    assert chained.shape == (2, 3)
    np.testing.assert_allclose(chained, expected, rtol=RTOL, atol=ATOL)


def test_chain_jacobian_with_scalar_input():
    # x(t) = t a (a scalar input: a Jacobian of shape (3,)) followed by y = W x.
    rng = np.random.default_rng(3)
    W, a, t = rng.standard_normal((2, 3)), rng.standard_normal(3), 0.7
    chained = calc.chain_jacobian(W, a)
    expected = numeric_jacobian(lambda s: W @ (s * a), np.float64(t))
    np.testing.assert_allclose(chained, expected, rtol=RTOL, atol=ATOL)


def test_backprop_through_linear_map_and_quadratic_matches_finite_differences():
    # L(x) = q(W x): the vector-Jacobian products, chained, equal the gradient.
    rng = np.random.default_rng(4)
    W, A, x = rng.standard_normal((4, 3)), rng.standard_normal((4, 4)), rng.standard_normal(3)
    grad = calc.linear_map_grad_x(W, calc.quadratic_form_grad(A, W @ x))
    expected = numeric_gradient(lambda v: float(calc.quadratic_form(A, W @ v)), x)
    np.testing.assert_allclose(grad, expected, rtol=RTOL, atol=ATOL)


def test_quadratic_form_grad_of_symmetric_matrix_is_two_A_x():
    # Closed form for symmetric A: ∇(xᵀAx) = 2Ax.
    rng = np.random.default_rng(5)
    B, x = rng.standard_normal((4, 4)), rng.standard_normal(4)
    A = B + B.T
    np.testing.assert_allclose(calc.quadratic_form_grad(A, x), 2.0 * A @ x,
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("jacobians", [
    (),
    (np.ones((2, 3)), np.ones((4, 2))),           # inner sizes 3 and 4
    (np.ones((2, 3)), np.ones(3), np.ones((3, 2))),  # a vector inside the chain
    (np.ones((2, 2, 2)),),                        # rank 3
])
def test_chain_jacobian_rejects_bad_shapes(jacobians):
    with pytest.raises(ValueError, match="chain_jacobian"):
        calc.chain_jacobian(*jacobians)


@pytest.mark.parametrize("call", [
    lambda: calc.linear_map_grad_x(np.ones((2, 3)), np.ones(3)),
    lambda: calc.linear_map_grad_x(np.ones(3), np.ones(3)),
    lambda: calc.quadratic_form_grad(np.ones((2, 3)), np.ones(3)),
    lambda: calc.quadratic_form_grad(np.ones((3, 3)), np.ones(2)),
    lambda: calc.quadratic_form_grad_A(np.ones((3, 3)), np.ones((3, 1))),
    lambda: calc.quadratic_form(np.ones((2, 2)), np.ones(3)),
])
def test_bad_shapes_raise_value_error_naming_the_function(call):
    with pytest.raises(ValueError, match=r"(linear_map|quadratic_form)\w*: .*\(\d"):
        call()
