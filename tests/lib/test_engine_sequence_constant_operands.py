"""The backward rules of ``batched_matmul`` and ``where`` compute no gradient for a constant
operand: with extreme constants or an infinite upstream gradient, where that unneeded
gradient would overflow or be NaN, ``np.errstate(all="raise")`` sees no floating-point
error, and the variable's gradient equals its closed form written in NumPy."""

import numpy as np
import pytest

from nnmath.autodiff import Tensor, batched_matmul, where


@pytest.mark.parametrize("constant", ["left", "right"])
def test_batched_matmul_skips_the_product_of_a_constant_operand(constant):
    huge, tiny = np.full((2, 2, 2), 1e308), np.full((2, 2, 2), 1e-300)
    if constant == "left":  # ∂L/∂A = dY Bᵀ would sum two entries of 1e308 and overflow
        A, B = Tensor(tiny, requires_grad=False), Tensor(huge)
    else:                   # ∂L/∂B = Aᵀ dY would overflow in the same way
        A, B = Tensor(huge), Tensor(tiny, requires_grad=False)
    Y = batched_matmul(A, B)
    with np.errstate(all="raise"):
        Y.backward(np.ones((2, 2, 2)))
    # per batch entry the variable's gradient is a sum of two products 1e-300 · 1
    variable = B if constant == "left" else A
    np.testing.assert_allclose(variable.grad, np.full((2, 2, 2), 2e-300), rtol=1e-12)


@pytest.mark.parametrize("constant", ["a", "b"])
def test_where_routes_an_infinite_gradient_only_to_the_operand_that_needs_it(constant):
    cond = np.array([True, False, True])
    x = Tensor([1.0, 2.0, 3.0])
    c = Tensor([4.0, 5.0, 6.0], requires_grad=False)
    if constant == "a":  # x supplies the entries where cond is False
        Y, picked = where(cond, c, x), ~cond
    else:                # x supplies the entries where cond is True
        Y, picked = where(cond, x, c), cond
    G = np.where(picked, np.inf, 1.0)  # inf on x's entries only: inf · 0 for c would be NaN
    with np.errstate(all="raise"):
        Y.backward(G)
    np.testing.assert_array_equal(x.grad, np.where(picked, np.inf, 0.0))
