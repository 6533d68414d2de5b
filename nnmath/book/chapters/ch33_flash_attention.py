r"""Chapter 33 (Attention without the T × T matrix): its own proofs, measurements and counts.

The kernels are the library's, :func:`nnmath.flash.block_attention_forward`
and :func:`nnmath.flash.block_attention_grads`, compared with the full path
:func:`nnmath.attention.attention_forward` / ``attention_grads``. Here are
the SymPy proofs of the two facts they rest on (the merge step of the online
softmax, for blocks of symbolic sizes; the row term ``D``), the gradient of the
scores computed from the output and the log-sum-exp alone (for numbers through
the library kernel, for SymPy symbols written out), and the chapter's
measurements: peak memory with :mod:`tracemalloc` and multiply-add counts
from the shapes of the matrix products each path runs.
"""

import tracemalloc

import numpy as np
import sympy as sp

from ...attention import attention_grads, attention_forward
from ...flash import block_attention_grads, block_attention_forward
from ..symbolic import ProofResult

__all__ = ["prove_online_merge", "prove_row_term", "scores_grad_from_lse", "peak_bytes",
           "memory_table", "matmul_flops"]


def prove_online_merge():
    r"""Prove the merge step of the online softmax for two blocks of symbolic sizes.

    Block 1 holds scores ``s_0 … s_{B₁−1}``, block 2 ``s_{B₁} … s_{B₁+B₂−1}``;
    each is summarised by a reference value ``m_b`` (any real number: the
    maximum in the kernels), ``ℓ_b = Σ_j e^{s_j − m_b}`` and
    ``acc_b = Σ_j e^{s_j − m_b} v_j``. For any ``m``,

    .. math:: e^{m_1 - m}\ell_1 + e^{m_2 - m}\ell_2 = \sum_{j < B_1 + B_2} e^{s_j - m},

    and the same for ``acc`` with the values ``v_j``. SymPy moves the
    constant factors into the sums and joins the exponentials.

    Returns
    -------
    list of ProofResult
        One for ``ℓ``, one for ``acc``.
    """
    B1, B2 = sp.symbols("B_1 B_2", integer=True, positive=True)
    j = sp.Symbol("j", integer=True)
    s, v = sp.IndexedBase("s"), sp.IndexedBase("v")
    m1, m2, m = sp.symbols("m_1 m_2 m", real=True)
    results = []
    for name, weight in (("ell", 1), ("acc", v[j])):
        part1 = sp.Sum(sp.exp(s[j] - m1) * weight, (j, 0, B1 - 1))
        part2 = sp.Sum(sp.exp(s[j] - m2) * weight, (j, B1, B1 + B2 - 1))
        merged = sp.exp(m1 - m) * part1 + sp.exp(m2 - m) * part2
        direct = sp.Sum(sp.exp(s[j] - m) * weight, (j, 0, B1 + B2 - 1))
        holds = sp.simplify(sp.expand(sp.powsimp(merged - direct))) == 0
        results.append(ProofResult(f"merge of two blocks, {name}, for all sizes B_1, B_2 and all m_1, m_2, m",
                                   bool(holds), merged, direct))
    return results


def _factor_into_sum(expr):
    """``Σ_a c_a Σ_b f_ab`` → ``Σ_a Σ_b c_a f_ab``: a factor of the outer sum moves into the inner one."""
    def is_target(e):
        return (isinstance(e, sp.Sum) and isinstance(e.function, sp.Mul)
                and any(isinstance(t, sp.Sum) for t in e.function.args))

    def move(e):
        inner = next(t for t in e.function.args if isinstance(t, sp.Sum))
        factor = sp.Mul(*[t for t in e.function.args if t is not inner])
        return sp.Sum(factor * inner.function, *inner.limits, *e.limits)
    return expr.replace(is_target, move)


def prove_row_term():
    r"""Prove ``Σ_s A_s dA_s = Σ_j dO_j O_j`` for one row, any number of keys ``n`` and width ``d_v``.

    With ``O_j = Σ_s A_s V_{sj}`` and ``dA_s = Σ_j dO_j V_{sj}``, a factor of
    each outer sum moves into the inner one (linearity), and the two double
    sums over the finite rectangle ``s < n, j < d_v`` differ only in the order
    of summation.
    """
    n, dv = sp.symbols("n d_v", integer=True, positive=True)
    s_, j = sp.symbols("s j", integer=True)
    A, V, dO = sp.IndexedBase("A"), sp.IndexedBase("V"), sp.IndexedBase("dO")
    lhs = sp.Sum(A[s_] * sp.Sum(dO[j] * V[s_, j], (j, 0, dv - 1)), (s_, 0, n - 1))
    rhs = sp.Sum(dO[j] * sp.Sum(A[s_] * V[s_, j], (s_, 0, n - 1)), (j, 0, dv - 1))
    left, right = _factor_into_sum(lhs), _factor_into_sum(rhs)
    holds = sp.simplify(left.reorder((0, 1)) - right) == 0
    return ProofResult("sum_s A_s dA_s = sum_j dO_j O_j for all n, d_v", bool(holds), lhs, rhs,
                       {"double sum": left})


def scores_grad_from_lse(dO, O, S, V, *, block_size=2):
    r"""``∂L/∂S`` for ``O = softmax(S) V``, from ``dO``, ``O`` and the log-sum-exp of ``S`` alone.

    .. math:: A = e^{S - L}, \quad dA = dO\,V^\top, \quad D = \operatorname{rowsum}(dO \odot O),
              \quad dS = A \odot (dA - D)

    For numbers this runs the library's kernels (the forward for ``L``, then
    :func:`~nnmath.flash.block_attention_grads`) on ``Q = S√n``, ``K = I_n`` (so that ``QKᵀ/√n = S`` and ``dQ = dS/√n``), key
    blocks of ``block_size``; for SymPy object arrays the same four steps are
    written out with SymPy's ``exp`` and ``log``.

    Parameters
    ----------
    dO, O : arrays, shape (T, d_v)
    S : array, shape (T, n)
    V : array, shape (n, d_v)

    Returns
    -------
    dS : array, shape (T, n)
    """
    S = np.asarray(S)
    if S.dtype != object and np.asarray(dO).dtype != object:
        n = S.shape[-1]
        root = np.sqrt(n)
        Q, K = S * root, np.eye(n)                  # Q Kᵀ / √n = S
        _, lse = block_attention_forward(Q, K, V, block_size=block_size)
        dQ, _, _ = block_attention_grads(dO, Q, K, V, O, lse, block_size=block_size)
        return dQ * root
    exp = np.vectorize(sp.exp, otypes=[object])
    lse = np.vectorize(sp.log, otypes=[object])(exp(S).sum(axis=-1, keepdims=True))
    A = exp(S - lse)
    D = np.sum(dO * O, axis=-1, keepdims=True)
    return A * (dO @ V.T - D)


def peak_bytes(fn, *args, **kwargs):
    """Peak bytes traced by :mod:`tracemalloc` while ``fn(*args, **kwargs)`` runs, and its result."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = fn(*args, **kwargs)
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def memory_table(sizes, *, d=32, block_size=64, causal=True, seed=0):
    """Peak memory of the forward and the backward pass of both paths, one head, for each ``T``.

    Returns
    -------
    dict
        ``{T: {"full forward", "full backward", "block forward", "block backward": bytes}}``;
        inputs and outputs allocated before a pass are not counted, only what it allocates.
    """
    rng = np.random.default_rng(seed)
    table = {}
    for T in sizes:
        Q, K, V, dO = (rng.standard_normal((1, T, d)) for _ in range(4))
        mask = np.tri(T, dtype=bool) if causal else None
        row = {}
        row["full forward"], (Y, A) = peak_bytes(attention_forward, Q, K, V, mask)
        row["full backward"], _ = peak_bytes(attention_grads, dO, Q, K, V, A)
        del Y, A
        row["block forward"], (O, lse) = peak_bytes(block_attention_forward, Q, K, V,
                                                    causal=causal, block_size=block_size)
        row["block backward"], _ = peak_bytes(block_attention_grads, dO, Q, K, V, O, lse,
                                              causal=causal, block_size=block_size)
        table[T] = row
    return table


def matmul_flops(T, d, *, block_size=None, causal=True):
    r"""Floating-point operations of the matrix products of one head, from their shapes.

    A product of an ``(a, b)`` and a ``(b, c)`` matrix costs ``2abc``. The full
    path (``block_size=None``) forms all ``T × T`` scores even when causal (it
    masks them); the block path with ``causal`` skips the rows that see none of
    a block's keys (key block ``k₀ … k₁−1`` meets rows ``k₀ … T−1``), and its
    backward pass recomputes the scores.

    Returns
    -------
    dict
        ``"forward scores"`` (``QKᵀ``), ``"forward"`` (scores and ``AV``),
        ``"backward scores"`` (the recomputation; 0 for the full path) and
        ``"backward"`` (everything the backward pass multiplies).
    """
    if block_size is None:
        rows_times_keys = T * T
        recompute = 0
    else:
        starts = range(0, T, block_size)
        rows_times_keys = sum((T - (k0 if causal else 0)) * (min(k0 + block_size, T) - k0)
                              for k0 in starts)
        recompute = 2 * rows_times_keys * d
    scores = 2 * rows_times_keys * d                    # Q Kᵀ
    forward = scores + 2 * rows_times_keys * d          # + A V
    backward = recompute + 4 * 2 * rows_times_keys * d  # dV = AᵀdO, dA = dO Vᵀ, dQ = dS K, dK = dSᵀQ
    return {"forward scores": scores, "forward": forward, "backward scores": recompute,
            "backward": backward}
