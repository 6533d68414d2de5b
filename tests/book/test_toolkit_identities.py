"""The identities of chapters 17–19: each of their checks rejects a wrong formula.

tests/book/test_identities.py runs every route on the right formulas; here each new
entry gets a plausible *wrong* compact formula (a dropped transpose, a
symmetric-parametrisation gradient, swapped Kronecker factors, ...) and every
route — SymPy at fixed sizes, finite differences, the engine — must fail.
"""

import dataclasses

import numpy as np
import pytest
import sympy as sp

from nnmath.book.chapters import ch17_differentials as ch17
from nnmath.book.chapters import ch18_vec_kronecker as ch18
from nnmath.autodiff import hvp, softmax_cross_entropy_loss
from nnmath.book.identities import REGISTRY
from nnmath.book.identities.ch08_losses import softmax_any


def _sym_G(Sigma, X, mu):  # the unconstrained gradient, for the wrong variants below
    return ch17.gaussian_grad_cov(Sigma, X, mu)


def _diag_of(G):
    out = np.zeros_like(G)
    for i in range(G.shape[0]):
        out[i, i] = G[i, i]
    return out


WRONG = {
    # a dropped transpose (right only for symmetric X)
    "inverse_grad": lambda delta, out, X: -(out @ delta @ out),
    "logdet_grad": lambda delta, out, X: delta * ch17.inv_any(X),
    # the gradient of a symmetric A's quadratic form, 2AW, used for any A
    "trace_quadratic_grad_W": lambda delta, out, A, W: delta * 2 * (A @ W),
    "trace_quadratic_grad_A": lambda delta, out, A, W: delta * (W @ W.T) * 2,
    # the gradient with respect to the D(D+1)/2 free entries of a symmetric Σ, 2G − diag(G)
    "gaussian_loglik_grad_cov": lambda delta, out, Sigma, X, mu: delta * (
        2 * _sym_G(Sigma, X, mu) - _diag_of(_sym_G(Sigma, X, mu))),
    # the precision's gradient without the factor N on log det
    "gaussian_loglik_grad_precision": lambda delta, out, Lam, X, mu: delta * 0.5 * (
        ch17.inv_any(Lam).T - ch17.scatter(X, mu)),
    # swapped Kronecker factors: the other convention's Jacobian
    "kron_vec_column": lambda delta, out, A, X, B: ch18.unvec(
        np.kron(A, np.asarray(B).T).T @ ch18.vec(delta), (A.shape[1], B.shape[0])),
    "kron_vec_row": lambda delta, out, A, X, B: ch18.unvec_r(
        np.kron(np.asarray(B).T, A).T @ ch18.vec_r(delta), (A.shape[1], B.shape[0])),
    # the diagonal of the Hessian only, diag(p) v / N: the −p pᵀ term forgotten
    "softmax_cross_entropy_hvp": lambda delta, out, Z, V, T: delta * softmax_any(Z) * V
    / Z.shape[0],
}
NEW = [n for n, e in REGISTRY.items()
       if e.chapter in ("derivations/17_differentials", "derivations/18_vec_kronecker",
                        "derivations/19_forward_second_order")]


def test_every_new_identity_has_a_wrong_formula():
    assert sorted(WRONG) == sorted(NEW)


@pytest.mark.parametrize("name", NEW)
def test_each_route_rejects_the_wrong_formula(name):
    wrong = dataclasses.replace(REGISTRY[name], compact=WRONG[name])
    assert not all(p.holds for p in wrong.prove()), f"{name}: SymPy accepted a wrong formula"
    rng = np.random.default_rng(0)
    assert not wrong.check_numeric(rng).passed, f"{name}: finite differences accepted it"
    assert not wrong.check_autodiff(rng).passed, f"{name}: the engine accepted it"


def test_kronecker_proof_for_all_sizes_rejects_swapped_factors():
    proofs = ch18.prove_kron_all_sizes(column=lambda A, B: sp.KroneckerProduct(A, B.T),
                                       row=lambda A, B: sp.KroneckerProduct(B.T, A))
    assert not proofs["column"].holds and not proofs["row"].holds
    right = ch18.prove_kron_all_sizes()
    assert right["column"].holds and right["row"].holds and right["vjp"].holds


@pytest.mark.parametrize("seed", range(3))
def test_kronecker_identities_on_random_shapes(seed):
    rng = np.random.default_rng(seed)
    P, M, N, Q = rng.integers(1, 5, 4)
    A, X, B = (rng.standard_normal(s) for s in ((P, M), (M, N), (N, Q)))
    Y = A @ X @ B
    np.testing.assert_allclose(ch18.vec(Y), ch18.kron_jacobian_column(A, B) @ ch18.vec(X),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Y.reshape(-1), ch18.kron_jacobian_row(A, B) @ X.reshape(-1),
                               rtol=1e-12, atol=1e-12)
    delta = rng.standard_normal((P, Q))
    for vjp in (ch18.vjp_by_kron_column, ch18.vjp_by_kron_row):
        np.testing.assert_allclose(vjp(delta, A, B), A.T @ delta @ B.T, rtol=1e-12, atol=1e-12)


def test_chapter_5_kronecker_forms_are_row_major_special_cases():
    rng = np.random.default_rng(4)
    X, W = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    np.testing.assert_array_equal(ch18.kron_jacobian_row(np.eye(3), W), np.kron(np.eye(3), W.T))
    np.testing.assert_array_equal(ch18.kron_jacobian_row(X, np.eye(2)), np.kron(X, np.eye(2)))


def test_gauss_jordan_inverse_and_pivots():
    rng = np.random.default_rng(5)
    for X in (ch17.diagonally_dominant(rng, 4), ch17.spd(rng, 3)):
        from nnmath.autodiff import Tensor
        inverse, pivots = ch17.gauss_jordan(Tensor(X))
        np.testing.assert_allclose(inverse.data, np.linalg.inv(X), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(np.prod([p.item() for p in pivots]), np.linalg.det(X),
                                   rtol=1e-12)


def test_gaussian_gradient_vanishes_at_the_maximum_likelihood_estimate():
    rng = np.random.default_rng(6)
    X, mu = rng.standard_normal((20, 3)), rng.standard_normal(3)
    S = ch17.scatter(X, mu)
    np.testing.assert_allclose(ch17.gaussian_grad_cov(S / 20, X, mu), 0, atol=1e-12)
    np.testing.assert_allclose(ch17.gaussian_grad_precision(np.linalg.inv(S / 20), X, mu), 0,
                               atol=1e-12)


def test_cross_entropy_hvp_entry_agrees_with_the_engines_hvp():
    entry = REGISTRY["softmax_cross_entropy_hvp"]
    s = entry.sample(np.random.default_rng(7))
    Hv = hvp(lambda Z: softmax_cross_entropy_loss(Z, s["T"]), s["Z"], s["V"])
    np.testing.assert_allclose(Hv, entry.compact(1.0, None, **s), rtol=1e-12, atol=1e-15)
