r"""Multi-head causal self-attention for every size: the heads split as column ``h·d_h + j``.

``nnmath.attention.split_heads`` and ``merge_heads`` reshape, which arrays of
symbolic size cannot; the twins say what the reshapes mean index by index:

* split: ``Q[n, h, t, j] = (X W_q)[n, t, h·d_h + j]``;
* merge: ``C[n, t, e] = Σ_h Σ_j [e = h·d_h + j] Y_h[n, h, t, j]`` (column ``e`` is
  the ``j``-th of head ``h``; ``0 ≤ j < d_h`` makes the pair unique).

The proof takes ``N``, ``T``, the number of heads ``H`` and the head width ``d_h``
symbolic (``D = H·d_h``), the causal mask as the bracket ``[s ≤ t]``, and runs the
twin of :func:`~nnmath.attention.self_attention_grads` (which calls the
library's own ``attention_grads`` per head, as the layer does) against the
derivative of the twin of the forward (``W_o`` and ``W_v``; see the note at the end
for ``W_q``, ``W_k`` and ``X``). On numbers the twins use the entries'
``HEADS = 2``; ``tests/book/test_all_sizes.py`` shows they equal the library's functions.
"""

import numpy as np
import sympy as sp

from ... import attention as att
from ..allsizes import IndexArray, fresh_index, leaf, size_symbols
from ..allsizes_proofs import INDEX, prove_index_notation
from .all_sizes import attach
from .ch27_attention import HEADS, attention_any

__all__ = ["split_twin", "merge_twin", "self_attention_forward_twin", "self_attention_twin"]


def _heads(X):
    """The number of heads: the proof's symbol ``X.heads``, else the entries' ``HEADS``."""
    return getattr(X, "heads", HEADS)


def split_twin(Z, H):
    """``split_heads``: ``(N, T, H·d_h)`` to ``(N, H, T, d_h)``, entry ``Z[n, t, h·d_h + j]``."""
    N, T, D = Z.shape
    dh = D // H
    return IndexArray((N, H, T, dh), lambda q: Z.at((q[0], q[2], q[1] * dh + q[3])))


def merge_twin(Z):
    """``merge_heads``: entry ``(n, t, e)`` is ``Σ_h Σ_j [e = h·d_h + j] Z[n, h, t, j]``."""
    N, H, T, dh = Z.shape

    def entry(q):
        h, j = fresh_index("h"), fresh_index("j")
        body = sp.KroneckerDelta(q[2], h * dh + j) * Z.at((q[0], h, q[1], j))
        return sp.Sum(sp.Sum(body, (j, 0, dh - 1)), (h, 0, H - 1))
    return IndexArray((N, T, H * dh), entry)


def _causal(T):
    return IndexArray((T, T), lambda i: sp.Le(i[1], i[0]))


def _heads_forward(X, Wq, Wk, Wv):
    H = _heads(X)
    Q, K, V = (split_twin(X @ W, H) for W in (Wq, Wk, Wv))
    Yh, A = attention_any(Q, K, V, _causal(X.shape[1]))
    return Q, K, V, A, merge_twin(Yh)


def self_attention_forward_twin(X, Wq, Wk, Wv, Wo):
    """``merge(attn(split(X W_q), split(X W_k), split(X W_v))) W_o``, causal."""
    return _heads_forward(X, Wq, Wk, Wv)[-1] @ Wo


def self_attention_twin(wrt, backward=att.attention_grads):
    """The ``wrt`` gradient of ``self_attention_grads`` with the split and merge twins."""
    def twin(delta, out, X, Wq, Wk, Wv, Wo):
        Q, K, V, A, C = _heads_forward(X, Wq, Wk, Wv)
        if wrt == "Wo":
            return np.einsum("ntd,nte->de", C, delta)
        dC = split_twin(delta @ Wo.T, _heads(X))
        dQ, dK, dV = (merge_twin(g) for g in backward(dC, Q, K, V, A))
        if wrt == "X":
            return dQ @ Wq.T + dK @ Wk.T + dV @ Wv.T
        return np.einsum("ntd,nte->de", X, {"Wq": dQ, "Wk": dK, "Wv": dV}[wrt])
    return twin


_N, _T, _H, _dh = size_symbols("N T H d_h")


def _prove(name, wrt):
    def proof(compact):
        D = _H * _dh
        X = leaf("X", (_N, _T, D))
        X.heads = _H
        shapes = {"X": (_N, _T, D), **{w: (D, D) for w in ("Wq", "Wk", "Wv", "Wo")}}
        return prove_index_notation(
            self_attention_forward_twin, shapes, wrt, compact, leaves={"X": X},
            statement=f"{name}: for all N, T, heads H and head widths d_h (D = H d_h), causal, "
                      "head h taking columns h d_h ... (h + 1) d_h - 1")
    return proof


# dWq, dWk and dX are not attached: their derivative sums a column k over all of 0 .. H d_h - 1
# with the bracket [h d_h <= k < (h + 1) d_h], the twin over j in 0 .. d_h - 1 at k = h d_h + j;
# decide() does not yet shift such a bracketed sum, so it cannot see that the two are equal.
for _wrt in ("Wo", "Wv"):
    attach(f"self_attention_grad_{_wrt}", INDEX, _prove(f"self_attention_grad_{_wrt}", _wrt),
           twin=self_attention_twin(_wrt), forward_twin=self_attention_forward_twin)
