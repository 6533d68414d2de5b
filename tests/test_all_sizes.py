"""Proofs for every size: how many entries carry one, which method, and that twins are faithful.

That each proof holds for the entry's own formula is in ``test_identities.py``;
that each rejects wrong formulas is in ``test_wrong_formulas.py``.
"""

import numpy as np
import pytest
import sympy as sp

from nnmath.book.allsizes import size_symbols
from nnmath.book.allsizes_proofs import INDEX, MATRIX, prove_matrix_calculus
from nnmath.book.identities import REGISTRY
from nnmath.book.identities.all_sizes import NOT_PROVEN

PROVEN = [n for n, e in REGISTRY.items() if "all_sizes_proof" in e.extra]
TWINS = [n for n, e in REGISTRY.items() if "all_sizes_twin" in e.extra]

# Issue 23 asks for 80 %; this is the share reached so far, and it may only grow.
FLOOR = 0.60


def test_share_of_entries_with_a_proof_for_every_size():
    share = len(PROVEN) / len(REGISTRY)
    assert share >= FLOOR, f"{len(PROVEN)} of {len(REGISTRY)} entries proven for every size"


def test_every_entry_has_a_proof_or_says_why_not():
    assert set(PROVEN) | set(NOT_PROVEN) == set(REGISTRY)
    assert not set(PROVEN) & set(NOT_PROVEN)
    assert all(reason.strip() for reason in NOT_PROVEN.values())


@pytest.mark.parametrize("name", PROVEN)
def test_every_proof_names_its_method(name):
    entry = REGISTRY[name]
    assert entry.all_sizes_method in (INDEX, MATRIX)
    assert entry.proof_status.startswith("proof for every size")
    proof = entry.prove_all_sizes()
    assert proof.details.get("method", INDEX) == entry.all_sizes_method


@pytest.mark.parametrize("name", TWINS)
def test_twin_equals_the_compact_formula_on_random_numbers(name):
    entry = REGISTRY[name]
    twin = entry.extra["all_sizes_twin"]
    for seed in range(3):
        rng = np.random.default_rng(seed)
        inputs = entry.sample(rng)
        out = entry.forward(**inputs)
        delta = rng.standard_normal(np.shape(out))
        np.testing.assert_allclose(np.asarray(twin(delta, out, **inputs), dtype=float),
                                   entry.compact(delta, out, **inputs), rtol=1e-12, atol=1e-12)


def test_matrix_calculus_says_it_cannot_differentiate_log_det():
    n = size_symbols("n")
    result = prove_matrix_calculus(lambda X: sp.log(sp.Determinant(X)), {"X": (n, n)}, "X",
                                   lambda delta, out, X: delta * X.inverse().T,
                                   statement="log det")
    assert not result.holds and "cannot" in result.details["reason"]


def test_unproven_entries_show_their_fixed_sizes():
    assert REGISTRY["rnn_grad_Wh"].proof_status.startswith("checked at sizes")
