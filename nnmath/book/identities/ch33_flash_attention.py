r"""Registry entry of chapter 33: the gradient of the scores from the output and the log-sum-exp.

For ``O = softmax(S) V`` (rows of ``S`` are a query's scores), the softmax
backward pass of chapter 8 needs each full row of ``A = softmax(S)``. The
memory-efficient kernel keeps only ``O`` and ``L = log Σ_s e^{S_s}`` per row and
computes ``dS = A ⊙ (dO Vᵀ − D)`` with ``A = e^{S − L}`` recomputed and
``D = rowsum(dO ⊙ O)``. For numbers the compact formula is the library's
:func:`nnmath.flash.block_attention_grads` itself (with ``K = I``, so that
its ``dQ`` is ``dS`` up to the scale, and key blocks of 2), see
:func:`~nnmath.book.chapters.ch33_flash_attention.scores_grad_from_lse`; for
SymPy symbols the same steps are written with SymPy's ``exp`` and ``log``.
The engine route differentiates the softmax built from ``exp``, ``sum`` and a
division, times ``V`` as a broadcast multiply and a sum.

The proof for every size is in index notation, for symbolic ``T, n, d_v``:
the compact formula calls ``np.asarray``, so it runs through a twin,
:func:`scores_grad_from_lse_twin`, the same four steps (``L``, ``A = e^{S−L}``,
``D = rowsum(δ ⊙ O)`` with ``O`` the forward's output, ``A ⊙ (δVᵀ − D)``) on
arrays of symbolic size; ``tests/book/test_all_sizes.py`` checks it against the
library kernel on random numbers. The chapter's :func:`prove_row_term`
(``Σ_s A_s dA_s = Σ_j dO_j O_j``) is the step the proof's canonical form of
sums (reordering a finite double sum) carries out here on the entry's formula.
"""

from functools import lru_cache

import numpy as np

from ..allsizes import size_symbols
from ..allsizes_proofs import INDEX, prove_index_notation
from ..chapters.ch33_flash_attention import scores_grad_from_lse
from . import tensor_routes as tr
from .ch08_losses import softmax_any
from .core import IdentityEntry, kernel, register


def _ad():
    from ... import autodiff
    return autodiff


def attention_from_scores(S, V):
    """``softmax(S) V`` row by row, for numbers or SymPy symbols."""
    return softmax_any(S) @ V


def scores_grad_from_lse_twin(delta, out, S, V):
    """:func:`scores_grad_from_lse` on IndexArrays: ``L``, ``A = e^{S − L}``, ``D``, ``A ⊙ (δVᵀ − D)``."""
    lse = np.log(np.sum(np.exp(S), axis=-1, keepdims=True))
    A = np.exp(S - lse)
    D = np.sum(delta * out, axis=-1, keepdims=True)
    return A * (delta @ V.T - D)


_T, _n, _dv = size_symbols("T n d_v")


@lru_cache(maxsize=8)
def prove_scores_grad_all_sizes(compact):
    """Index notation: ``∂⟨δ, softmax(S) V⟩/∂S_{tc}`` against ``compact`` for all ``T, n, d_v``."""
    return prove_index_notation(
        attention_from_scores, {"S": (_T, _n), "V": (_n, _dv)}, "S", compact,
        statement="attention_grad_scores_from_lse: dS = A o (delta V^T - rowsum(delta o O)), "
                  "A = exp(S - logsumexp(S)), for all T, n, d_v")


def _sample(rng, T=4, n=6, dv=3):
    return {"S": rng.standard_normal((T, n)), "V": rng.standard_normal((n, dv))}


register(IdentityEntry(
    name="attention_grad_scores_from_lse",
    title="Attention: gradient of the scores from the output and the log-sum-exp",
    latex=(r"O = \operatorname{softmax}(S)\,V \;\Rightarrow\; \frac{\partial L}{\partial S} = "
           r"A \odot \bigl(\delta V^{\top} - D\,\mathbf{1}^{\top}\bigr),\ A = e^{S - L\mathbf{1}^{\top}},\ "
           r"D = \operatorname{rowsum}(\delta \odot O)"),
    shapes={"S": "(T, n)", "V": "(n, d_v)", "delta": "(T, d_v)", "L, D": "(T, 1)", "dL/dS": "(T, n)"},
    forward=attention_from_scores,
    wrt="S",
    compact=kernel(scores_grad_from_lse, O="out"),
    sample=_sample,
    symbolic_sizes=({"S": (1, 2), "V": (2, 1)}, {"S": (2, 3), "V": (3, 2)}),
    tensor_forward=lambda S, V: tr.matmul(_ad().softmax(S), V),
    notes=("L is each row's log-sum-exp; A, D and the result need only O, L and the "
           "current key block, never a stored row of A. Numbers run the library kernel "
           "block_attention_grads with K = I and key blocks of 2."),
    all_sizes_proof=prove_scores_grad_all_sizes, all_sizes_method=INDEX,
    all_sizes_twin=scores_grad_from_lse_twin,
))

__all__ = ["attention_from_scores", "prove_scores_grad_all_sizes", "scores_grad_from_lse_twin"]
