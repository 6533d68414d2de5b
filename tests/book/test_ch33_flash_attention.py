"""Chapter 33: the online-softmax proofs, the scores' gradient from the log-sum-exp, memory and FLOP counts."""

import numpy as np
import sympy as sp

from nnmath.activations import softmax, softmax_grad_Z
from nnmath.book.chapters import ch33_flash_attention as ch33
from nnmath.book.identities import REGISTRY


def test_the_proofs_hold():
    assert all(r.holds for r in ch33.prove_online_merge())
    assert ch33.prove_row_term().holds


def test_the_entry_passes_and_rejects_a_backward_without_the_row_term():
    entry = REGISTRY["attention_grad_scores_from_lse"]
    rng = np.random.default_rng(0)
    assert all(entry.prove()) and entry.check_numeric(rng).passed and entry.check_autodiff(rng).passed

    def without_D(delta, out, S, V):          # A ⊙ dA: the row term forgotten
        S = np.asarray(S)
        if S.dtype == object:
            exp = np.vectorize(sp.exp, otypes=[object])
            return exp(S) / exp(S).sum(axis=-1, keepdims=True) * (delta @ V.T)
        return softmax(S) * (delta @ V.T)

    rng = np.random.default_rng(1)
    assert not all(entry.prove(without_D))
    assert not entry.check_numeric(rng, compact=without_D).passed
    assert not entry.check_autodiff(rng, compact=without_D).passed


def test_the_library_path_and_the_symbolic_path_compute_the_same_formula():
    rng = np.random.default_rng(2)
    S, V, dO = rng.standard_normal((3, 5)), rng.standard_normal((5, 2)), rng.standard_normal((3, 2))
    A = softmax(S)
    O = A @ V
    library = ch33.scores_grad_from_lse(dO, O, S, V)
    symbolic = ch33.scores_grad_from_lse(*(np.vectorize(sp.Float, otypes=[object])(a) for a in (dO, O, S, V)))
    np.testing.assert_allclose(library, np.asarray(symbolic, dtype=float), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(library, softmax_grad_Z(dO @ V.T, A), rtol=1e-12, atol=1e-14)


def test_memory_grows_like_T_squared_for_the_full_path_and_like_T_for_the_blocks():
    table = ch33.memory_table((256, 512, 1024))
    assert table[1024]["full backward"] > 3.5 * table[512]["full backward"]
    assert table[1024]["block backward"] < 2.2 * table[512]["block backward"]
    assert table[1024]["block backward"] < table[1024]["full backward"] / 5
    assert table[1024]["block forward"] < table[1024]["full forward"] / 10
    # the full path holds at least the T × T weights in float64
    assert table[1024]["full forward"] > 1024 * 1024 * 8


def test_flop_counts():
    full = ch33.matmul_flops(512, 32)
    block = ch33.matmul_flops(512, 32, block_size=64)
    nocausal = ch33.matmul_flops(512, 32, block_size=64, causal=False)
    assert full["forward scores"] == 2 * 512 * 512 * 32 and full["backward scores"] == 0
    assert nocausal["forward"] == full["forward"]
    assert nocausal["backward"] == full["backward"] + full["forward scores"]
    assert block["backward scores"] == block["forward scores"]
    assert block["forward scores"] == 2 * 32 * 64 * sum(512 - k0 for k0 in range(0, 512, 64))
