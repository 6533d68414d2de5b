"""nnmath.book.plotting: the flattened matrix and the drawn pattern are what the chapters claim."""

import matplotlib

matplotlib.use("Agg")  # tests draw off-screen; notebooks never call matplotlib.use

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sympy as sp  # noqa: E402

from nnmath.book import jacobians as jac  # noqa: E402
from nnmath.book import symbolic as sym  # noqa: E402
from nnmath.book.plotting import flatten_jacobian, nonzero_mask, plot_sparsity  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _drawn(ax):
    return np.asarray(ax.images[0].get_array())


def test_flatten_jacobian_rows_are_outputs_columns_are_inputs():
    J = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    M = flatten_jacobian(J, 2)
    assert M.shape == (6, 20)
    # row r = (a, b) in row-major order, column s = (c, d) in row-major order
    for (a, b, c, d), value in np.ndenumerate(J):
        assert M[a * 3 + b, c * 5 + d] == value
    assert flatten_jacobian(J, 1).shape == (2, 60)
    assert flatten_jacobian(J, 3).shape == (24, 5)


def test_flatten_jacobian_default_axes():
    assert flatten_jacobian(np.zeros((3, 4))).shape == (3, 4)
    assert flatten_jacobian(np.zeros((3, 4, 3))).shape == (3, 12)
    assert flatten_jacobian(np.zeros((2, 3, 2, 4))).shape == (6, 8)


@pytest.mark.parametrize("shape, n_out", [((3,), None), ((3, 4), 0), ((3, 4), 2),
                                          ((2, 3, 4), 3)])
def test_flatten_jacobian_rejects_bad_axes(shape, n_out):
    with pytest.raises(ValueError, match="flatten_jacobian"):
        flatten_jacobian(np.zeros(shape), n_out)


def test_flatten_jacobian_rejects_non_int_axes():
    with pytest.raises(TypeError, match="flatten_jacobian"):
        flatten_jacobian(np.zeros((2, 3)), 1.0)


def test_flatten_of_matmul_jacobians_is_a_kronecker_product():
    # row-major flattening of ∂Y/∂X is I_N ⊗ Wᵀ and of ∂Y/∂W is X ⊗ I_C (chapter 5)
    rng = np.random.default_rng(30)
    N, D, C = 3, 4, 2
    X, W = rng.standard_normal((N, D)), rng.standard_normal((D, C))
    np.testing.assert_array_equal(flatten_jacobian(jac.matrix_by_matrix_jacobian_X(X, W), 2),
                                  np.kron(np.eye(N), W.T))
    np.testing.assert_array_equal(flatten_jacobian(jac.matrix_by_matrix_jacobian_W(X, W), 2),
                                  np.kron(X, np.eye(C)))


def test_nonzero_mask_numbers_and_symbols():
    np.testing.assert_array_equal(nonzero_mask(np.array([0.0, 1e-3, -2.0]), atol=1e-2),
                                  [False, False, True])
    x = sym.symbol_array("x", (2,))
    J = np.array([[x[0], 0], [sp.Integer(0), 2 * x[1]]], dtype=object)
    np.testing.assert_array_equal(nonzero_mask(J), [[True, False], [False, True]])


@pytest.mark.parametrize("builder, args, n_out, frac", [
    (jac.vector_by_matrix_jacobian, ((4,), (4, 3)), 1, 1 / 3),
    (jac.matrix_by_matrix_jacobian_X, ((3, 4), (4, 2)), 2, 1 / 3),
    (jac.matrix_by_matrix_jacobian_W, ((3, 4), (4, 2)), 2, 1 / 2),
])
def test_plot_sparsity_draws_the_flattened_pattern(builder, args, n_out, frac):
    rng = np.random.default_rng(31)
    J = builder(*(rng.standard_normal(s) for s in args))
    ax = plot_sparsity(J, title="pattern")
    drawn = _drawn(ax)
    np.testing.assert_array_equal(drawn, np.abs(flatten_jacobian(J, n_out)) > 0)
    assert drawn.mean() == pytest.approx(frac)
    assert drawn.mean() == pytest.approx(jac.nonzero_fraction(J))
    assert ax.get_title() == "pattern"
    assert ax.get_xlabel() and ax.get_ylabel()


def test_plot_sparsity_uses_given_axes_labels_and_default_title():
    fig, (left, right) = plt.subplots(1, 2)
    J = jac.vector_by_matrix_jacobian(np.ones(2), np.ones((2, 3)))  # (3, 2, 3)
    ax = plot_sparsity(J, ax=right, out_label="i", in_label="(j, k)")
    assert ax is right and not left.images
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("i", "(j, k)")
    assert ax.get_title() == "6 of 18 entries non-zero"
    # small Jacobians get 1-based multi-index tick labels
    assert [t.get_text() for t in ax.get_xticklabels()][:4] == ["1,1", "1,2", "1,3", "2,1"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1", "2", "3"]


def test_plot_sparsity_block_lines_follow_the_first_index():
    J = np.ones((2, 3, 4, 2))  # 6 x 8: a horizontal line after row 3, vertical after 2, 4, 6
    ax = plot_sparsity(J)
    horizontal = sorted(line.get_ydata()[0] for line in ax.lines if line.get_ydata()[0] ==
                        line.get_ydata()[1] and line.get_xdata()[0] != line.get_xdata()[1])
    vertical = sorted(line.get_xdata()[0] for line in ax.lines if line.get_xdata()[0] ==
                      line.get_xdata()[1] and line.get_ydata()[0] != line.get_ydata()[1])
    assert horizontal == [2.5] and vertical == [1.5, 3.5, 5.5]
    assert not plot_sparsity(J, blocks=False).lines


def test_plot_sparsity_of_symbolic_jacobian():
    x, W = sym.symbol_array("x", (3,)), sym.symbol_array("W", (3, 2))
    F = sym.jacobian_tensor(x @ W, W)
    ax = plot_sparsity(F)
    np.testing.assert_array_equal(_drawn(ax), np.abs(flatten_jacobian(
        jac.vector_by_matrix_jacobian(np.ones(3), np.ones((3, 2))))) > 0)


def test_plot_sparsity_rejects_a_vector():
    with pytest.raises(ValueError, match="flatten_jacobian"):
        plot_sparsity(np.ones(3))
