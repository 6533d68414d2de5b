"""Registry entries for embeddings and backpropagation through time (chapter 26).

The compact formulas are :func:`nnmath.sequence.embedding_grad_W` and
:func:`nnmath.sequence.rnn_grads`, the functions :class:`~nnmath.Embedding`
and :class:`~nnmath.RNN` call. The indices of an embedding are not variables:
the SymPy checks fix them (with repeated tokens, so that accumulation matters)
and make the table symbolic. The recurrent network's symbolic forward applies
SymPy's ``tanh`` step by step; its compact gradients never call ``tanh``, they
read the states from ``out``.
"""

import numpy as np

from ... import sequence as seq
from ..symbolic import prove_vjp, symbol_array
from .ch06_activations import tanh_any
from .core import IdentityEntry, register

# Fixed token sequences with repeats: token 0 twice in the first, 2 three times in the second.
SYMBOLIC_INDICES = (np.array([[0, 2, 0]]), np.array([[1, 2], [2, 2]]))


def _ad():
    from ...autodiff import sequence
    return sequence


def _sample_embedding(rng, V=5, D=3):
    idx = rng.integers(0, V, (4, 6))
    idx[:, 0] = idx[:, 1]          # at least one repeated token in every row
    return {"W": rng.standard_normal((V, D)), "idx": idx}


def _embedding_compact(delta, out, W, idx):
    return seq.embedding_grad_W(delta, np.asarray(idx).astype(int), W.shape[0])


def _prove_embedding(compact=_embedding_compact):
    results = []
    for idx in SYMBOLIC_INDICES:
        V = int(idx.max()) + 2                    # one row that no token uses
        W = symbol_array("W", (V, 2), real=True)
        results.append(prove_vjp(lambda W, idx: seq.embedding_forward(W, idx),
                                 {"W": W, "idx": idx}, "W", compact,
                                 statement=f"dL/dW = E^T delta for indices {idx.tolist()}, "
                                           f"W of shape {W.shape}"))
    return results


register(IdentityEntry(
    name="embedding_grad_W",
    title="Embedding lookup: gradient with respect to the table",
    latex=(r"Y = E W \;(Y_{p,:} = W_{i_p,:}) \;\Rightarrow\; \frac{\partial L}{\partial W}"
           r" = E^{\top} \delta, \quad \frac{\partial L}{\partial W_{v,:}}"
           r" = \sum_{p:\, i_p = v} \delta_{p,:}"),
    shapes={"idx": "(N, T) int", "E": "(N T, V) one-hot", "W": "(V, D)",
            "delta": "(N, T, D)", "dL/dW": "(V, D)"},
    forward=lambda W, idx: seq.embedding_forward(W, np.asarray(idx).astype(int)),
    wrt="W",
    compact=_embedding_compact,
    sample=_sample_embedding,
    proof=_prove_embedding,
    tensor_forward=lambda W, idx: _ad().embedding(W, idx),
    notes="A scatter-add: repeated tokens accumulate. The engine route is the product with "
          "the one-hot matrix; the SymPy checks fix indices with repeats.",
))


# -- recurrent network -----------------------------------------------------------------

def sym_rnn(X, Wx, Wh, b, h0):
    """:func:`nnmath.sequence.rnn_forward` on object arrays, with SymPy's ``tanh``."""
    states, h = [], h0
    for t in range(X.shape[1]):
        h = tanh_any(X[:, t] @ Wx + h @ Wh + b)
        states.append(h)
    return np.stack(states, axis=1)


def _sample_rnn(rng, N=3, T=5, I=2, H=3):
    return {"X": rng.standard_normal((N, T, I)), "Wx": rng.standard_normal((I, H)),
            "Wh": rng.standard_normal((H, H)) * 0.8, "b": rng.standard_normal(H) * 0.5,
            "h0": rng.standard_normal((N, H)) * 0.5}


def _rnn_forward(X, Wx, Wh, b, h0):
    return seq.rnn_forward(X, Wx, Wh, b, h0)


RNN_OUTPUTS = {"X": 0, "Wx": 1, "Wh": 2, "b": 3, "h0": 4}


def rnn_compact(wrt):
    """The ``wrt`` component of :func:`nnmath.sequence.rnn_grads`, as a registry compact."""
    def compact(delta, out, X, Wx, Wh, b, h0):
        return seq.rnn_grads(delta, X, out, h0, Wx, Wh)[RNN_OUTPUTS[wrt]]
    return compact


def _rnn_tensor_forward(X, Wx, Wh, b, h0):
    return _ad().rnn(X, Wx, Wh, b, h0)


RNN_SIZES = (  # three steps; a 2×2 recurrence (Wh against Whᵀ); a batch of two
    {"X": (1, 3, 1), "Wx": (1, 1), "Wh": (1, 1), "b": (1,), "h0": (1, 1)},
    {"X": (1, 2, 1), "Wx": (1, 2), "Wh": (2, 2), "b": (2,), "h0": (1, 2)},
    {"X": (2, 2, 1), "Wx": (1, 1), "Wh": (1, 1), "b": (1,), "h0": (2, 1)},
)

RNN_LATEX = {
    "Wh": r"\frac{\partial L}{\partial W_h} = \sum_{t=1}^{T} \vb{h}_{t-1}^{\top} \vb{\delta}_t",
    "Wx": r"\frac{\partial L}{\partial W_x} = \sum_{t=1}^{T} \vb{x}_{t}^{\top} \vb{\delta}_t",
    "b": r"\frac{\partial L}{\partial \vb{b}} = \sum_{t=1}^{T} \vb{\delta}_t",
    "X": r"\frac{\partial L}{\partial \vb{x}_t} = \vb{\delta}_t W_x^{\top}",
    "h0": r"\frac{\partial L}{\partial \vb{h}_0} = \vb{\delta}_1 W_h^{\top}",
}
RNN_TITLES = {"Wh": "the recurrent weights", "Wx": "the input weights", "b": "the bias",
              "X": "the inputs", "h0": "the initial state"}
DELTA_RECURSION = (r"\vb{\delta}_t = \bigl(\bar{\vb{g}}_t + \vb{\delta}_{t+1} W_h^{\top}\bigr)"
                   r" \odot (1 - \vb{h}_t \odot \vb{h}_t),\; \vb{\delta}_{T+1} = 0")

for _wrt in ("Wh", "Wx", "b", "X", "h0"):
    register(IdentityEntry(
        name=f"rnn_grad_{_wrt}",
        title=f"Backpropagation through time: gradient with respect to {RNN_TITLES[_wrt]}",
        latex=(r"\vb{h}_t = \tanh(\vb{x}_t W_x + \vb{h}_{t-1} W_h + \vb{b}) \;\Rightarrow\; "
               + DELTA_RECURSION + r",\; " + RNN_LATEX[_wrt]),
        shapes={"X": "(N, T, I)", "Wx": "(I, H)", "Wh": "(H, H)", "b": "(H,)", "h0": "(N, H)",
                "delta": "(N, T, H)", f"dL/d{_wrt}": {"X": "(N, T, I)", "Wx": "(I, H)",
                                                       "Wh": "(H, H)", "b": "(H,)",
                                                       "h0": "(N, H)"}[_wrt]},
        forward=_rnn_forward,
        wrt=_wrt,
        compact=rnn_compact(_wrt),
        sample=_sample_rnn,
        symbolic_sizes=RNN_SIZES,
        symbolic_forward=sym_rnn,
        tensor_forward=_rnn_tensor_forward,
        notes="Row convention, a batch of N sequences; the upstream gradient of h_t is the "
              "loss's own (zero where the loss does not read h_t).",
    ))
