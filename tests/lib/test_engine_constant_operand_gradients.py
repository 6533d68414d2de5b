"""The backward rules of ``*``, ``@`` and ``maximum`` compute no gradient for a constant operand.

Checked with a variable of size ~1e300 and an upstream of 1e10: the constant's
gradient (upstream times the variable) would overflow, so under
``np.errstate(all="raise")`` any such work shows; the variable's gradient is
compared with the closed form written in NumPy (``G * C``, ``Cᵀ G``, ``G Cᵀ``).
"""

import numpy as np
import pytest

from nnmath.autodiff import Tensor, maximum

CASES = {  # forward, expected gradient of the variable V given the constant C and upstream G
    "const * var": (lambda C, V: C * V, lambda C, G: G * C.data),
    "var * const": (lambda C, V: V * C, lambda C, G: G * C.data),
    "const @ var": (lambda C, V: C @ V, lambda C, G: C.data.T @ G),
    "var @ const": (lambda C, V: V @ C, lambda C, G: G @ C.data.T),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_constant_operand_gets_no_gradient_work(case):
    forward, expected = CASES[case]
    rng = np.random.default_rng(3)
    C = Tensor(rng.uniform(0.5, 1.5, (2, 2)), requires_grad=False)
    V = Tensor(1e300 * rng.uniform(0.5, 1.0, (2, 2)))
    Y = forward(C, V)
    G = np.full(Y.shape, 1e10)  # G·V ≈ 1e310 overflows: the constant's gradient must not be formed
    with np.errstate(all="raise"):
        Y.backward(G)
    np.testing.assert_allclose(V.grad, expected(C, G), rtol=1e-14)
    assert np.all(np.isfinite(V.grad))
    assert C._grad is None  # the pass never reached the constant


@pytest.mark.parametrize("variable_first", [True, False])
def test_maximum_with_a_constant_routes_an_infinite_upstream_only_to_the_variable(variable_first):
    # the constant's share would be inf · 0 = NaN where the variable wins: it must not be formed
    V = Tensor(np.array([2.0, 0.0, 3.0]))
    C = Tensor(np.ones(3), requires_grad=False)
    Y = maximum(V, C) if variable_first else maximum(C, V)
    G = np.array([np.inf, 1.0, -np.inf])
    with np.errstate(all="raise"):
        Y.backward(G)
    np.testing.assert_array_equal(V.grad, [np.inf, 0.0, -np.inf])
    assert C._grad is None
