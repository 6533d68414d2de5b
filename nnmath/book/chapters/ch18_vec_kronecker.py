r"""Chapter 18 (vec and Kronecker): the two vecs, Kronecker Jacobians, and a proof for every size.

``vec`` stacks the columns of a matrix (column-major, the convention of matrix
calculus texts); ``vec_r`` stacks the rows (row-major, what NumPy's
``reshape(-1)`` gives). For ``Y = AXB`` with ``A (P, M)``, ``X (M, N)``,
``B (N, Q)``:

.. math::
    \operatorname{vec}(AXB) = (B^{\top} \otimes A) \operatorname{vec} X, \qquad
    \operatorname{vec}_r(AXB) = (A \otimes B^{\top}) \operatorname{vec}_r X.

Every function here works on float arrays and on object arrays of SymPy
symbols.
"""

import numpy as np

__all__ = ["vec", "unvec", "vec_r", "unvec_r", "kron_jacobian_column", "kron_jacobian_row",
           "vjp_by_kron_column", "vjp_by_kron_row", "prove_kron_all_sizes"]


def vec(A):
    """Stack the columns of ``A (m, n)`` into a vector of length ``mn`` (column-major)."""
    return np.asarray(A).reshape(-1, order="F")


def unvec(v, shape):
    """Inverse of :func:`vec`: refill a matrix of ``shape`` column by column."""
    return np.asarray(v).reshape(shape, order="F")


def vec_r(A):
    """Stack the rows of ``A (m, n)`` into a vector of length ``mn`` (row-major, NumPy's order)."""
    return np.asarray(A).reshape(-1)


def unvec_r(v, shape):
    """Inverse of :func:`vec_r`."""
    return np.asarray(v).reshape(shape)


def kron_jacobian_column(A, B):
    """``∂vec(AXB)/∂vec(X) = Bᵀ ⊗ A``, shape ``(PQ, MN)``."""
    return np.kron(np.asarray(B).T, A)


def kron_jacobian_row(A, B):
    """``∂vec_r(AXB)/∂vec_r(X) = A ⊗ Bᵀ``, shape ``(PQ, MN)``."""
    return np.kron(A, np.asarray(B).T)


def vjp_by_kron_column(delta, A, B):
    """``∂L/∂X`` for ``Y = AXB`` as one matrix-vector product: ``unvec((Bᵀ ⊗ A)ᵀ vec δ)``."""
    X_shape = (np.shape(A)[1], np.shape(B)[0])
    return unvec(kron_jacobian_column(A, B).T @ vec(delta), X_shape)


def vjp_by_kron_row(delta, A, B):
    """``∂L/∂X`` for ``Y = AXB`` as one matrix-vector product: ``unvec_r((A ⊗ Bᵀ)ᵀ vec_r δ)``."""
    X_shape = (np.shape(A)[1], np.shape(B)[0])
    return unvec_r(kron_jacobian_row(A, B).T @ vec_r(delta), X_shape)


def prove_kron_all_sizes(column=None, row=None):
    r"""Prove, for symbolic sizes ``P, M, N, Q``, that the Jacobian of ``AXB`` is a Kronecker product.

    ``A``, ``X``, ``B`` are SymPy ``MatrixSymbol`` s, so ``(AXB)_{ij}`` is an
    explicit double sum. Row ``r`` of the flattened Jacobian belongs to the
    output entry ``(r mod P, ⌊r/P⌋)`` in column-major order and
    ``(⌊r/Q⌋, r mod Q)`` in row-major order; column ``s`` likewise to an entry of
    ``X``. SymPy differentiates the sum at those entries (the Kronecker deltas
    collapse) and compares the result with entry ``(r, s)`` of its own
    ``KroneckerProduct(Bᵀ, A)`` (respectively ``KroneckerProduct(A, Bᵀ)``).

    SymPy's Kronecker entry reduces a block index modulo the number of blocks,
    e.g. ``Mod(⌊r/P⌋, Q)``; since ``0 ≤ r < PQ`` that block index already lies
    in ``[0, Q)``, and the proof drops the ``Mod`` (the only step SymPy is
    told, listed in ``details["range facts"]``).

    A third result is the contraction ``Σ_ij δ_ij ∂Y_ij/∂X_kl = (Aᵀ δ Bᵀ)_kl``,
    the vector-Jacobian product, in the manner of
    :func:`nnmath.book.symbolic.prove_matmul_collapse_all_sizes`.

    Parameters
    ----------
    column, row : callable, optional
        ``(A, B) ↦`` the claimed Jacobian as a SymPy matrix expression;
        default ``KroneckerProduct(Bᵀ, A)`` and ``KroneckerProduct(A, Bᵀ)``
        (a test passes wrong ones to see the proof fail).

    Returns
    -------
    dict
        ``{"column": ProofResult, "row": ProofResult, "vjp": ProofResult}``.
    """
    import sympy as sp

    from ..symbolic import ProofResult, canonical_indices

    P, M, N, Q = sp.symbols("P M N Q", integer=True, positive=True)
    r, s = sp.symbols("r s", integer=True, nonnegative=True)
    A, X = sp.MatrixSymbol("A", P, M), sp.MatrixSymbol("X", M, N)
    B, delta = sp.MatrixSymbol("B", N, Q), sp.MatrixSymbol("delta", P, Q)
    Y = A * X * B
    column = column or (lambda A, B: sp.KroneckerProduct(B.T, A))
    row = row or (lambda A, B: sp.KroneckerProduct(A, B.T))
    results = {}
    for name, kron, out_index, in_index, blocks in (
            ("column", column(A, B), (sp.Mod(r, P), sp.floor(r / P)),
             (sp.Mod(s, M), sp.floor(s / M)), {(r, P, Q), (s, M, N)}),
            ("row", row(A, B), (sp.floor(r / Q), sp.Mod(r, Q)),
             (sp.floor(s / N), sp.Mod(s, N)), {(r, Q, P), (s, N, M)})):
        derivative = sp.diff(Y[out_index], X[in_index]).doit()
        facts = {sp.Mod(sp.floor(i / size), count): sp.floor(i / size)
                 for i, size, count in blocks}  # 0 ≤ i < size·count ⇒ ⌊i/size⌋ < count
        entry = kron[r, s].xreplace(facts)
        holds = sp.simplify(derivative - entry) == 0
        results[name] = ProofResult(
            f"d vec{'_r' if name == 'row' else ''}(AXB) / d vec{'_r' if name == 'row' else ''}"
            f"(X) is the Kronecker product for all P, M, N, Q", bool(holds), derivative, entry,
            {"Y": Y, "kronecker": kron, "range facts": facts, "raw entry": kron[r, s]})

    i, j, k, l = sp.symbols("i j k l", integer=True, nonnegative=True)
    L = sp.Sum(sp.Sum(delta[i, j] * Y[i, j], (i, 0, P - 1)), (j, 0, Q - 1))
    collapsed = sp.simplify(sp.diff(L, X[k, l]).doit())
    compact = (A.T * delta * B.T)[k, l].doit()
    holds = sp.simplify(canonical_indices(collapsed) - canonical_indices(compact)) == 0
    results["vjp"] = ProofResult("dL/dX = A^T delta B^T for all P, M, N, Q", bool(holds),
                                 collapsed, compact, {"loss": L})
    return results
