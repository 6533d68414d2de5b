r"""Memory-efficient attention: keys in blocks, an online softmax, scores recomputed (issue 25).

:func:`nnmath.attention.attention_forward` forms the ``T × S`` weights ``A`` and
keeps them for the backward pass: memory ``O(T S)`` per head. The kernels here
give the same results, to round-off, keeping only ``O(T · B)`` numbers for a key
block of ``B`` columns:

* :func:`block_attention_forward` visits the keys ``B`` at a time and keeps,
  for every query row, a running maximum ``m``, a running sum ``l`` of
  ``exp(s − m)`` and an unnormalised output; when a block raises the maximum,
  the old sum and output are rescaled by ``e^{m_old − m_new}`` (the *online
  softmax*). At the end ``O = acc / l`` and only ``O`` and each row's
  log-sum-exp ``L = m + log l`` are kept.
* :func:`block_attention_grads` recomputes each block's weights exactly as
  ``A = exp(S − L)`` and uses ``D_t = Σ_j dO_{tj} O_{tj}``, which equals
  ``⟨dA_t, a_t⟩`` because ``dA = dO Vᵀ`` and ``O = A V``: so the softmax
  backward ``dS = A ⊙ (dA − D)`` needs no full row of ``A``.

The idea is FlashAttention's (Dao et al., 2022) without its GPU tiling of the
queries; here all query rows of a head run at once, which is what NumPy does well.
"""

import numpy as np

__all__ = ["block_attention_forward", "block_attention_grads"]


def _swap(A):
    return np.swapaxes(A, -1, -2)


def _block_scores(Q, K, k0, k1, causal, scale):
    """Scores of the rows that can see keys ``k0 … k1−1`` against those keys, masked if causal.

    Returns the first such row ``r0`` and ``S`` of shape ``(..., T − r0, k1 − k0)``:
    with ``causal`` a row ``t < k0`` sees none of these keys and is skipped.
    """
    r0 = k0 if causal else 0
    S = (Q[..., r0:, :] @ _swap(K[..., k0:k1, :])) * scale
    if causal:                                      # in place: no second block-sized array
        rows, cols = np.arange(r0, Q.shape[-2])[:, None], np.arange(k0, k1)[None, :]
        np.copyto(S, -np.inf, where=cols > rows)
    return r0, S


def block_attention_forward(Q, K, V, *, causal=False, block_size=64):
    r"""Scaled dot-product attention with keys in blocks and an online softmax.

    Parameters
    ----------
    Q : ndarray, shape (..., T, d)
    K : ndarray, shape (..., S, d)
    V : ndarray, shape (..., S, d_v)
    causal : bool, optional
        Row ``t`` sees keys ``s ≤ t`` only (needs ``S == T``).
    block_size : int, optional
        ``B``, keys per block.

    Returns
    -------
    O : ndarray, shape (..., T, d_v)
        ``softmax(Q Kᵀ/√d + M) V``, as :func:`nnmath.attention.attention_forward`.
    lse : ndarray, shape (..., T, 1)
        Each row's log-sum-exp of its scores, ``L_t = log Σ_s e^{S_{ts}}``.

    Notes
    -----
    For each block of scores ``S_b`` (rows ``t``):

    .. math:: m' = \max(m, \max_j S_{b,tj}), \quad
              \ell' = e^{m - m'} \ell + \textstyle\sum_j e^{S_{b,tj} - m'}, \quad
              \mathrm{acc}' = e^{m - m'} \mathrm{acc} + e^{S_b - m'} V_b

    starting from ``m = −∞``, ``l = 0``, ``acc = 0``; then ``O = acc/l`` and
    ``L = m + log l``. Every row sees key 0 in the first block, so ``m`` is
    finite from then on and ``e^{−∞ − m'} = 0`` needs no special case.
    """
    scale = Q.shape[-1] ** -0.5
    dtype = np.result_type(Q, K, V)
    m = np.full(Q.shape[:-1] + (1,), -np.inf, dtype=dtype)
    ell = np.zeros_like(m)
    acc = np.zeros(Q.shape[:-1] + (V.shape[-1],), dtype=dtype)
    for k0 in range(0, K.shape[-2], block_size):
        k1 = min(k0 + block_size, K.shape[-2])
        r0, S = _block_scores(Q, K, k0, k1, causal, scale)
        m_new = np.maximum(m[..., r0:, :], S.max(axis=-1, keepdims=True))
        P = np.exp(np.subtract(S, m_new, out=S), out=S)   # e^{S − m'}, in the scores' memory
        alpha = np.exp(m[..., r0:, :] - m_new)      # rescales what earlier blocks summed
        ell[..., r0:, :] = alpha * ell[..., r0:, :] + P.sum(axis=-1, keepdims=True)
        acc[..., r0:, :] = alpha * acc[..., r0:, :] + P @ V[..., k0:k1, :]
        m[..., r0:, :] = m_new
    return acc / ell, m + np.log(ell)


def block_attention_grads(dO, Q, K, V, O, lse, *, causal=False, block_size=64):
    r"""Gradients of :func:`block_attention_forward`, recomputing each block's weights.

    Parameters
    ----------
    dO : ndarray, shape (..., T, d_v)
        Upstream gradient ``∂L/∂O``.
    Q, K, V : ndarrays, as in :func:`block_attention_forward`
    O, lse : ndarrays
        The forward's output and log-sum-exp.
    causal, block_size : as in the forward pass

    Returns
    -------
    dQ, dK, dV : ndarrays of the shapes of Q, K, V

    Notes
    -----
    With ``D = rowsum(dO ⊙ O)`` (shape ``(..., T, 1)``) and, per key block,
    ``A_b = exp(S_b − L)``:

    .. math:: dV_b = A_b^\top dO, \quad dA_b = dO\, V_b^\top, \quad
              dS_b = A_b \odot (dA_b - D), \quad
              dQ \mathrel{+}= \frac{dS_b K_b}{\sqrt d}, \quad dK_b = \frac{dS_b^\top Q}{\sqrt d}

    the rules of :func:`nnmath.attention.attention_grads`, block by block.
    """
    scale = Q.shape[-1] ** -0.5
    D = np.sum(dO * O, axis=-1, keepdims=True)     # = ⟨dA_t, a_t⟩ for every row t
    dQ, dK, dV = np.zeros_like(Q), np.empty_like(K), np.empty_like(V)
    for k0 in range(0, K.shape[-2], block_size):
        k1 = min(k0 + block_size, K.shape[-2])
        r0, S = _block_scores(Q, K, k0, k1, causal, scale)
        A = np.exp(np.subtract(S, lse[..., r0:, :], out=S), out=S)   # recomputed exactly
        dOr = dO[..., r0:, :]
        dV[..., k0:k1, :] = _swap(A) @ dOr
        dS = dOr @ _swap(V[..., k0:k1, :])          # dA, then A ⊙ (dA − D) in place
        dS -= D[..., r0:, :]
        dS *= A
        dQ[..., r0:, :] += (dS @ K[..., k0:k1, :]) * scale
        dK[..., k0:k1, :] = (_swap(dS) @ Q[..., r0:, :]) * scale
    return dQ, dK, dV
