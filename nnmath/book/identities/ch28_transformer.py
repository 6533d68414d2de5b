"""Registry entries for the transformer chapter (chapter 28): learned positions and the
cross-entropy over every position of a batch of sequences.

The compact formulas are :func:`nnmath.sequence.positional_grad_P` (which
:class:`~nnmath.PositionalEmbedding` calls) and
:func:`nnmath.losses.cross_entropy_grad_from_probs` on the ``N·T`` rows, as
:class:`~nnmath.SoftmaxCrossEntropy` computes it for ``(N, T, C)`` logits.
"""

import numpy as np

from ... import losses as los
from ... import sequence as seq
from ..symbolic import prove_vjp, symbol_array
from .ch06_activations import sym_log
from .ch08_losses import softmax_any, sym_softmax
from .core import IdentityEntry, register


def _ad():
    from ... import autodiff
    return autodiff


def _sample_positional(rng, N=3, T=4, D=2, max_len=6):
    return {"X": rng.standard_normal((N, T, D)), "P": rng.standard_normal((max_len, D))}


def _positional_forward(X, P):
    return X + P[None, :X.shape[1]]


def _positional_tensor_forward(X, P):
    # N explicit copies of the used rows of P: the engine sums the copies' gradients itself
    T = X.shape[1]
    return X + _ad().stack([P[:T]] * X.shape[0], axis=0)


register(IdentityEntry(
    name="positional_grad_P",
    title="Learned positions: gradient with respect to the position table",
    latex=(r"Y_{n,t,:} = X_{n,t,:} + P_{t,:} \;\Rightarrow\; \frac{\partial L}{\partial P_{t,:}}"
           r" = \sum_{n=1}^{N} \delta_{n,t,:}\; (t < T), \quad 0 \;(t \ge T)"),
    shapes={"X": "(N, T, D)", "P": "(max_len, D)", "delta": "(N, T, D)",
            "dL/dP": "(max_len, D)"},
    forward=_positional_forward,
    wrt="P",
    compact=lambda delta, out, X, P: seq.positional_grad_P(delta, P.shape[0]),
    sample=_sample_positional,
    symbolic_sizes=({"X": (2, 2, 1), "P": (3, 1)}, {"X": (3, 1, 2), "P": (2, 2)}),
    tensor_forward=_positional_tensor_forward,
    notes="Rows of P beyond the sequence length get zero gradient.",
))


def sym_sequence_cross_entropy(Z, T):
    """Mean over all N·T positions of ``−Σ_c T log softmax(Z)``, on SymPy symbols."""
    return -np.sum(T * sym_log(sym_softmax(Z))) / (Z.shape[0] * Z.shape[1])


def _sequence_ce_forward(Z, T):
    C = Z.shape[-1]
    return los.softmax_cross_entropy(Z.reshape(-1, C), T.reshape(-1, C))


def _sequence_ce_compact(delta, out, Z, T):
    C = Z.shape[-1]
    P = softmax_any(Z.reshape(-1, C))
    return delta * los.cross_entropy_grad_from_probs(P, T.reshape(-1, C)).reshape(Z.shape)


def prove_sequence_ce(compact=_sequence_ce_compact, sizes=((1, 2, 2), (2, 1, 2))):
    """SymPy check with target rows summing to 1 (the last entry is 1 − the others)."""
    results = []
    for N, T, C in sizes:
        Z = symbol_array("Z", (N, T, C), real=True)
        Tg = symbol_array("T", (N, T, C), real=True)
        Tg[..., -1] = 1 - Tg[..., :-1].sum(axis=-1)
        results.append(prove_vjp(sym_sequence_cross_entropy, {"Z": Z, "T": Tg}, "Z", compact,
                                 statement=f"dL/dZ = (softmax(Z) - T)/(N T) for N={N}, "
                                           f"T={T}, C={C}"))
    return results


def _sample_sequence_ce(rng, N=3, T=4, C=5):
    return {"Z": rng.standard_normal((N, T, C)),
            "T": np.eye(C)[rng.integers(0, C, (N, T))]}


register(IdentityEntry(
    name="sequence_cross_entropy_grad_Z",
    title="Cross-entropy over every position: gradient with respect to the logits",
    latex=(r"L = -\frac{1}{NT} \sum_{n,t,c} T_{ntc} \log \operatorname{softmax}(Z_{n,t,:})_c"
           r" \;\Rightarrow\; \frac{\partial L}{\partial Z} = \frac{1}{NT}"
           r"\bigl(\operatorname{softmax}(Z) - T\bigr)"),
    shapes={"Z": "(N, T, C)", "T": "(N, T, C) one-hot", "delta": "()", "dL/dZ": "(N, T, C)"},
    forward=_sequence_ce_forward,
    wrt="Z",
    compact=_sequence_ce_compact,
    sample=_sample_sequence_ce,
    proof=prove_sequence_ce,
    tensor_forward=lambda Z, T: _ad().softmax_cross_entropy_loss(
        Z.reshape(-1, Z.shape[-1]), T.reshape(-1, T.shape[-1])),
    notes="The mean runs over all N·T positions, so every gradient carries 1/(N T).",
))
