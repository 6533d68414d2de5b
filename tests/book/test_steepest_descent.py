"""Chapter 31's derived results, each checked and each check handed a wrong formula.

* steepest descent under the spectral norm is ``−U Vᵀ`` (random unit-spectral directions,
  projected descent); under the Frobenius norm ``−G/‖G‖_F``;
* a Newton–Schulz step is the odd polynomial on the singular values (proof for every
  size);
* Shampoo's step for one gradient is ``U Vᵀ`` (proof for every size, and numerically);
* the comparison's factories, flop counts and the committed timing file.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from nnmath.book.chapters import ch31_shampoo_muon as ch
from nnmath.book.identities import ch31_shampoo_muon as reg

ROOT = Path(__file__).resolve().parents[2]


def beaten_by_random_directions(G, direction, rng, n=4000):
    """How many random ``Δ`` with ``‖Δ‖₂ = 1`` give a smaller ``⟨G, Δ⟩`` than ``direction``."""
    D = ch.random_unit_spectral(rng, G.shape, n)
    return int(np.sum(np.einsum("ij,kij->k", G, D) < np.sum(G * direction) - 1e-12))


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2), (4, 6)])
def test_minus_polar_factor_is_the_spectral_steepest_descent(shape):
    rng = np.random.default_rng(sum(shape))
    G = rng.standard_normal(shape)
    best = -ch.polar_factor(G)
    assert np.linalg.norm(best, 2) == pytest.approx(1)
    assert np.sum(G * best) == pytest.approx(-ch.nuclear_norm(G))
    assert beaten_by_random_directions(G, best, rng) == 0
    D = ch.projected_descent(G, rng)
    assert np.linalg.norm(D, 2) <= 1 + 1e-12
    np.testing.assert_allclose(D, best, atol=1e-8)


def test_wrong_directions_are_beaten_by_the_optimisation():
    rng = np.random.default_rng(0)
    G = rng.standard_normal((4, 4))
    found = np.sum(G * ch.projected_descent(G, rng))
    assert found == pytest.approx(-ch.nuclear_norm(G), abs=1e-9)
    for wrong in (-G / np.linalg.norm(G, 2),               # G's own direction, ‖·‖₂ = 1
                  -ch.polar_factor(G).T,                   # transposed
                  -ch.polar_factor(G + 0.1 * np.eye(4))):  # polar factor of another matrix
        assert np.linalg.norm(wrong, 2) == pytest.approx(1)
        assert np.sum(G * wrong) > found + 1e-3


def test_frobenius_steepest_descent_is_the_normalised_gradient():
    rng = np.random.default_rng(1)
    G = rng.standard_normal((3, 4))
    best = -G / np.linalg.norm(G)
    D = rng.standard_normal((4000, 3, 4))
    D /= np.linalg.norm(D, axis=(1, 2))[:, None, None]
    assert np.all(np.einsum("ij,kij->k", G, D) >= np.sum(G * best) - 1e-12)
    polar = -ch.polar_factor(G) / np.linalg.norm(ch.polar_factor(G))   # unit Frobenius norm
    assert np.sum(G * polar) > np.sum(G * best) + 1e-3   # not the Frobenius answer


def test_newton_schulz_proof_for_every_size_rejects_wrong_steps():
    assert reg.prove_newton_schulz_on_singular_values().holds
    for wrong in (lambda X, a, b, c: a * X + b * X * X.T * X + c * X * X.T * X,     # c X Xᵀ X
                  lambda X, a, b, c: a * X + b * X * X.T * X + c * X.T * X * X.T * X * X.T * X.T,
                  lambda X, a, b, c: 2 * a * X + b * X * X.T * X + c * X * X.T * X * X.T * X):
        assert not reg.prove_newton_schulz_on_singular_values(wrong).holds


def test_shampoo_proof_for_every_size_rejects_wrong_powers():
    assert reg.prove_shampoo_is_polar().holds
    for wrong in (-0.5, -0.125, 0.25):
        assert not reg.prove_shampoo_is_polar(wrong).holds


@pytest.mark.parametrize("shape", [(4, 4), (3, 6), (6, 3)])
def test_shampoo_with_one_gradient_is_the_polar_factor(shape):
    G = np.random.default_rng(2).standard_normal(shape)
    np.testing.assert_allclose(ch.shampoo_direction([G]), ch.polar_factor(G), atol=1e-10)
    two = ch.shampoo_direction([np.random.default_rng(3).standard_normal(shape), G])
    assert not np.allclose(two, ch.polar_factor(G), atol=1e-3)   # accumulation changes it


def test_psd_power_against_repeated_products():
    A = np.random.default_rng(4).standard_normal((5, 3))
    P = A @ A.T                                       # rank 3: the power acts on the range
    Q = ch.psd_power(P, -0.25)
    np.testing.assert_allclose(Q @ Q @ Q @ Q @ P, ch.psd_power(P, 0.0), atol=1e-10)
    np.testing.assert_allclose(ch.psd_power(P, 0.5) @ ch.psd_power(P, 0.5), P, atol=1e-10)


def test_factories_build_every_optimiser_and_counts_are_positive():
    for task in ch.TASKS:
        model = ch.make_task(task, 0)[0]
        for name, (factory, rates) in ch.FACTORIES.items():
            assert len(rates) >= 2 and factory(model, rates[0]).lr == rates[0]
            assert ch.optimiser_flops(model, name, task=task) > 0
        assert ch.gradient_flops(task) > 0
    with pytest.raises(ValueError, match="task must be one of"):
        ch.make_task("mlp", 0)


def test_muon_flop_count_matches_a_direct_count():
    model = ch.make_task("cnn", 0)[0]
    # conv1 (8, 9): r = 8, s = 9; conv2 (16, 72): r = 16, s = 72; the rest AdamW.
    muon = sum(8 * r * s + 5 * (4 * r * r * s + 2 * r ** 3 + 2 * r * r + 2 * r * s)
               for r, s in ((8, 9), (16, 72)))
    adamw = 14 * (8 + 16 + 64 * 10 + 10)
    assert ch.optimiser_flops(model, "Muon") == muon + adamw


def test_kfac_flop_count_matches_a_direct_count():
    model = ch.make_task("cnn", 0)[0]
    assert list(ch.kfac_layers(model)) == ["7.W"]      # the classifier: (64 + 1, 10)
    D, C, N, u = 65, 10, 32, ch.KFAC_UPDATE_EVERY
    sgd = 4 * (8 * 1 * 3 * 3 + 8 + 16 * 8 * 3 * 3 + 16)   # the two convolutions
    every_step = 2 * D * D * C + 2 * D * C * C + 4 * D * C
    every_u = (2 * ch.gradient_flops("cnn") // 3 + 2 * N * (D * D + C * C)
               + 3 * (D * D + C * C) + 2 * (D ** 3 + C ** 3))
    assert ch.optimiser_flops(model, "KFAC", task="cnn") == sgd + every_step + every_u // u
    with pytest.raises(ValueError, match="needs task"):
        ch.optimiser_flops(model, "KFAC")
    assert ch.batch_rows("transformer") == 8 * ch.TASKS["transformer"]["batch"]


def test_kfac_preconditions_only_the_linear_layers():
    model = ch.make_task("transformer", 0)[0]
    assert sorted(ch.kfac_layers(model)) == ["3.1.W", "3.3.W", "5.W"]   # MLP and read-out
    assert ch.FACTORIES["KFAC"][0](model, 0.03).update_every == ch.KFAC_UPDATE_EVERY


def test_timing_file_has_every_optimiser_and_the_machine():
    results = json.loads((ROOT / "benchmarks/results/optimisers.json").read_text())
    assert {"machine", "date", "seconds_per_step"} <= set(results)
    for task in ch.TASKS:
        assert set(results["seconds_per_step"][task]) == set(ch.FACTORIES)
        assert all(v > 0 for v in results["seconds_per_step"][task].values())
