r"""Registry entries of chapter 30: the Fisher of softmax cross-entropy and the K-FAC step.

Each result is written as a vector-Jacobian product so that the three routes
apply:

* ``softmax_ce_fisher_is_hessian``: the map ``z ↦ ∇_z ℓ = p − t`` has Jacobian the
  Hessian of ``ℓ``; its VJP is claimed to be the *Fisher* ``E_{y~p}[(e_y − p)(e_y − p)ᵀ]``
  applied to ``δ``, computed as the expectation over the classes.
* ``kfac_one_sample_kronecker``: the gradient of ``½⟨a gᵀ, V⟩²`` (a quadratic form
  whose matrix is one sample's Fisher block ``vec_r(agᵀ) vec_r(agᵀ)ᵀ``) is claimed to
  be ``(aaᵀ ⊗ ggᵀ) vec_r V``.
* ``kfac_factored_inverse_step``: the linear map ``M ↦ unvec_r((A ⊗ G)⁻¹ vec_r M)``
  (a dense solve) is symmetric for symmetric ``A``, ``G``, so its VJP is the map
  itself; claimed: ``A⁻¹ δ G⁻¹``, the library's :func:`~nnmath.optim.kfac.kfac_precondition`.

``extra["index_proof"]`` of each entry is a proof for every size of the mathematical
statement (symbolic ``C``, ``D``) that does not run the NumPy compact formula. The
entry's ``all_sizes_proof`` (attached at the end of this module) runs a twin of the
compact formula, tested equal to it on numbers, on arrays of symbolic size (index
notation, :func:`~nnmath.book.allsizes_proofs.prove_index_notation`).
"""

import numpy as np

from ...matmul import matmul_grad_W
from ...optim.kfac import kfac_precondition
from ..chapters import ch30_kfac as ch
from .ch08_losses import softmax_any
from .core import IdentityEntry, register


def _ad():
    from ... import autodiff
    return autodiff


def _spd(rng, n):
    B = rng.standard_normal((n, n))
    return B @ B.T + np.eye(n)


def _symmetric_symbols(name, n):
    import sympy as sp
    return np.array([[sp.Symbol(f"{name}_{min(i, j) + 1}{max(i, j) + 1}", real=True)
                      for j in range(n)] for i in range(n)], dtype=object)


def _prove_inverse_step(compact):
    """At ``(D, C) = (2, 2)`` and ``(3, 1)``, symmetric symbolic ``A``, ``G``: the VJP of the dense solve."""
    import sympy as sp

    from ..symbolic import ProofResult, symbol_array

    results = []
    for D, C in ((2, 2), (3, 1)):
        A, G = _symmetric_symbols("A", D), _symmetric_symbols("G", C)
        delta, M = symbol_array("delta", (D, C), real=True), symbol_array("M", (D, C), real=True)
        K = sp.Matrix(np.kron(A, G))
        slow = np.array(K.T.LUsolve(sp.Matrix(delta.reshape(-1))), dtype=object).reshape(D, C)
        fast = np.asarray(compact(delta, None, M=M, A=A, G=G), dtype=object)
        holds = all(sp.cancel(s - f) == 0 for s, f in zip(slow.ravel(), fast.ravel()))
        results.append(ProofResult(f"kfac_factored_inverse_step at D={D}, C={C}", bool(holds),
                                   slow, fast))
    return results


register(IdentityEntry(
    name="softmax_ce_fisher_is_hessian",
    title="Softmax cross-entropy: the Fisher in the logits equals the Hessian",
    latex=(r"\nabla_z^2 \bigl(-\log p_y\bigr) = \operatorname{diag}(p) - p p^{\top} = "
           r"\mathbb{E}_{y \sim p}\bigl[(e_y - p)(e_y - p)^{\top}\bigr]"),
    shapes={"Z": "(N, C)", "T": "(N, C)", "delta": "(N, C)", "F delta": "(N, C)"},
    forward=lambda Z, T: softmax_any(Z) - T,
    wrt="Z",
    compact=lambda delta, out, Z, T: ch.fisher_vp(delta, softmax_any(Z)),
    sample=lambda rng: {"Z": rng.standard_normal((3, 4)),
                        "T": np.eye(4)[rng.integers(0, 4, 3)]},
    symbolic_sizes=({"Z": (1, 2), "T": (1, 2)}, {"Z": (1, 3), "T": (1, 3)}),
    tensor_forward=lambda Z, T: _ad().softmax(Z) - T,
    extra={"index_proof": ch.prove_fisher_equals_hessian_all_sizes},
    notes=("Row by row: the forward is the gradient p - t of -log p_y in the logits, so its "
           "Jacobian is the Hessian; the compact formula is the Fisher as an expectation over "
           "the C classes, weight p_y. The label t drops out of the Hessian."),
))

register(IdentityEntry(
    name="kfac_one_sample_kronecker",
    title="One sample's Fisher block of a Linear layer is a Kronecker product (row-major vec)",
    latex=(r"\operatorname{vec}_r(a g^{\top})\operatorname{vec}_r(a g^{\top})^{\top} = "
           r"(a a^{\top}) \otimes (g g^{\top})"),
    shapes={"V": "(D, C)", "a": "(D,)", "g": "(C,)", "delta": "()", "F vec_r V": "(D, C)"},
    forward=lambda V, a, g: np.sum(matmul_grad_W(g[None, :], a[None, :]) * V) ** 2 / 2,
    wrt="V",
    compact=lambda delta, out, V, a, g: delta * (
        np.kron(np.outer(a, a), np.outer(g, g)) @ V.reshape(-1)).reshape(V.shape),
    sample=lambda rng: {"V": rng.standard_normal((3, 4)), "a": rng.standard_normal(3),
                        "g": rng.standard_normal(4)},
    symbolic_sizes=({"V": (2, 3), "a": (2,), "g": (3,)}, {"V": (3, 2), "a": (3,), "g": (2,)}),
    tensor_forward=lambda V, a, g: (a.reshape(-1, 1) * V * g.reshape(1, -1)).sum() ** 2 * 0.5,
    extra={"index_proof": ch.prove_one_sample_kronecker_all_sizes},
    notes=("a is the layer's input (with a 1 appended for the bias), g the gradient of "
           "log p(y|x) in its output; the per-sample weight gradient is a g^T (chapter 5). "
           "Column-major vec gives (g g^T) kron (a a^T) instead."),
))

register(IdentityEntry(
    name="kfac_factored_inverse_step",
    title="The K-FAC step: (A ⊗ G)⁻¹ vec_r(∇W) = vec_r(A⁻¹ ∇W G⁻¹)",
    latex=(r"(A \otimes G)^{-1} \operatorname{vec}_r(\nabla_W) = "
           r"\operatorname{vec}_r\bigl(A^{-1} \nabla_W\, G^{-1}\bigr), \quad A = A^{\top},\ "
           r"G = G^{\top}"),
    shapes={"M": "(D, C)", "A": "(D, D)", "G": "(C, C)", "delta": "(D, C)",
            "A^-1 delta G^-1": "(D, C)"},
    forward=ch.kron_solve_dense,
    wrt="M",
    compact=lambda delta, out, M, A, G: kfac_precondition(delta, ch.inverse_any(A),
                                                          ch.inverse_any(G)),
    sample=lambda rng: {"M": rng.standard_normal((3, 4)), "A": _spd(rng, 3), "G": _spd(rng, 4)},
    proof=_prove_inverse_step,
    tensor_forward=lambda M, A, G: _ad().linalg.solve(
        (A.reshape(A.shape[0], 1, A.shape[0], 1) * G.reshape(1, G.shape[0], 1, G.shape[0]))
        .reshape(A.shape[0] * G.shape[0], A.shape[0] * G.shape[0]), M.reshape(-1)).reshape(M.shape),
    extra={"index_proof": ch.prove_kron_inverse_all_sizes},
    notes=("A and G symmetric (the damped factors are); the forward is a dense solve with the "
           "(DC, DC) matrix, the compact formula two small inverses. The engine route solves "
           "with a Kronecker matrix built by broadcasting."),
))


# -- proofs for every size, applied to the compact formula (through tested twins) ---------------
# The compact formulas call np.eye, np.kron, reshape and np.linalg.inv, which symbolic sizes
# cannot drive; each twin restates its formula index by index (np.kron(A, G) as the 4-index
# array multiply.outer(A, G)[i, k, j, l] = A[i, k] G[j, l] at row iC + j, column kC + l), and
# tests/book/test_all_sizes.py shows it equals the NumPy formula on random numbers.

def fisher_vp_twin(delta, out, Z, T):
    """``ch.fisher_vp(δ, softmax(Z))`` with ``np.eye(C)`` as the bracket ``[y = i]``."""
    from .. import allsizes as ia
    P = softmax_any(Z)
    S = ia.eye(P.shape[-1])[None, :, :] - P[:, None, :]          # S[n, y, i] = [y = i] − p_ni
    F = (P[:, :, None, None] * S[:, :, :, None] * S[:, :, None, :]).sum(axis=1)
    return (F * delta[:, None, :]).sum(axis=2)


def kron_block_twin(delta, out, V, a, g):
    """``δ · unvec_r((aaᵀ ⊗ ggᵀ) vec_r V)``: entry ``(i, j)`` is ``Σ_kl (aaᵀ)_ik (ggᵀ)_jl V_kl``."""
    kron = np.multiply.outer(np.multiply.outer(a, a), np.multiply.outer(g, g))
    return delta * np.einsum("ikjl,kl->ij", kron, V)


def one_sample_forward_twin(V, a, g):
    """``½ ⟨a gᵀ, V⟩²`` with ``a gᵀ`` as ``multiply.outer(a, g)``."""
    return np.sum(np.multiply.outer(a, g) * V) ** 2 / 2


def inverse_twin(A):
    """``A⁻¹``: the companion leaf ``A.inverse`` of an array of symbolic size (the proof's
    symmetric symbol for the inverse), the leaf of NumPy's inverse of numbers otherwise."""
    inverse = getattr(A, "inverse", None)
    if inverse is not None:
        return inverse
    if hasattr(A, "derived"):                 # evaluate()'s leaf of numbers: their inverse
        return A.derived(np.linalg.inv, "inv")
    return np.linalg.inv(A)


def kron_solve_forward_twin(M, A, G):
    """``unvec_r((A⁻¹ ⊗ G⁻¹) vec_r M)``: the dense solve with ``(A ⊗ G)⁻¹ = A⁻¹ ⊗ G⁻¹``."""
    return np.einsum("ikjl,kl->ij", np.multiply.outer(inverse_twin(A), inverse_twin(G)), M)


def inverse_step_twin(delta, out, M, A, G):
    """The compact formula with :func:`inverse_twin` for ``inverse_any``."""
    return kfac_precondition(delta, inverse_twin(A), inverse_twin(G))


def _symmetric_leaf(name, n, inverse_name):
    """A symmetric ``n × n`` matrix ``S + Sᵀ`` (every symmetric matrix is one, ``S = A/2``)
    carrying its inverse, also symmetric (the inverse of a symmetric matrix is), as ``.inverse``."""
    import sympy as sp

    from ..allsizes import IndexArray

    def sym(base):
        return IndexArray((n, n), lambda i: base[i[0], i[1]] + base[i[1], i[0]])

    leaf = sym(sp.IndexedBase(name, real=True))
    leaf.inverse = sym(sp.IndexedBase(inverse_name, real=True))
    return leaf


def _prove_fisher_all_sizes(compact):
    from ..allsizes import size_symbols
    from ..allsizes_proofs import prove_index_notation
    N, C = size_symbols("N C")
    return prove_index_notation(
        lambda Z, T: softmax_any(Z) - T, {"Z": (N, C), "T": (N, C)}, "Z", compact,
        statement="softmax_ce_fisher_is_hessian: the VJP of z -> p - t (the Hessian of -log p_y) "
                  "is the Fisher E_y[(e_y - p)(e_y - p)^T] delta, for all N, C")


def _prove_kronecker_all_sizes(compact):
    from ..allsizes import size_symbols
    from ..allsizes_proofs import prove_index_notation
    D, C = size_symbols("D C")
    return prove_index_notation(
        one_sample_forward_twin, {"V": (D, C), "a": (D,), "g": (C,)}, "V", compact,
        statement="kfac_one_sample_kronecker: d/dV of 1/2 <a g^T, V>^2 is "
                  "unvec_r((a a^T kron g g^T) vec_r V), for all D, C")


def _prove_inverse_step_all_sizes(compact):
    from ..allsizes import size_symbols
    from ..allsizes_proofs import prove_index_notation
    from ..symbolic import ProofResult
    D, C = size_symbols("D C")
    lemma = ch.prove_kron_inverse_all_sizes()
    step = prove_index_notation(
        kron_solve_forward_twin, {"M": (D, C), "A": (D, D), "G": (C, C)}, "M", compact,
        leaves={"A": _symmetric_leaf("A", D, "A_inv"), "G": _symmetric_leaf("G", C, "G_inv")},
        statement="the VJP of M -> unvec_r((A^-1 kron G^-1) vec_r M), A, G symmetric")
    return ProofResult(
        "kfac_factored_inverse_step: for all D, C and symmetric invertible A, G, "
        "(A kron G)^-1 = A^-1 kron G^-1 (mixed-product rule) and the VJP of "
        "M -> unvec_r((A^-1 kron G^-1) vec_r M) is A^-1 delta G^-1",
        lemma.holds and step.holds, step.slow, step.fast,
        {**step.details, "lemma": lemma, "step": step})


def _attach_all_sizes():
    from functools import lru_cache

    from ..allsizes_proofs import INDEX
    from .core import REGISTRY
    for name, proof, twin, forward in (
            ("softmax_ce_fisher_is_hessian", _prove_fisher_all_sizes, fisher_vp_twin, None),
            ("kfac_one_sample_kronecker", _prove_kronecker_all_sizes, kron_block_twin,
             one_sample_forward_twin),
            ("kfac_factored_inverse_step", _prove_inverse_step_all_sizes, inverse_step_twin,
             kron_solve_forward_twin)):
        entry = REGISTRY[name]
        entry.all_sizes_proof = lru_cache(maxsize=8)(proof)
        entry.all_sizes_method, entry.all_sizes_twin, entry.all_sizes_forward = INDEX, twin, forward


_attach_all_sizes()
