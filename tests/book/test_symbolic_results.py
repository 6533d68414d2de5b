"""What the proof apparatus nnmath/book/symbolic.py reports, in detail.

They pin down what a proof result reports (statement, both sides, details),
what exactly the all-sizes proof sums over and under which assumptions on its
symbols, and the contract of the random point that may refute a formula.
"""

import numpy as np
import sympy as sp

from nnmath.book import symbolic as sym


def _by_name(symbols):
    return {s.name: s for s in symbols}


# -- the proof for every size --------------------------------------------------------

def test_all_sizes_proof_reports_both_sides_and_its_intermediate_steps():
    results = sym.prove_matmul_collapse_all_sizes()
    for name, other in (("W", "X"), ("X", "W")):
        r = results[name]
        assert r.holds is True
        assert f"dL/d{name}" in r.statement and "all N, D, C" in r.statement
        assert r.slow is not None and r.fast is not None
        assert sp.simplify(r.slow - r.fast) == 0
        assert {"Y_ab", "dY_dparam", "raw", "collapsed", "loss", "compact"} <= set(r.details)
        # the compact side is written with δ and the other factor of the product
        assert {m.name for m in r.fast.atoms(sp.MatrixSymbol)} == {"delta", other}
        assert {m.name for m in r.details["compact"].atoms(sp.MatrixSymbol)} == {"delta", other}


def test_all_sizes_proof_sums_over_exactly_the_N_by_C_entries():
    results = sym.prove_matmul_collapse_all_sizes()
    for r in results.values():
        loss = r.details["loss"]
        sizes = _by_name(loss.free_symbols)
        N, C, D = sizes["N"], sizes["C"], sizes["D"]
        for s in (N, C, D):  # sizes: positive integers
            assert s.is_integer and s.is_positive
        outer = [s for s in loss.atoms(sp.Sum) if s.function.has(sp.MatrixSymbol("delta", N, C))]
        assert len(outer) == 1
        limits = {(v.name, low, high) for v, low, high in outer[0].limits}
        assert limits == {("a", 0, N - 1), ("b", 0, C - 1)}
        for v, _, _ in outer[0].limits:  # indices: non-negative integers
            assert v.is_integer and v.is_nonnegative
        # the free indices of the derivative, c and d, are indices too
        free = _by_name(r.details["raw"].free_symbols)
        for index in ("c", "d"):
            assert free[index].is_integer and free[index].is_nonnegative


# -- checks at fixed sizes -------------------------------------------------------------

def test_matmul_check_names_its_sizes():
    results = sym.prove_matmul_collapse(2, 3, 4)
    for name in ("W", "X"):
        assert results[name].holds
        assert f"dL/d{name}" in results[name].statement
        assert "N=2, D=3, C=4" in results[name].statement


def _square_inputs():
    return {"x": sym.symbol_array("x", (2,))}


def test_prove_vjp_keeps_statement_both_sides_and_details():
    inputs = _square_inputs()
    r = sym.prove_vjp(lambda x: x ** 2, inputs, "x", lambda delta, out, x: 2 * x * delta)
    assert r.holds is True and r.statement == ""
    x = inputs["x"]
    delta = r.details["delta"]
    assert [s.name for s in delta] == [r"\delta_{1}", r"\delta_{2}"]
    assert list(r.fast) == [2 * x[0] * delta[0], 2 * x[1] * delta[1]]
    assert list(r.details["out"]) == [x[0] ** 2, x[1] ** 2]
    assert r.details["jacobian"].shape == (2, 2)
    r = sym.prove_vjp(lambda x: x ** 2, inputs, "x", lambda delta, out, x: x * delta,
                      statement="a wrong formula")
    assert r.holds is False and r.statement == "a wrong formula"


def test_prove_vjp_refuses_a_formula_of_the_wrong_shape():
    r = sym.prove_vjp(lambda x: x ** 2, _square_inputs(), "x",
                      lambda delta, out, x: np.array([delta[0]]), statement="shape")
    assert r.holds is False and r.statement == "shape"
    assert r.slow.shape == (2,) and r.fast.shape == (1,)
    assert r.details["reason"] == "shape (1,) != (2,)"


# -- small helpers ------------------------------------------------------------------------

def test_to_matrix_of_a_single_symbol():
    x = sp.Symbol("x")
    assert sym.to_matrix(np.array(x, dtype=object)) == sp.Matrix([[x]])


def test_kronecker_delta_to_a_power_keeps_the_power():
    b, d, n = sp.symbols("b d n")
    assert sym.to_latex(sp.KroneckerDelta(b, d) ** n) == r"\left[b = d\right]^{n}"


def test_canonical_indices_are_integers_named_in_order():
    i, j, n = sp.symbols("i j n", integer=True)
    x = sp.IndexedBase("x")
    expr = sp.Sum(x[i], (i, 0, n)) + sp.Sum(x[j] ** 2, (j, 0, n))
    out = sym.canonical_indices(expr)
    bound = [v for s in out.atoms(sp.Sum) for v, _, _ in s.limits]
    assert sorted(v.name for v in bound) == ["k0", "k1"]
    assert all(v.is_integer for v in bound)


def test_sample_point_lies_in_the_documented_range_with_the_symbols_signs():
    rng = np.random.default_rng(0)
    kinds = [{}, {"positive": True}, {"negative": True}, {"nonpositive": True},
             {"real": True}]
    symbols = [sp.Symbol(f"s{k}_{i}", **kinds[k]) for k in range(len(kinds)) for i in range(400)]
    point = sym._sample_point(symbols, rng)
    assert set(point) == set(symbols)
    for s, value in point.items():
        assert isinstance(value, sp.Rational)
        assert sp.Rational(1, 10) < abs(value) < sp.Rational(9, 10)  # no poles at 0 or ±1
        if s.is_negative or s.is_nonpositive:
            assert value < 0
        else:
            assert value > 0
