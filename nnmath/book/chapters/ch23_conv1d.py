r"""Chapter 23: one-dimensional convolution as a matrix product, and its two gradients.

The forward ``y = x ⋆ w`` (cross-correlation, with stride ``s`` and zero
padding ``p``) is written three ways: as a sum over kernel taps
(:func:`correlate1d`), as a banded Toeplitz matrix built from ``w`` times ``x``
(:func:`toeplitz1d`, which is ``∂y/∂x``), and as the unfolded input times ``w``
(:func:`unfold1d`, which is ``∂y/∂w``). The compact gradients are a correlation
of the input with ``δ`` (:func:`correlate1d_grad_w`) and a full convolution of
``δ`` with the kernel (:func:`correlate1d_grad_x`); with a stride, ``δ`` is first
spread out with zeros (:func:`dilate`). Every function loops over the ``k``
kernel taps only, so all of them also run on object arrays of SymPy symbols.

:func:`prove_conv1d_collapse_all_sizes` proves the collapse for symbolic
lengths ``n`` and ``k`` in index notation (stride 1, no padding).
"""

import numpy as np
import sympy as sp

from ..symbolic import ProofResult, canonical_indices

__all__ = ["output_length", "pad1d", "correlate1d", "unfold1d", "toeplitz1d", "dilate",
           "correlate1d_grad_w", "correlate1d_grad_x", "dilated_correlate1d",
           "dilated_correlate1d_grad_w", "dilated_correlate1d_grad_x",
           "prove_conv1d_collapse_all_sizes"]


def output_length(n, k, stride=1, padding=0):
    """``⌊(n + 2p − k)/s⌋ + 1``: how many positions the kernel takes."""
    return (n + 2 * padding - k) // stride + 1


def pad1d(x, padding):
    """``x`` with ``padding`` zeros on both ends (works on object arrays)."""
    x = np.asarray(x)
    out = np.zeros(len(x) + 2 * padding, dtype=x.dtype)
    out[padding:padding + len(x)] = x
    return out


def correlate1d(x, w, stride=1, padding=0):
    r"""``y_i = Σ_t w_t x̃_{s i + t}``, ``x̃`` the zero-padded input.

    Parameters
    ----------
    x : array, shape (n,)
    w : array, shape (k,)

    Returns
    -------
    y : array, shape (m,), ``m = ⌊(n + 2p − k)/s⌋ + 1``
    """
    xp, k = pad1d(x, padding), len(w)
    m = output_length(len(x), k, stride, padding)
    return sum(w[t] * xp[t:t + stride * (m - 1) + 1:stride] for t in range(k))


def unfold1d(x, k, stride=1, padding=0):
    """The unfolded input ``U (m, k)`` with ``U[i, t] = x̃[s i + t]``, so ``y = U w = ∂y/∂w · w``."""
    xp = pad1d(x, padding)
    m = output_length(len(x), k, stride, padding)
    return np.stack([xp[t:t + stride * (m - 1) + 1:stride] for t in range(k)], axis=1)


def toeplitz1d(w, n, stride=1, padding=0):
    """The banded matrix ``T (m, n)``, ``T[i, j] = w[j + p − s i]`` (0 off the band), ``y = T x``.

    ``T`` is the Jacobian ``∂y/∂x``; with stride 1 and no padding it is a
    Toeplitz matrix (constant along each diagonal).
    """
    w = np.asarray(w)
    k = len(w)
    m = output_length(n, k, stride, padding)
    T = np.zeros((m, n), dtype=w.dtype)
    for t in range(k):  # tap t of output i reads input j = s i + t − p
        i = np.arange(m)
        j = stride * i + t - padding
        ok = (j >= 0) & (j < n)
        T[i[ok], j[ok]] = w[t]
    return T


def dilate(delta, stride):
    """``δ`` with ``stride − 1`` zeros between neighbours: length ``(m − 1)s + 1``."""
    delta = np.asarray(delta)
    out = np.zeros((len(delta) - 1) * stride + 1, dtype=delta.dtype)
    out[::stride] = delta
    return out


def correlate1d_grad_w(x, delta, k, stride=1, padding=0):
    r"""``∂L/∂w``: the correlation of the padded input with the dilated ``δ``.

    .. math:: \frac{\partial L}{\partial w_t} = \sum_i \delta_i\, \tilde x_{s i + t}
              = \sum_r \tilde x_{t + r}\, \delta^{(s)}_r

    Returns an array of shape ``(k,)``.
    """
    xp, d = pad1d(x, padding), dilate(delta, stride)
    return np.array([xp[t:t + len(d)] @ d for t in range(k)])


def correlate1d_grad_x(delta, w, n, stride=1, padding=0):
    r"""``∂L/∂x``: the full convolution of the dilated ``δ`` with ``w``, cropped to ``x``.

    .. math:: \frac{\partial L}{\partial \tilde x_j} = \sum_t w_t\, \delta^{(s)}_{j - t}
              \quad (\delta^{(s)} \text{ zero outside its range})

    then the ``p`` entries at each end (the padding) are dropped. This is the
    *transposed convolution*: multiplication by ``Tᵀ``. Returns shape ``(n,)``.
    """
    w, d = np.asarray(w), dilate(delta, stride)
    full = np.zeros(n + 2 * padding, dtype=np.result_type(w.dtype, d.dtype))
    for t in range(len(w)):  # full convolution: tap t shifts δ right by t
        full[t:t + len(d)] += w[t] * d
    return full[padding:padding + n]


def dilated_correlate1d(x, w, dilation):
    """``y_i = Σ_t w_t x_{i + d t}`` (exercise of chapter 23; no stride or padding)."""
    k, span = len(w), dilation * (len(w) - 1) + 1
    m = len(x) - span + 1
    return sum(w[t] * x[dilation * t:dilation * t + m] for t in range(k))


def dilated_correlate1d_grad_w(x, delta, k, dilation):
    """``∂L/∂w_t = Σ_i δ_i x_{i + d t}``: the correlation of ``x`` with ``δ``, read every ``d``."""
    m = len(delta)
    return np.array([x[dilation * t:dilation * t + m] @ delta for t in range(k)])


def dilated_correlate1d_grad_x(delta, w, n, dilation):
    """``∂L/∂x``: the full convolution of ``δ`` with the kernel spread out by ``d`` (``dilate(w, d)``)."""
    return correlate1d_grad_x(delta, dilate(w, dilation), n)


def prove_conv1d_collapse_all_sizes(wrong_w=False, wrong_x=False):
    r"""Prove the two collapses for symbolic lengths ``n`` and ``k`` (stride 1, no padding).

    With ``IndexedBase`` symbols, ``y_i = Σ_{t=0}^{k−1} w_t x_{i+t}`` for
    ``i = 0 … m−1``, ``m = n − k + 1``, and ``L = Σ_i δ_i y_i``. SymPy
    differentiates ``L`` by ``w_j`` and by ``x_j``, sums the Kronecker deltas
    away, and compares with

    * the correlation ``Σ_i x_{i+j} δ_i`` (for ``0 ≤ j ≤ k−1``, written as
      ``k = j + 1 + q`` with ``q ≥ 0``), and
    * the full convolution ``Σ_i δ_i w̃_{j−i}``, ``w̃`` zero outside ``0 … k−1``.

    Parameters
    ----------
    wrong_w, wrong_x : bool
        Compare with a flipped kernel index instead (``x_{i+k−1−j}``, ``w̃_{i−j}``):
        the tests use this to show the proof can fail.

    Returns
    -------
    dict
        ``{"w": ProofResult, "x": ProofResult}``; ``details`` hold ``"y_i"``,
        ``"loss"``, ``"raw"`` (the derivative before summing) and ``"collapsed"``.
    """
    n, k = sp.symbols("n k", integer=True, positive=True)
    i, t, j, q = sp.symbols("i t j q", integer=True, nonnegative=True)
    x, w, d = sp.IndexedBase("x"), sp.IndexedBase("w"), sp.IndexedBase(r"\delta")
    m = n - k + 1
    y_i = sp.Sum(w[t] * x[i + t], (t, 0, k - 1))
    L = sp.Sum(d[i] * y_i, (i, 0, m - 1))

    def w_ext(e):
        return sp.Piecewise((w[e], (e >= 0) & (e <= k - 1)), (0, True))

    in_range = {k: j + 1 + q}  # 0 ≤ j ≤ k − 1, the indices of the kernel
    compact = {
        "w": sp.Sum(x[i + (k - 1 - j if wrong_w else j)] * d[i], (i, 0, m - 1)).subs(in_range),
        "x": sp.Sum(d[i] * w_ext(i - j if wrong_x else j - i), (i, 0, m - 1)),
    }
    results = {}
    for name, var, subs in (("w", w, in_range), ("x", x, {})):
        raw = sp.diff(L, var[j])
        collapsed = sp.simplify(raw.doit().subs(subs))
        fast = compact[name]
        holds = sp.simplify(canonical_indices(collapsed) - canonical_indices(fast)) == 0
        results[name] = ProofResult(
            f"dL/d{name} of the 1-D correlation collapses for all n, k", bool(holds),
            collapsed, fast, {"y_i": y_i, "loss": L, "raw": raw, "collapsed": collapsed})
    return results
