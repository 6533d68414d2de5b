"""nnmath.book.symbolic: the SymPy proofs hold where they should, fail where they
should, and agree with plain numbers once the symbols are replaced by values.
"""

import numpy as np
import pytest
import sympy as sp

import nnmath as nm
from nnmath.book import symbolic as sym
from nnmath.book import jacobians
from nnmath.book.chapters import ch04_vector_by_matrix as ch04

SIZES = [(1, 1, 1), (2, 3, 2), (3, 2, 4), (2, 2, 3)]  # (N, D, C)


def _evaluate(expressions, symbols_by_array):
    """Replace every symbol by a number: (object array, [(symbol array, values)]) -> floats."""
    subs = {}
    for symbols, values in symbols_by_array:
        subs.update(zip(symbols.flat, np.asarray(values, dtype=float).flat))
    return np.array([float(sp.sympify(e).xreplace(subs)) for e in expressions.flat]
                    ).reshape(expressions.shape)


# ---------------------------------------------------------------------------
# fixed sizes
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("N, D, C", SIZES)
def test_prove_matmul_collapse_holds(N, D, C):
    proofs = sym.prove_matmul_collapse(N, D, C)
    assert set(proofs) == {"W", "X"}
    for key, shape in (("W", (D, C)), ("X", (N, D))):
        assert proofs[key].holds, proofs[key].statement
        assert proofs[key].slow.shape == shape
        assert proofs[key].details["jacobian"].ndim == 4


@pytest.mark.parametrize("N, D, C", SIZES)
def test_symbolic_slow_route_agrees_with_numbers(N, D, C):
    # The slow result is a polynomial in the symbols X_{i,j}, W_{i,j}, δ_{i,j}:
    # replacing them by random numbers must give what nnmath.matmul computes.
    proofs = sym.prove_matmul_collapse(N, D, C)
    rng = np.random.default_rng([20, N, D, C])
    X, W, dY = (rng.standard_normal(s) for s in ((N, D), (D, C), (N, C)))
    values = [(sym.symbol_array("X", (N, D)), X), (sym.symbol_array("W", (D, C)), W),
              (proofs["W"].details["delta"], dY)]
    np.testing.assert_allclose(_evaluate(proofs["W"].slow, values),
                               nm.matmul.matmul_grad_W(dY, X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_evaluate(proofs["X"].slow, values),
                               nm.matmul.matmul_grad_X(dY, W), rtol=1e-12, atol=1e-12)


def test_symbolic_jacobian_agrees_with_numeric_tensor():
    # the exact 4-D Jacobian, evaluated at numbers, is the array nnmath.book.jacobians builds
    N, D, C = 2, 3, 2
    proofs = sym.prove_matmul_collapse(N, D, C)
    rng = np.random.default_rng(21)
    X, W = rng.standard_normal((N, D)), rng.standard_normal((D, C))
    values = [(sym.symbol_array("X", (N, D)), X), (sym.symbol_array("W", (D, C)), W)]
    np.testing.assert_allclose(_evaluate(proofs["W"].details["jacobian"], values),
                               jacobians.matrix_by_matrix_jacobian_W(X, W), atol=1e-15)
    np.testing.assert_allclose(_evaluate(proofs["X"].details["jacobian"], values),
                               jacobians.matrix_by_matrix_jacobian_X(X, W), atol=1e-15)


# ---------------------------------------------------------------------------
# a wrong compact formula must not be "proved"
# ---------------------------------------------------------------------------

def _square_inputs(n=2):
    return {"X": sym.symbol_array("X", (n, n)), "W": sym.symbol_array("W", (n, n))}


@pytest.mark.parametrize("wrt, compact", [
    ("W", lambda delta, out, X, W: X @ delta.T),      # wrong operand transposed
    ("W", lambda delta, out, X, W: X @ delta),        # transpose forgotten
    ("W", lambda delta, out, X, W: delta.T @ X),      # the transpose of the answer
    ("X", lambda delta, out, X, W: delta @ W),        # transpose forgotten
    ("X", lambda delta, out, X, W: W.T @ delta),      # factors in the wrong order
    ("X", lambda delta, out, X, W: 2 * (delta @ W.T)),  # a wrong factor
], ids=["X@dT", "X@d", "dT@X", "d@W", "WT@d", "2dWT"])
def test_prove_vjp_rejects_wrong_formulas(wrt, compact):
    # square sizes, so every wrong formula has the right shape and only the values differ
    proof = sym.prove_vjp(nm.matmul.matmul_forward, _square_inputs(), wrt, compact)
    assert proof.holds is False and not proof


def test_prove_vjp_accepts_the_right_formulas_on_square_sizes():
    inputs = _square_inputs(3)
    assert sym.prove_vjp(nm.matmul.matmul_forward, inputs, "W",
                         lambda delta, out, X, W: nm.matmul.matmul_grad_W(delta, X))
    assert sym.prove_vjp(nm.matmul.matmul_forward, inputs, "X",
                         lambda delta, out, X, W: nm.matmul.matmul_grad_X(delta, W))


def test_prove_vjp_reports_a_shape_mismatch():
    inputs = {"X": sym.symbol_array("X", (2, 3)), "W": sym.symbol_array("W", (3, 4))}
    proof = sym.prove_vjp(nm.matmul.matmul_forward, inputs, "W",
                          lambda delta, out, X, W: delta.T @ X)  # (4, 3), not (3, 4)
    assert not proof.holds
    assert "shape" in proof.details["reason"]


def test_prove_vjp_of_vector_products():
    x, W, Wc = (sym.symbol_array("x", (3,)), sym.symbol_array("W", (3, 2)),
                sym.symbol_array("V", (2, 3)))
    assert sym.prove_vjp(lambda x, W: x @ W, {"x": x, "W": W}, "W",
                         lambda delta, out, x, W: ch04.vector_matmul_grad_W(delta, x))
    assert sym.prove_vjp(lambda W, x: W @ x, {"W": Wc, "x": x}, "W",
                         lambda delta, out, W, x: ch04.column_matvec_grad_W(delta, x))
    # the row-vector answer used for the column convention is wrong (it is transposed)
    assert not sym.prove_vjp(lambda W, x: W @ x, {"W": sym.symbol_array("V", (2, 2)),
                                                   "x": sym.symbol_array("x", (2,))}, "W",
                             lambda delta, out, W, x: ch04.vector_matmul_grad_W(delta, x))


# ---------------------------------------------------------------------------
# every size at once
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def all_sizes():
    return sym.prove_matmul_collapse_all_sizes()


@pytest.mark.parametrize("key", ["W", "X"])
def test_prove_matmul_collapse_all_sizes_holds(all_sizes, key):
    proof = all_sizes[key]
    assert proof.holds, proof.statement
    assert isinstance(proof.details["Y_ab"], sp.Sum)
    assert proof.details["dY_dparam"].has(sp.KroneckerDelta)
    assert isinstance(proof.details["collapsed"], sp.Sum)
    assert not proof.details["collapsed"].has(sp.KroneckerDelta)


def test_all_sizes_collapsed_sums_have_the_expected_indices(all_sizes):
    # Σ_a X_ac δ_ad and Σ_b δ_cb W_db, written out by hand with SymPy
    N, C = sp.Symbol("N", integer=True, positive=True), sp.Symbol("C", integer=True, positive=True)
    D = sp.Symbol("D", integer=True, positive=True)
    a, b, c, d = sp.symbols("a b c d", integer=True, nonnegative=True)
    X, W, delta = (sp.MatrixSymbol("X", N, D), sp.MatrixSymbol("W", D, C),
                   sp.MatrixSymbol("delta", N, C))
    by_hand_W = sym.canonical_indices(sp.Sum(X[a, c] * delta[a, d], (a, 0, N - 1)))
    by_hand_X = sym.canonical_indices(sp.Sum(delta[c, b] * W[d, b], (b, 0, C - 1)))
    assert sp.simplify(all_sizes["W"].slow - by_hand_W) == 0
    assert sp.simplify(all_sizes["X"].slow - by_hand_X) == 0
    # and the comparison can fail: swapping c and d is a different sum
    swapped = sym.canonical_indices(sp.Sum(X[a, d] * delta[a, c], (a, 0, N - 1)))
    assert sp.simplify(all_sizes["W"].slow - swapped) != 0


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def test_canonical_indices_identifies_renamed_dummies():
    N, M = sp.symbols("N M", integer=True, positive=True)
    a, i, j, k, c = sp.symbols("a i j k c", integer=True)
    X = sp.MatrixSymbol("X", N, M)
    s1 = sp.Sum(X[a, c], (a, 0, N - 1))
    s2 = sp.Sum(X[i, c], (i, 0, N - 1))
    assert s1 != s2  # SymPy compares dummy names
    assert sym.canonical_indices(s1) == sym.canonical_indices(s2)
    nested1 = sp.Sum(X[i, j] ** 2, (i, 0, N - 1), (j, 0, M - 1))
    nested2 = sp.Sum(X[j, k] ** 2, (j, 0, N - 1), (k, 0, M - 1))
    assert sym.canonical_indices(nested1) == sym.canonical_indices(nested2)
    # free indices are left alone: Σ_a X_ac and Σ_a X_ak stay different
    assert sym.canonical_indices(s1) != sym.canonical_indices(sp.Sum(X[a, k], (a, 0, N - 1)))


def test_symbol_array_and_to_matrix():
    A = sym.symbol_array("X", (2, 3), real=True)
    assert A.shape == (2, 3) and str(A[1, 2]) == "X_{2,3}" and A[0, 0].is_real
    assert sym.to_matrix(A).shape == (2, 3)
    assert sym.to_matrix(A[0]).shape == (1, 3)
    assert str(sym.symbol_array("s", ())[()]) == "s"
    with pytest.raises(ValueError, match="to_matrix"):
        sym.to_matrix(np.empty((1, 1, 1), dtype=object))


def test_jacobian_tensor_and_contract_on_a_small_example():
    x = sym.symbol_array("x", (2,))
    y = np.array([x[0] * x[1], x[0] ** 2], dtype=object)
    J = sym.jacobian_tensor(y, x)
    expected = sp.Matrix([[x[1], x[0]], [2 * x[0], 0]])
    assert sp.Matrix(J.tolist()) == expected
    u = sym.symbol_array("u", (2,))
    assert sym.is_zero(sym.contract(J, u) - np.array([u[0] * x[1] + 2 * u[1] * x[0],
                                                      u[0] * x[0]], dtype=object))
    assert not sym.is_zero(J)


def test_to_latex_writes_kronecker_delta_as_a_bracket(all_sizes):
    b, d = sp.symbols("b d")
    assert sym.to_latex(sp.KroneckerDelta(b, d)) == r"\left[b = d\right]"
    tex = sym.to_latex(all_sizes["W"].details["dY_dparam"])
    assert r"\left[b = d\right]" in tex and r"\delta" not in tex
    # everything else is SymPy's own LaTeX
    assert sym.to_latex(sp.Symbol("x") ** 2) == sp.latex(sp.Symbol("x") ** 2)


def test_is_zero_refutes_a_wrong_formula_without_simplify(monkeypatch):
    """A non-zero difference is refuted by evaluation at a point; simplify is never reached."""
    import nnmath.book.symbolic as symbolic

    def no_simplify(expr):
        raise AssertionError("simplify called on a difference that is not zero")

    monkeypatch.setattr(symbolic.sp, "simplify", no_simplify)
    z = symbolic.symbol_array("z", (2, 2), real=True)
    wrong_tanh_prime = np.vectorize(
        lambda v: sp.diff(sp.tanh(v), v) - (1 - sp.tanh(v)), otypes=[object])(z)
    assert symbolic.is_zero(wrong_tanh_prime) is False


def test_is_zero_respects_sign_assumptions():
    """max(n, 0) is zero for a negative symbol; the random point must be negative too."""
    n = sp.Symbol("n", negative=True)
    assert sym.is_zero(np.array([sp.Max(n, 0)], dtype=object))
    assert not sym.is_zero(np.array([sp.Max(-n, 0)], dtype=object))
