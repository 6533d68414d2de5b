"""Forward mode: the dispatch of binary tangent rules and the Jacobian's edge shapes.

Independent routes: ``_pair`` is called with rules that only record their
arguments, so which rule sees which parent and tangent is read off directly;
``forward_mode_jacobian`` of one-entry and empty inputs is compared with the
derivatives of small polynomials written out, and with the shape
``f(x).shape + x.shape`` filled with zeros.
"""

import numpy as np

from nnmath.autodiff import Tensor
from nnmath.autodiff.forward import forward_mode_jacobian
from nnmath.autodiff.tangents import _pair


class _Node:
    parents = ("a", "b")


def test_pair_sends_parent_zero_to_the_first_rule_and_one_to_the_second():
    rule = _pair(lambda *args: ("first", args), lambda *args: ("second", args))
    y = _Node()
    assert rule(y, 0, "dp") == ("first", (y, "a", "b", "dp"))
    assert rule(y, 1, "dq") == ("second", (y, "a", "b", "dq"))


def test_jacobian_of_a_one_entry_input_and_a_matrix_output():
    f = lambda x: (x * x) * Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))  # noqa: E731
    J = forward_mode_jacobian(f, np.array([3.0]))
    np.testing.assert_allclose(J, (2 * 3.0 * np.array([[1.0, 2.0], [3.0, 4.0]]))[..., None])
    assert J.shape == (2, 2, 1)


def test_jacobian_of_a_matrix_input_keeps_the_layout_output_then_input():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    J = forward_mode_jacobian(lambda t: (t * t).sum(axis=0), x)   # y_j = Σ_i x_ij²
    expected = np.zeros((3, 2, 3))
    for i in range(2):
        for j in range(3):
            expected[j, i, j] = 2 * x[i, j]
    np.testing.assert_array_equal(J, expected)


def test_jacobian_of_an_empty_input_is_an_empty_array_of_the_right_shape():
    J = forward_mode_jacobian(lambda t: t.sum() + Tensor(np.ones((2, 3))), np.zeros((0,)))
    assert J.shape == (2, 3, 0)
    J = forward_mode_jacobian(lambda t: t.sum(), [])
    assert J.shape == (0,) and J.dtype == np.float64


def test_jacobian_of_an_empty_input_follows_the_output_shape_of_f():
    J = forward_mode_jacobian(lambda t: t * 2.0, np.zeros((0,)))
    assert J.shape == (0, 0)
    J = forward_mode_jacobian(lambda t: t * 2.0, np.zeros((2, 0)))
    assert J.shape == (2, 0, 2, 0)
