"""Chapter 30's registry entries and proofs for every size reject wrong formulas."""

import numpy as np
import pytest
import sympy as sp

from nnmath.book.chapters import ch30_kfac as ch
from nnmath.book.identities import get
from nnmath.book.identities.ch08_losses import softmax_any

ENTRIES = ["softmax_ce_fisher_is_hessian", "kfac_one_sample_kronecker",
           "kfac_factored_inverse_step"]


@pytest.mark.parametrize("name", ENTRIES)
def test_the_proof_for_every_size_holds(name):
    assert get(name).extra["index_proof"]().holds


def test_the_proofs_for_every_size_reject_wrong_statements():
    # E[e_y e_y^T] without subtracting p p^T: diag(p), not the Hessian
    assert not ch.prove_fisher_equals_hessian_all_sizes(
        lambda p, y, i, j: sp.KroneckerDelta(y, i) * sp.KroneckerDelta(y, j)).holds
    # the column-major order (g g^T) kron (a a^T)
    assert not ch.prove_one_sample_kronecker_all_sizes(lambda A, G: sp.KroneckerProduct(G, A)).holds
    # the factors' inverses in the wrong order, or one factor not inverted
    assert not ch.prove_kron_inverse_all_sizes(lambda A, G: sp.KroneckerProduct(G.I, A.I)).holds
    assert not ch.prove_kron_inverse_all_sizes(lambda A, G: sp.KroneckerProduct(A.I, G)).holds


def _rejected(entry, wrong, inputs=None):
    rng = np.random.default_rng(3)
    verdicts = [not entry.check_numeric(rng, inputs=inputs, compact=wrong).passed]
    if inputs is None:
        verdicts += [not all(p.holds for p in entry.prove(wrong)),
                     not entry.check_autodiff(rng, compact=wrong).passed]
    return verdicts


def test_plausible_wrong_formulas_are_rejected_by_every_route():
    fisher = get("softmax_ce_fisher_is_hessian")
    uniform = lambda delta, out, Z, T: ch.fisher_vp(delta, softmax_any(Z) * 0 + 1) / Z.shape[1]
    assert all(_rejected(fisher, lambda delta, out, Z, T: delta * softmax_any(Z)))   # diag only
    assert all(_rejected(fisher, uniform))                                # no p_y weights
    kron = get("kfac_one_sample_kronecker")
    column = lambda delta, out, V, a, g: delta * (
        np.kron(np.outer(g, g), np.outer(a, a)) @ V.reshape(-1)).reshape(V.shape)
    assert all(_rejected(kron, column))
    step = get("kfac_factored_inverse_step")
    assert all(_rejected(step, lambda delta, out, M, A, G: ch.inverse_any(A) @ delta))
    rng = np.random.default_rng(4)
    square = {"M": rng.standard_normal((3, 3)), "A": np.diag([1.0, 2.0, 3.0]) + 0.1,
              "G": np.diag([3.0, 1.0, 5.0]) + 0.2}
    swapped = lambda delta, out, M, A, G: ch.inverse_any(G) @ delta @ ch.inverse_any(A)
    assert all(_rejected(step, swapped, inputs=square))


def test_fisher_equals_gauss_newton_on_a_small_network():
    from nnmath.book.chapters import ch19_forward_second_order as ch19
    rng = np.random.default_rng(5)
    X, T = rng.standard_normal((4, 3)), np.eye(3)[rng.integers(0, 3, 4)]
    _, outputs, theta, _ = ch19.mlp([3, 4, 3], X, T, loss="ce", rng=rng)
    F = ch.fisher_by_expectation(outputs, theta)
    np.testing.assert_allclose(ch.gauss_newton_ce(outputs, theta), F, atol=1e-13)
    assert not np.allclose(ch.fisher_by_expectation(outputs, theta, labels=T.argmax(1)), F)


def test_natural_gradient_is_invariant_and_the_plain_gradient_is_not():
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((40, 3)), (rng.random(40) < 0.5).astype(float)
    d = ch.logistic_natural_gradient(X, y, rng.standard_normal(3), rng.standard_normal((3, 3)))
    np.testing.assert_allclose(d["natural via φ"], d["natural θ"], rtol=1e-9)
    assert not np.allclose(d["plain via φ"], d["plain θ"])
