"""Every check of the sequence identities (chapters 26–28) rejects a wrong formula.

One table: for each registry entry, a plausible wrong compact formula (an
embedding gradient assigned instead of added, BPTT truncated to one step,
attention without 1/√d in the backward only, a forgotten path). Each of the
three routes (SymPy at fixed sizes, finite differences, the engine) must fail
on it, while passing on the right one (tests/book/test_identities.py).
"""

import dataclasses

import numpy as np
import pytest

from nnmath import attention as att
from nnmath.book.identities import REGISTRY
from nnmath.book.identities import ch26_embeddings_rnn as ch26
from nnmath.book.identities import ch27_attention as ch27
from nnmath.book.identities import ch28_transformer as ch28


# -- wrong formulas -------------------------------------------------------------------

def embedding_assigned(delta, out, W, idx):
    """``dW[idx] = δ``: a repeated token keeps only its last gradient."""
    idx = np.asarray(idx).astype(int).reshape(-1)
    dW = np.zeros((W.shape[0], delta.shape[-1]), dtype=delta.dtype)
    dW[idx] = delta.reshape(-1, delta.shape[-1])
    return dW


def rnn_truncated(wrt):
    """BPTT truncated to one step: ``δ_t = dH_t ⊙ (1 − h_t²)``, nothing from ``t + 1``."""
    def compact(delta, out, X, Wx, Wh, b, h0):
        N, T, H = delta.shape
        d = delta * (1 - out * out)
        H_prev = np.concatenate([h0[:, None, :], out[:, :-1]], axis=1)
        flat = d.reshape(N * T, H)
        return {"Wh": lambda: H_prev.reshape(N * T, H).T @ flat,
                "Wx": lambda: X.reshape(N * T, -1).T @ flat,
                "b": lambda: flat.sum(axis=0),
                "X": lambda: (flat @ Wx.T).reshape(X.shape),
                "h0": lambda: d[:, 0] @ Wh.T}[wrt]()
    return compact


def attention_unscaled(wrt, causal):
    """The right forward, but the backward forgets the factor ``1/√d``."""
    right = ch27.attention_compact(wrt, causal)
    return lambda delta, out, Q, K, V: right(delta, out, Q, K, V) * Q.shape[-1] ** 0.5


def attention_V_untransposed(causal):
    """``dV = A δ`` instead of ``Aᵀ δ``."""
    def compact(delta, out, Q, K, V):
        _, A = ch27.attention_any(Q, K, V, ch27._mask(causal, Q.shape[-2]))
        return A @ delta
    return compact


def self_attention_wrong(wrt):
    """A forgotten path (dX only through Q) or a swapped factor."""
    def compact(delta, out, X, Wq, Wk, Wv, Wo):
        _, (Q, K, V, A, C) = ch27.self_attention_any(X, Wq, Wk, Wv, Wo)
        dX, dWq, dWk, dWv, dWo = att.self_attention_grads(delta, X, Q, K, V, A, C,
                                                             Wq, Wk, Wv, Wo)
        N, T, D = X.shape
        X2 = X.reshape(N * T, D)
        return {"X": lambda: _only_query_path(delta, X, Q, K, V, A, Wq, Wo),
                "Wq": lambda: dWk, "Wk": lambda: dWq, "Wv": lambda: dWq,
                "Wo": lambda: X2.T @ delta.reshape(N * T, D)}[wrt]()
    return compact


def _only_query_path(delta, X, Q, K, V, A, Wq, Wo):
    N, T, D = X.shape
    dC = att.split_heads((delta.reshape(N * T, D) @ Wo.T).reshape(N, T, D), Q.shape[1])
    dQ, _, _ = att.attention_grads(dC, Q, K, V, A)
    return (att.merge_heads(dQ).reshape(N * T, D) @ Wq.T).reshape(N, T, D)


def positional_first_sequence_only(delta, out, X, P):
    """Forgets that P is shared by the batch: the gradient of the first sequence only."""
    dP = np.zeros(P.shape, dtype=delta.dtype)
    dP[:delta.shape[1]] = delta[0]
    return dP


def cross_entropy_mean_over_sequences(delta, out, Z, T):
    """Divides by N instead of N·T: the mean over sequences, not over positions."""
    return ch28._sequence_ce_compact(delta, out, Z, T) * Z.shape[1]


WRONG = {"embedding_grad_W": embedding_assigned,
         "positional_grad_P": positional_first_sequence_only,
         "sequence_cross_entropy_grad_Z": cross_entropy_mean_over_sequences}
WRONG.update({f"rnn_grad_{w}": rnn_truncated(w) for w in ("Wh", "Wx", "b", "X", "h0")})
for _causal, _prefix in ((False, "attention"), (True, "causal_attention")):
    WRONG[f"{_prefix}_grad_Q"] = attention_unscaled("Q", _causal)
    WRONG[f"{_prefix}_grad_K"] = attention_unscaled("K", _causal)
    WRONG[f"{_prefix}_grad_V"] = attention_V_untransposed(_causal)
WRONG.update({f"self_attention_grad_{w}": self_attention_wrong(w)
              for w in ("X", "Wq", "Wk", "Wv", "Wo")})

SEQUENCE_CHAPTERS = ("derivations/26_embeddings_rnn", "derivations/27_attention",
                     "derivations/28_transformer")


def test_every_sequence_identity_has_a_wrong_formula():
    names = {n for n, e in REGISTRY.items() if e.chapter in SEQUENCE_CHAPTERS}
    assert names == set(WRONG)


@pytest.mark.parametrize("name", sorted(WRONG))
def test_sympy_check_rejects_the_wrong_formula(name):
    entry = REGISTRY[name]
    results = entry.prove(compact=WRONG[name])
    assert results and not all(results), f"{name}: the SymPy check accepted a wrong formula"


@pytest.mark.parametrize("name", sorted(WRONG))
def test_finite_differences_reject_the_wrong_formula(name):
    wrong = dataclasses.replace(REGISTRY[name], compact=WRONG[name])
    assert not wrong.check_numeric(np.random.default_rng(0)).passed


@pytest.mark.parametrize("name", sorted(WRONG))
def test_engine_rejects_the_wrong_formula(name):
    wrong = dataclasses.replace(REGISTRY[name], compact=WRONG[name])
    assert not wrong.check_autodiff(np.random.default_rng(0)).passed


def test_embedding_samples_and_symbolic_indices_repeat_tokens():
    idx = ch26._sample_embedding(np.random.default_rng(0))["idx"]
    assert all(len(set(row)) < len(row) for row in idx)
    assert all(len(np.unique(i)) < i.size for i in ch26.SYMBOLIC_INDICES)
