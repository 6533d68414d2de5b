"""nnmath.book.jacobians: the numeric Jacobian against closed forms, the full tensors
of chapters 4 and 5 against the numeric Jacobian of their forward maps, and
the slow route (full tensor contracted with δ) against the compact formulas.
"""

import numpy as np
import pytest

from nnmath import gradcheck
from nnmath.book import jacobians as jac
from nnmath import matmul as mm
from nnmath.book.chapters import ch04_vector_by_matrix as ch04

# Central differences of a function whose entries are O(1): round-off ~ eps/h ≈ 1e-10,
# so entries that should be exactly zero come out as |error| < 1e-8.
RTOL, ATOL = 1e-7, 1e-8
SIZES = [(1, 1, 1), (2, 3, 4), (4, 3, 2), (3, 5, 1), (1, 4, 6)]  # (N, D, C)


def _rng(*key):
    return np.random.default_rng(list(key))


# ---------------------------------------------------------------------------
# numeric_jacobian against closed forms
# ---------------------------------------------------------------------------

def test_numeric_jacobian_of_linear_map_is_the_matrix():
    A = _rng(1).standard_normal((3, 4))
    x = _rng(2).standard_normal(4)
    np.testing.assert_allclose(gradcheck.numeric_jacobian(lambda v: A @ v, x), A,
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("f, df", [
    (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
    (np.exp, np.exp),
    (lambda x: x ** 3, lambda x: 3.0 * x ** 2),
    (lambda x: 1.0 / (1.0 + np.exp(-x)), lambda x: np.exp(-x) / (1.0 + np.exp(-x)) ** 2),
], ids=["tanh", "exp", "cube", "sigmoid"])
def test_numeric_jacobian_of_elementwise_function_is_diagonal(f, df):
    x = _rng(3).uniform(-1.5, 1.5, size=5)
    np.testing.assert_allclose(gradcheck.numeric_jacobian(f, x), np.diag(df(x)),
                               rtol=RTOL, atol=ATOL)


def test_numeric_jacobian_of_matrix_square():
    # Y = M M:  ∂Y_ab/∂M_cd = [a=c] M_db + M_ac [b=d]
    M = _rng(4).standard_normal((3, 3))
    n = M.shape[0]
    expected = np.zeros((n, n, n, n))
    for a in range(n):
        for b in range(n):
            for d in range(n):
                expected[a, b, a, d] += M[d, b]
            for c in range(n):
                expected[a, b, c, b] += M[a, c]
    np.testing.assert_allclose(gradcheck.numeric_jacobian(lambda A: A @ A, M), expected,
                               rtol=RTOL, atol=ATOL)


def test_numeric_gradient_of_determinant_is_jacobis_formula():
    # ∂ det(M) / ∂M = det(M) M^{-T}
    M = _rng(5).standard_normal((3, 3)) + 3.0 * np.eye(3)
    expected = np.linalg.det(M) * np.linalg.inv(M).T
    np.testing.assert_allclose(gradcheck.numeric_gradient(np.linalg.det, M), expected,
                               rtol=1e-6, atol=1e-7)


def test_numeric_jacobian_leaves_input_untouched_and_has_layout_out_plus_in():
    X = _rng(6).standard_normal((2, 3))
    before = X.copy()
    J = gradcheck.numeric_jacobian(lambda A: A.sum(axis=0), X)
    assert J.shape == (3, 2, 3)
    np.testing.assert_array_equal(X, before)


def test_numeric_gradient_rejects_array_output():
    with pytest.raises(ValueError, match="numeric_gradient"):
        gradcheck.numeric_gradient(lambda v: 2.0 * v, np.ones(3))


# ---------------------------------------------------------------------------
# the full Jacobians against finite differences of the forward map
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("N, D, C", SIZES)
def test_vector_by_matrix_jacobian(N, D, C):
    rng = _rng(10, N, D, C)
    x, W = rng.standard_normal(D), rng.standard_normal((D, C))
    F = jac.vector_by_matrix_jacobian(x, W)
    assert F.shape == (C, D, C)
    np.testing.assert_allclose(F, gradcheck.numeric_jacobian(lambda V: x @ V, W),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("N, D, C", SIZES)
def test_column_vector_by_matrix_jacobian(N, D, C):
    rng = _rng(11, N, D, C)
    W, x = rng.standard_normal((C, D)), rng.standard_normal(D)
    F = jac.column_vector_by_matrix_jacobian(W, x)
    assert F.shape == (C, C, D)
    np.testing.assert_allclose(F, gradcheck.numeric_jacobian(lambda V: V @ x, W),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("N, D, C", SIZES)
def test_matrix_by_matrix_jacobian_X(N, D, C):
    rng = _rng(12, N, D, C)
    X, W = rng.standard_normal((N, D)), rng.standard_normal((D, C))
    J = jac.matrix_by_matrix_jacobian_X(X, W)
    assert J.shape == (N, C, N, D)
    np.testing.assert_allclose(J, gradcheck.numeric_jacobian(lambda V: V @ W, X),
                               rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("N, D, C", SIZES)
def test_matrix_by_matrix_jacobian_W(N, D, C):
    rng = _rng(13, N, D, C)
    X, W = rng.standard_normal((N, D)), rng.standard_normal((D, C))
    J = jac.matrix_by_matrix_jacobian_W(X, W)
    assert J.shape == (N, C, D, C)
    np.testing.assert_allclose(J, gradcheck.numeric_jacobian(lambda V: X @ V, W),
                               rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------------
# slow route (full tensor ⋅ δ) against the compact formulas of nnmath.matmul
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("N, D, C", SIZES)
def test_contraction_equals_compact_formulas(N, D, C):
    rng = _rng(14, N, D, C)
    x, X = rng.standard_normal(D), rng.standard_normal((N, D))
    W, Wc = rng.standard_normal((D, C)), rng.standard_normal((C, D))
    dy, dY = rng.standard_normal(C), rng.standard_normal((N, C))
    cases = [
        (jac.vector_by_matrix_jacobian(x, W), dy, ch04.vector_matmul_grad_W(dy, x)),
        (jac.column_vector_by_matrix_jacobian(Wc, x), dy, ch04.column_matvec_grad_W(dy, x)),
        (jac.matrix_by_matrix_jacobian_W(X, W), dY, mm.matmul_grad_W(dY, X)),
        (jac.matrix_by_matrix_jacobian_X(X, W), dY, mm.matmul_grad_X(dY, W)),
    ]
    for J, upstream, compact in cases:
        np.testing.assert_allclose(jac.contract_with_upstream(J, upstream), compact,
                                   rtol=1e-12, atol=1e-12)


def test_contraction_equals_finite_differences_of_scalar_loss():
    # an independent check of contract_with_upstream itself: ∂<δ, XW>/∂W numerically
    rng = _rng(15)
    X, W, dY = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal((3, 2))
    slow = jac.contract_with_upstream(jac.matrix_by_matrix_jacobian_W(X, W), dY)
    numeric = gradcheck.numeric_gradient(lambda V: float(np.sum(dY * (X @ V))), W)
    np.testing.assert_allclose(slow, numeric, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------------
# sparsity and memory
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("N, D, C", SIZES)
def test_nonzero_fraction_is_one_over_N_and_one_over_C(N, D, C):
    rng = _rng(16, N, D, C)  # generic inputs: no entry of X, W, x is exactly zero
    x, X, W = rng.standard_normal(D), rng.standard_normal((N, D)), rng.standard_normal((D, C))
    assert jac.nonzero_fraction(jac.matrix_by_matrix_jacobian_X(X, W)) == pytest.approx(1 / N)
    assert jac.nonzero_fraction(jac.matrix_by_matrix_jacobian_W(X, W)) == pytest.approx(1 / C)
    assert jac.nonzero_fraction(jac.vector_by_matrix_jacobian(x, W)) == pytest.approx(1 / C)
    assert jac.nonzero_fraction(jac.column_vector_by_matrix_jacobian(W.T, x)) == pytest.approx(1 / C)


def test_nonzero_fraction_counts_against_atol():
    J = np.array([[0.0, 1e-3], [-2.0, 5.0]])
    assert jac.nonzero_fraction(J) == 0.75
    assert jac.nonzero_fraction(J, atol=1e-2) == 0.5
    with pytest.raises(ValueError, match="empty"):
        jac.nonzero_fraction(np.zeros((0, 3)))


def test_jacobian_memory_by_hand():
    # N, D, C = 2, 3, 4 in float64 (8 bytes):
    # dY/dW (N,C,D,C) = 2*4*3*4 = 96 entries; dY/dX (N,C,N,D) = 2*4*2*3 = 48;
    # dL/dW (D,C) = 12; dL/dX (N,D) = 6.
    assert jac.jacobian_memory(2, 3, 4) == {"dY/dW": 768, "dY/dX": 384,
                                            "dL/dW": 96, "dL/dX": 48}
    assert jac.jacobian_memory(2, 3, 4, dtype=np.float32)["dY/dW"] == 384


def test_jacobian_memory_matches_the_arrays_and_real_sizes():
    X, W = np.ones((2, 3)), np.ones((3, 4))
    sizes = jac.jacobian_memory(2, 3, 4)
    assert sizes["dY/dW"] == jac.matrix_by_matrix_jacobian_W(X, W).nbytes
    assert sizes["dY/dX"] == jac.matrix_by_matrix_jacobian_X(X, W).nbytes
    big = jac.jacobian_memory(64, 4096, 4096)  # 2**6 * 2**12 * 2**12 * 2**12 * 8 bytes
    assert big["dY/dW"] == 2 ** 45 and isinstance(big["dY/dW"], int)
    assert big["dL/dW"] == 2 ** 27


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_jacobian_memory_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="jacobian_memory"):
        jac.jacobian_memory(bad, 3, 4)


# ---------------------------------------------------------------------------
# bad shapes give clear errors
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fn, left, right", [
    (jac.vector_by_matrix_jacobian, np.ones(3), np.ones((4, 2))),        # inner 3 vs 4
    (jac.vector_by_matrix_jacobian, np.ones((2, 3)), np.ones((3, 2))),   # x not a vector
    (jac.column_vector_by_matrix_jacobian, np.ones((2, 3)), np.ones(4)),
    (jac.column_vector_by_matrix_jacobian, np.ones(3), np.ones(3)),
    (jac.matrix_by_matrix_jacobian_X, np.ones((2, 3)), np.ones((4, 2))),
    (jac.matrix_by_matrix_jacobian_X, np.ones(3), np.ones((3, 2))),      # X not a matrix
    (jac.matrix_by_matrix_jacobian_W, np.ones((2, 3)), np.ones((2, 3))),
    (jac.matrix_by_matrix_jacobian_W, np.ones((2, 3)), np.ones(3)),      # W not a matrix
])
def test_jacobians_reject_mismatched_shapes(fn, left, right):
    with pytest.raises(ValueError, match=fn.__name__) as info:
        fn(left, right)
    assert str(left.shape) in str(info.value) and str(right.shape) in str(info.value)


def test_contract_with_upstream_rejects_wrong_upstream_shape():
    J = np.zeros((2, 3, 4, 3))
    with pytest.raises(ValueError, match=r"contract_with_upstream.*\(3, 2\)"):
        jac.contract_with_upstream(J, np.zeros((3, 2)))


def test_forward_scheme_has_first_order_error_and_central_second_order():
    """exp at 0: the forward difference errs by about h/2, the central one by about h²/6."""
    x = np.array([0.0])
    h = 1e-3
    forward = gradcheck.numeric_jacobian(np.exp, x, h=h, scheme="forward")[0, 0]
    central = gradcheck.numeric_jacobian(np.exp, x, h=h, scheme="central")[0, 0]
    assert abs((forward - 1.0) - h / 2) < 1e-6
    assert abs((central - 1.0) - h**2 / 6) < 1e-9


def test_unknown_scheme_is_named():
    with pytest.raises(ValueError, match="numeric_jacobian: unknown scheme 'backward'"):
        gradcheck.numeric_jacobian(np.exp, np.zeros(2), scheme="backward")
