r"""Registry entries for softmax and the losses (chapter 8).

The compact formulas are :func:`nnmath.losses.mse_grad_Y`,
:func:`nnmath.activations.softmax_grad_Z`,
:func:`nnmath.activations.softmax_jacobian` and
:func:`nnmath.losses.cross_entropy_grad_from_probs` (which
:class:`~nnmath.SoftmaxCrossEntropy` calls, and
:func:`~nnmath.losses.softmax_cross_entropy_grad_Z` wraps). The stable NumPy
softmax subtracts a row maximum, which SymPy cannot take of symbols; the
symbolic forwards use the textbook definition ``exp(z) / Σ exp(z)`` instead, so
the proofs also confirm that the shift changes nothing.
"""

import numpy as np

from ... import activations as act
from ... import losses as los
from ..allsizes import IndexArray
from ..symbolic import prove_vjp, symbol_array
from .ch06_activations import sym_exp, sym_log
from .core import IdentityEntry, kernel, register


def sym_softmax(Z):
    """Textbook softmax over the last axis of an object array of SymPy expressions."""
    E = sym_exp(np.asarray(Z, dtype=object))
    return E / np.sum(E, axis=-1, keepdims=True)


def softmax_any(Z):
    """Stable softmax of a numeric array, or :func:`sym_softmax` of an object array (glue).

    Of an :class:`~nnmath.book.allsizes.IndexArray` (symbolic sizes): the
    textbook ``exp(z) / Σ exp(z)`` over the last axis, with NumPy's functions.
    """
    if isinstance(Z, IndexArray):
        E = np.exp(Z)
        return E / np.sum(E, axis=-1, keepdims=True)
    Z = np.asarray(Z)
    return sym_softmax(Z) if Z.dtype == object else act.softmax(Z)


def sym_softmax_cross_entropy(Z, T):
    """Cross-entropy by its definition, ``−(1/N) Σ T ⊙ log softmax(Z)``, on SymPy symbols."""
    return -np.sum(T * sym_log(sym_softmax(Z))) / Z.shape[0]


def _ad():
    from ... import autodiff
    return autodiff


def _sample_regression(rng, N=5, C=3):
    return {"Y": rng.standard_normal((N, C)), "T": rng.standard_normal((N, C))}


def _sample_logits(rng, N=4, C=3):
    return {"Z": rng.standard_normal((N, C))}


def _sample_vector(rng, C=4):
    return {"z": rng.standard_normal(C)}


def _sample_classification(rng, N=5, C=3):
    return {"Z": rng.standard_normal((N, C)), "T": los.one_hot(rng.integers(0, C, N), C)}


register(IdentityEntry(
    name="mse_grad_Y",
    title="Mean squared error: gradient with respect to the predictions",
    latex=(r"L = \frac{1}{2N} \sum_{n} \lVert \vb{y}_n - \vb{t}_n \rVert^2 \;\Rightarrow\; "
           r"\frac{\partial L}{\partial Y} = \frac{1}{N} (Y - T)"),
    shapes={"Y": "(N, C)", "T": "(N, C)", "delta": "()", "dL/dY": "(N, C)"},
    forward=lambda Y, T: los.mse(Y, T),            # the book writes the targets T
    wrt="Y",
    compact=lambda delta, out, Y, T: delta * los.mse_grad_Y(Y, T),
    sample=_sample_regression,
    tensor_forward=lambda Y, T: _ad().mse_loss(Y, T),
    symbolic_sizes=({"Y": (2, 2), "T": (2, 2)}, {"Y": (3, 1), "T": (3, 1)},
                    {"Y": (1, 3), "T": (1, 3)}),
))

register(IdentityEntry(
    name="softmax_jacobian",
    title="Softmax: the Jacobian of one row",
    latex=(r"\vb{p} = \operatorname{softmax}(\vb{z}) \;\Rightarrow\; "
           r"\frac{\partial \vb{p}}{\partial \vb{z}} = \diag(\vb{p}) - \vb{p}\vb{p}^{\top}"),
    shapes={"z": "(C,)", "delta": "(C,)", "dp/dz": "(C, C)"},
    forward=lambda z: act.softmax(z),
    wrt="z",
    compact=lambda delta, out, z: delta @ act.softmax_jacobian(out),
    sample=_sample_vector,
    symbolic_sizes=({"z": (2,)}, {"z": (3,)}),
    symbolic_forward=lambda z: sym_softmax(z),
    tensor_forward=lambda z: _ad().softmax(z),
    notes="Checked as the vector-Jacobian product delta^T J.",
))

register(IdentityEntry(
    name="softmax_grad_Z",
    title="Softmax: gradient for any upstream gradient",
    latex=(r"P = \operatorname{softmax}(Z) \;\Rightarrow\; \frac{\partial L}{\partial Z}"
           r" = P \odot \Bigl(\delta - \bigl(\textstyle\sum_k \delta_{:,k} P_{:,k}\bigr)\mathbf{1}^{\top}\Bigr)"),
    shapes={"Z": "(N, C)", "delta": "(N, C)", "dL/dZ": "(N, C)"},
    forward=lambda Z: act.softmax(Z),
    wrt="Z",
    compact=kernel(act.softmax_grad_Z, P="out"),
    sample=_sample_logits,
    symbolic_sizes=({"Z": (1, 3)}, {"Z": (2, 2)}),
    symbolic_forward=lambda Z: sym_softmax(Z),
    tensor_forward=lambda Z: _ad().softmax(Z),
))


def _ce_compact(delta, out, Z, T):
    return delta * los.cross_entropy_grad_from_probs(softmax_any(Z), T)


def _prove_cross_entropy(compact=None, sizes=((1, 3), (2, 2), (2, 3))):
    """SymPy check at fixed sizes, with targets whose rows sum to 1 (the identity needs that).

    The last column of ``T`` is ``1 − Σ`` of the others, so the proof covers
    every target distribution, one-hot rows included.
    """
    compact = _ce_compact if compact is None else compact
    results = []
    for N, C in sizes:
        Z = symbol_array("Z", (N, C), real=True)
        T = symbol_array("T", (N, C), real=True)
        T[:, -1] = [1 - sum(row[:-1]) for row in T]
        results.append(prove_vjp(sym_softmax_cross_entropy, {"Z": Z, "T": T}, "Z",
                                 compact,
                                 statement=f"dL/dZ = (softmax(Z) - T)/N for N={N}, C={C}"))
    return results


register(IdentityEntry(
    name="softmax_cross_entropy_grad_Z",
    title="Softmax cross-entropy: gradient with respect to the logits",
    latex=(r"L = -\frac{1}{N} \sum_{n,k} T_{nk} \log \operatorname{softmax}(Z)_{nk} \;\Rightarrow\; "
           r"\frac{\partial L}{\partial Z} = \frac{1}{N} \bigl(\operatorname{softmax}(Z) - T\bigr)"),
    shapes={"Z": "(N, C)", "T": "(N, C)", "delta": "()", "dL/dZ": "(N, C)"},
    forward=lambda Z, T: los.softmax_cross_entropy(Z, T),
    wrt="Z",
    compact=_ce_compact,
    sample=_sample_classification,
    proof=_prove_cross_entropy,
    tensor_forward=lambda Z, T: _ad().softmax_cross_entropy_loss(Z, T),
    notes="Each row of T sums to 1 (one-hot labels or probabilities).",
))

__all__ = ["sym_softmax", "softmax_any", "sym_softmax_cross_entropy"]
