r"""Registry entries for chapter 34 (a GPT that writes): the gradient of a tied matrix.

With tied weights a GPT uses its token table ``E (V, D)`` twice: as the lookup
``Y = E[idx]`` at the bottom and as the output projection ``Z = X Eᵀ`` at the
top. The entry stacks both uses into one map of ``E``, ``out = [Y, Z]`` along the
last axis, so the upstream gradient splits as ``δ = [δ_Y, δ_Z]`` and the claim is

    ∂L/∂E = scatter-add of δ_Y over idx  +  δ_Zᵀ X,

the sum of the two gradients each use would give alone. The compact formula is
the library's two rules, :func:`nnmath.sequence.embedding_grad_W` and
:func:`nnmath.matmul.matmul_grad_W`, added, which is what
:meth:`nnmath.GPT.backward` does. :func:`prove_tied_grad_all_sizes` proves the
sum in index notation for symbolic sizes, with the lookup written as ``S E``
for any matrix ``S`` (the one-hot matrix of the indices is one); since its
inputs are matrix symbols rather than integer indices, it takes the two parts
of the formula separately. The entry's ``all_sizes_proof``,
:func:`prove_tied_entry_all_sizes`, is index notation on the entry's own
inputs, as the Embedding entry ``embedding_grad_W`` does it: ``idx`` an
array of symbolic integers of symbolic shape ``(N, T)``, ``E (V, D)`` and
``X (N, T, D)`` of symbolic sizes. The forward and the formula use
``np.asarray``, ``np.concatenate`` and ``reshape``, so they run as twins
(:func:`tied_forward_twin`: ``E[idx]`` a gather, the stacking
:func:`nnmath.book.allsizes.concatenate`; :func:`tied_grad_E_twin`: the
scatter-add as the product with the one-hot array ``[idx[n, t] = v]``, plus
``Σ_{n,t} δ_Z[n, t, v] X[n, t, :]``), which ``tests/book/test_all_sizes.py`` checks
against :func:`tied_forward` and :func:`tied_grad_E` on random numbers.
"""

from functools import lru_cache

import numpy as np
import sympy as sp

from ... import matmul as mm
from ... import sequence as seq
from .. import allsizes as ia
from ..allsizes import IndexArray, size_symbols
from ..allsizes_proofs import INDEX, prove_index_notation
from ..symbolic import ProofResult, canonical_indices, prove_vjp, symbol_array
from .core import IdentityEntry, register

# Fixed token sequences with repeats, and a vocabulary with a row no token uses.
SYMBOLIC_CASES = ((np.array([[0, 2, 0]]), 4, 2), (np.array([[1, 1], [0, 1]]), 3, 2))


def _ad():
    from ...autodiff import sequence
    return sequence


def tied_forward(E, idx, X):
    """Both uses of ``E (V, D)``, stacked: ``[E[idx], X Eᵀ]`` of shape ``idx.shape + (D + V,)``."""
    idx = np.asarray(idx).astype(int)
    return np.concatenate([seq.embedding_forward(E, idx), X @ E.T], axis=-1)


def tied_grad_E(delta, out, E, idx, X):
    """``∂L/∂E``: the lookup's scatter-add of ``δ_Y`` plus the projection's ``δ_Zᵀ X``."""
    V, D = E.shape
    idx = np.asarray(idx).astype(int)
    dY, dZ = delta[..., :D], delta[..., D:]
    return (seq.embedding_grad_W(dY, idx, V)
            + mm.matmul_grad_W(dZ.reshape(-1, V), X.reshape(-1, D)).T)


def _tied_tensor_forward(E, idx, X):
    # the engine's own route: a one-hot product for the lookup, @ for the logits, and the
    # stacking as products with constant selection matrices; E's two gradients add by the
    # engine's fan-out rule, not by the formula under test
    ad = _ad()
    V, D = E.shape
    first = np.eye(D, D + V)                 # (D, D+V): [I, 0]
    second = np.eye(V, D + V, k=D)           # (V, D+V): [0, I]
    idx = np.asarray(idx.data if hasattr(idx, "data") else idx).astype(int)
    return ad.linear(ad.embedding(E, idx), first) + ad.linear(ad.linear(X, E.T), second)


def _sample_tied(rng, N=3, T=4, V=6, D=3):
    idx = rng.integers(0, V, (N, T))
    idx[:, 0] = idx[:, 1]                    # a repeated token in every row
    return {"E": rng.standard_normal((V, D)), "idx": idx,
            "X": rng.standard_normal((N, T, D))}


def _prove_tied(compact=tied_grad_E):
    results = []
    for idx, V, D in SYMBOLIC_CASES:
        E = symbol_array("E", (V, D), real=True)
        X = symbol_array("X", idx.shape + (D,), real=True)
        results.append(prove_vjp(tied_forward, {"E": E, "idx": idx, "X": X}, "E", compact,
                                 statement=f"dL/dE = scatter(delta_Y) + delta_Z^T X for "
                                           f"indices {idx.tolist()}, E of shape {E.shape}"))
    return results


def _sum_of_terms(expr):
    """Split an expression into its added sums, each with its dummy indices renamed alike."""
    return sp.Add(*(canonical_indices(t) for t in sp.Add.make_args(sp.expand(expr, deep=True))))


def prove_tied_grad_all_sizes(grad_lookup=None, grad_head=None):
    r"""Prove ``∂L/∂E = Sᵀδ_Y + δ_Zᵀ X`` for ``[S E, X Eᵀ]`` at symbolic sizes ``M, V, D``.

    ``S (M, V)``, ``E (V, D)``, ``X (M, D)``, ``δ_Y (M, D)``, ``δ_Z (M, V)`` are
    SymPy matrix symbols; ``L = Σ_pj δ_Y,pj (SE)_pj + Σ_pv δ_Z,pv (XEᵀ)_pv`` is
    differentiated by the entry ``E_cd`` and the ``KroneckerDelta`` factors are
    summed away. The lookup ``E[idx]`` is ``S E`` with ``S`` the one-hot matrix
    of the indices (chapter 26), so the statement covers every index sequence.

    Parameters
    ----------
    grad_lookup : callable, optional
        ``grad_lookup(S, dY)``, the lookup's part; by default
        :func:`nnmath.matmul.matmul_grad_W`, i.e. ``Sᵀ δ_Y``.
    grad_head : callable, optional
        ``grad_head(X, dZ)``, the projection's part; by default
        ``matmul_grad_W(dZ, X)ᵀ = δ_Zᵀ X``. A test hands wrong ones (one use only).

    Returns
    -------
    ProofResult
        ``details`` holds ``"loss"``, ``"raw"`` (``∂L/∂E_cd`` before summing) and
        ``"collapsed"``.
    """
    M, V, D = sp.symbols("M V D", integer=True, positive=True)
    p, j, v, k, c, d = sp.symbols("p j v k c d", integer=True, nonnegative=True)
    S, E, X = sp.MatrixSymbol("S", M, V), sp.MatrixSymbol("E", V, D), sp.MatrixSymbol("X", M, D)
    dY, dZ = sp.MatrixSymbol("delta_Y", M, D), sp.MatrixSymbol("delta_Z", M, V)
    grad_lookup = (lambda S_, dY_: mm.matmul_grad_W(dY_, S_)) if grad_lookup is None else grad_lookup
    grad_head = (lambda X_, dZ_: mm.matmul_grad_W(dZ_, X_).T) if grad_head is None else grad_head
    SE = sp.Sum(S[p, v] * E[v, j], (v, 0, V - 1))            # (S E)_pj
    XEt = sp.Sum(X[p, k] * E[v, k], (k, 0, D - 1))           # (X Eᵀ)_pv
    # ∂(SE)_pj/∂E_cd pins j = d, ∂(XEᵀ)_pv/∂E_cd pins v = c: each pinned index innermost
    L = (sp.Sum(sp.Sum(dY[p, j] * SE, (j, 0, D - 1)), (p, 0, M - 1))
         + sp.Sum(sp.Sum(dZ[p, v] * XEt, (v, 0, V - 1)), (p, 0, M - 1)))
    raw = sp.diff(L, E[c, d])
    collapsed = sp.simplify(raw.doit())
    compact = grad_lookup(S, dY) + grad_head(X, dZ)
    slow, fast = _sum_of_terms(collapsed), _sum_of_terms(compact[c, d].doit())
    holds = sp.simplify(slow - fast) == 0
    return ProofResult("dL/dE = S^T delta_Y + delta_Z^T X for all M, V, D", bool(holds), slow,
                       fast, {"loss": L, "raw": raw, "collapsed": collapsed,
                              "compact": compact})


# -- the proof for every size, on the entry's own inputs (integer ids) -----------------------

def tied_forward_twin(E, idx, X):
    """:func:`tied_forward` on IndexArrays: ``[E[idx], X Eᵀ]`` stacked along the last axis."""
    return ia.concatenate([E[idx], X @ E.T], axis=-1)


def tied_grad_E_twin(delta, out, E, idx, X):
    """:func:`tied_grad_E` on IndexArrays: ``Σ_{n,t} [idx[n,t] = v] δ_Y[n,t,:] + Σ_{n,t} δ_Z[n,t,v] X[n,t,:]``.

    ``δ_Y = δ[..., :D]``; ``δ_Z = δ[..., D:]`` is read at column ``D + v``.
    """
    V, D = E.shape
    dY = delta[..., :D]
    dZ = IndexArray(delta.shape[:-1] + (V,), lambda i: delta.at(tuple(i[:-1]) + (i[-1] + D,)))
    return (np.einsum("ntv,ntd->vd", ia.one_hot(idx, V), dY)
            + np.einsum("ntv,ntd->vd", dZ, X))


_N, _T, _V, _D = size_symbols("N T V D")


@lru_cache(maxsize=8)
def prove_tied_entry_all_sizes(compact):
    """Index notation for all ``N, T, V, D`` and every integer index array ``idx (N, T)``."""
    return prove_index_notation(
        tied_forward_twin, {"E": (_V, _D), "idx": (_N, _T), "X": (_N, _T, _D)}, "E", compact,
        statement="tied_embedding_grad_E: dL/dE = scatter_idx(delta_Y) + delta_Z^T X for all "
                  "N, T, V, D and every integer index array with entries in [0, V) (repeats "
                  "accumulate)", assumptions={"idx": {"integer": True}})


register(IdentityEntry(
    name="tied_embedding_grad_E",
    title="Tied embedding and output matrix: gradient with respect to the shared table",
    latex=(r"Y = E[\mathrm{idx}],\; Z = X E^{\top} \;\Rightarrow\; "
           r"\frac{\partial L}{\partial E} = \operatorname{scatter}_{\mathrm{idx}}(\delta_Y)"
           r" + \delta_Z^{\top} X, \quad \frac{\partial L}{\partial E_{v,:}}"
           r" = \sum_{p:\, i_p = v} \delta_{Y,p,:} + \sum_p \delta_{Z,p,v}\, X_{p,:}"),
    shapes={"idx": "(N, T) int", "E": "(V, D)", "X": "(N, T, D)", "delta_Y": "(N, T, D)",
            "delta_Z": "(N, T, V)", "dL/dE": "(V, D)"},
    forward=tied_forward,
    wrt="E",
    compact=tied_grad_E,
    sample=_sample_tied,
    proof=_prove_tied,
    tensor_forward=_tied_tensor_forward,
    notes="The sum of the two uses' gradients. The SymPy checks fix indices with repeats; "
          "prove_tied_grad_all_sizes proves the sum for symbolic sizes.",
    all_sizes_proof=prove_tied_entry_all_sizes, all_sizes_method=INDEX,
    all_sizes_twin=tied_grad_E_twin, all_sizes_forward=tied_forward_twin,
))
