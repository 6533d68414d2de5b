"""Every registered identity, checked by every route it supports.

Adding an entry to the registry adds it to these tests; nothing here restates
a formula. That each route can also fail is tested in ``test_wrong_formulas.py``.
"""

from pathlib import Path

import numpy as np
import pytest

from nnmath.book.identities import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
NAMES = list(REGISTRY)


@pytest.mark.parametrize("name", NAMES)
def test_compact_formula_matches_finite_differences(name):
    identity = REGISTRY[name]
    for seed in range(3):
        check = identity.check_numeric(np.random.default_rng(seed))
        assert check.passed, f"{name}: relative error {check.rel_error:.2e} > {check.rtol}"


@pytest.mark.parametrize("name", NAMES)
def test_compact_formula_passes_the_sympy_check_at_fixed_sizes(name):
    checks = REGISTRY[name].prove()
    assert checks, f"{name} has no SymPy check"
    for check in checks:
        assert check.holds, f"{name}: SymPy check failed: {check.statement}"


@pytest.mark.parametrize("name", [n for n in NAMES if REGISTRY[n].all_sizes_proof is not None])
def test_collapse_holds_for_symbolic_sizes(name):
    entry = REGISTRY[name]
    proof = entry.prove_all_sizes()
    assert proof.holds, proof.statement
    # the method the entry names is the one the proof used (tests/book/test_all_sizes.py)
    assert proof.details.get("method", "index notation") == entry.all_sizes_method


@pytest.mark.parametrize("name", NAMES)
def test_chapter_of_each_identity_exists(name):
    chapter = REGISTRY[name].chapter
    candidates = [ROOT / f"{chapter}.ipynb", ROOT / f"{chapter}.md"]
    assert any(p.exists() for p in candidates), f"{name}: no chapter file for {chapter!r}"
