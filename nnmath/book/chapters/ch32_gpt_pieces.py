r"""Chapter 32 (The pieces of a GPT: GELU, RMSNorm and rotary positions): its own demonstrations.

The formulas the chapter derives live in the library (:mod:`nnmath.gelu`,
:mod:`nnmath.rmsnorm`, :mod:`nnmath.rope`). What is here lets SymPy reach
them: the GELU written with SymPy's ``erf`` and ``tanh`` for one entry, the
normalisation steps on object arrays, a proof for every size that an
element-wise map's gradient is the upstream gradient times the derivative of
each entry, and the studies of the chapter (the gap between the two GELUs,
the spectra of the two normalisations' Jacobians, the rotation matrix of a
position).
"""

import numpy as np
import sympy as sp

from ... import gelu as _gelu
from ... import rmsnorm as _rms
from ... import rope as _rope
from ..symbolic import ProofResult, is_zero

__all__ = ["GELU_A", "gelu_entry", "gelu_prime_entry", "gelu_any", "gelu_vjp_any",
           "prove_elementwise_all_sizes", "gelu_gap", "rms_normalize_any", "rms_bracket",
           "rms_row_jacobian", "rms_spectrum", "rank_table", "rotation", "rope_matrix",
           "rotate_half_permutation", "prove_relative_position_block", "cos_sin_any"]

GELU_A = sp.Rational(44715, 10 ** 6)   # the 0.044715 of the tanh approximation, as an exact rational


def gelu_entry(x, approximate="none"):
    r"""GELU of one SymPy expression: ``x Φ(x)`` with ``Φ(x) = ½(1 + erf(x/√2))``, or the tanh form."""
    if approximate == "tanh":
        u = sp.sqrt(2 / sp.pi) * (x + GELU_A * x ** 3)
        return x * (1 + sp.tanh(u)) / 2
    return x * (1 + sp.erf(x / sp.sqrt(2))) / 2


def gelu_prime_entry(x, approximate="none"):
    r"""The chapter's closed forms of GELU', for one SymPy expression.

    ``"none"``: ``Φ(x) + x φ(x)``; ``"tanh"``:
    ``½(1 + tanh u) + ½ x (1 − tanh² u) u'`` with ``u = √(2/π)(x + a x³)``.
    The same formulas, in NumPy, are :func:`nnmath.gelu.gelu_grad_Z`.
    """
    if approximate == "tanh":
        c = sp.sqrt(2 / sp.pi)
        t = sp.tanh(c * (x + GELU_A * x ** 3))
        return (1 + t) / 2 + x * (1 - t ** 2) * c * (1 + 3 * GELU_A * x ** 2) / 2
    Phi = (1 + sp.erf(x / sp.sqrt(2))) / 2
    phi = sp.exp(-x ** 2 / 2) / sp.sqrt(2 * sp.pi)
    return Phi + x * phi


def gelu_any(X, approximate="none"):
    """:func:`nnmath.gelu.gelu` of a numeric array, or :func:`gelu_entry` of each entry of an object array."""
    X = np.asarray(X)
    if X.dtype == object:
        return np.vectorize(lambda v: gelu_entry(v, approximate), otypes=[object])(X)
    return _gelu.gelu(X, approximate)


def gelu_vjp_any(delta, X, approximate="none"):
    """:func:`nnmath.gelu.gelu_grad_Z` for numbers; ``δ ⊙`` :func:`gelu_prime_entry` for symbols."""
    X = np.asarray(X)
    if X.dtype == object or np.asarray(delta).dtype == object:
        prime = np.vectorize(lambda v: gelu_prime_entry(v, approximate), otypes=[object])(X)
        return np.asarray(delta, dtype=object) * prime
    return _gelu.gelu_grad_Z(delta, X, approximate)


def prove_elementwise_all_sizes(forward_entry, vjp, name):
    r"""Prove ``∂L/∂x = δ ⊙ f'(x)`` for an element-wise ``y_i = f(x_i)`` of any length, and the VJP.

    Two steps. (1) Index notation with a symbolic length ``n`` and an
    undefined function ``f``: ``∂/∂x_j Σ_{i<n} δ_i f(x_i)`` collapses (a
    Kronecker delta) to ``δ_j f'(x_j)`` for every ``0 ≤ j < n``. (2) The
    formula under test, applied entry-wise to one symbolic entry ``x`` with
    upstream ``δ``, equals ``δ · d/dx forward_entry(x)`` exactly.

    Parameters
    ----------
    forward_entry : callable
        ``f`` on one SymPy expression.
    vjp : callable
        ``vjp(delta, X)`` on object arrays: the compact formula under test.
    name : str
        For the statement.

    Returns
    -------
    ProofResult
        ``details``: ``"collapsed"`` (step 1) and ``"derivative"`` (step 2).
    """
    n = sp.Symbol("n", integer=True, positive=True)
    i, j = sp.symbols("i j", integer=True, nonnegative=True)
    x, d = sp.IndexedBase("x"), sp.IndexedBase(r"\delta")
    f = sp.Function("f")
    collapsed = sp.diff(sp.Sum(d[i] * f(x[i]), (i, 0, n - 1)), x[j]).doit()
    expected = sp.Derivative(f(x[j]), x[j]) * d[j]
    step1 = sp.simplify(collapsed - sp.Piecewise((expected, (j >= 0) & (j <= n - 1)), (0, True))) == 0
    xs, ds = sp.Symbol("x", real=True), sp.Symbol(r"\delta", real=True)
    derivative = sp.diff(forward_entry(xs), xs)
    claimed = np.asarray(vjp(np.array([ds], dtype=object), np.array([xs], dtype=object)),
                         dtype=object).ravel()
    step2 = claimed.shape == (1,) and is_zero([ds * derivative - claimed[0]])
    return ProofResult(f"{name}: dL/dx = delta * f'(x) for every length n", bool(step1 and step2),
                       ds * derivative, claimed[0] if claimed.size else None,
                       {"collapsed": collapsed, "derivative": derivative})


def gelu_gap(lo=-8.0, hi=8.0, num=16001):
    """Largest differences between the exact GELU and its tanh form, and between their derivatives.

    Returns
    -------
    dict
        ``"value"``, ``"value_at"``, ``"slope"``, ``"slope_at"``: the maxima of
        ``|GELU − GELU_tanh|`` and ``|GELU' − GELU_tanh'|`` on ``num`` points of
        ``[lo, hi]`` and where they occur.
    """
    x = np.linspace(lo, hi, num)
    ones = np.ones_like(x)
    dv = np.abs(_gelu.gelu(x) - _gelu.gelu(x, "tanh"))
    ds = np.abs(_gelu.gelu_grad_Z(ones, x) - _gelu.gelu_grad_Z(ones, x, "tanh"))
    return {"x": x, "value": float(dv.max()), "value_at": float(x[dv.argmax()]),
            "slope": float(ds.max()), "slope_at": float(x[ds.argmax()])}


# -- RMSNorm ------------------------------------------------------------------------

def rms_normalize_any(X, eps):
    """``(x̂, 1/r)`` of :func:`nnmath.rmsnorm.rms_normalize`, also for SymPy object arrays."""
    X = np.asarray(X)
    if X.dtype != object:
        return _rms.rms_normalize(X, eps)
    eps = np.asarray(eps, dtype=object)[()]
    inv_rms = np.vectorize(lambda v: 1 / sp.sqrt(v + eps), otypes=[object])(
        np.mean(X * X, axis=-1, keepdims=True))
    return X * inv_rms, inv_rms


def rms_bracket(xhat):
    r"""The matrix :math:`I - \hat x\hat x^\top / D` of a normalised row ``x̂ (D,)``."""
    xhat = np.asarray(xhat)
    D = xhat.shape[-1]
    return np.eye(D, dtype=xhat.dtype) - np.outer(xhat, xhat) / D


def rms_row_jacobian(x, eps):
    r"""``∂x̂/∂x`` of one row for RMSNorm: :math:`\frac1r(I - \hat x\hat x^\top/D)`, numbers or symbols."""
    xhat, inv_rms = rms_normalize_any(np.asarray(x), eps)
    return rms_bracket(xhat) * inv_rms[0]


def rms_spectrum(x, eps):
    """Eigenvalues (ascending) of the RMSNorm bracket of a row ``x``, and the predicted smallest one.

    The prediction is ``ε / (mean(x²) + ε)``, the eigenvalue on ``x̂``.
    """
    xhat, _ = _rms.rms_normalize(np.asarray(x, dtype=float), eps)
    ms = float(np.mean(np.asarray(x) ** 2))
    return np.linalg.eigvalsh(rms_bracket(xhat)), eps / (ms + eps)


def rank_table(sizes, eps_values, rng, *, tol=1e-12):
    """``{(norm, D, eps): rank}`` of the LayerNorm and RMSNorm brackets for a random row of each size."""
    from .ch20_layer_norm import bracket_spectrum
    table = {}
    for D in sizes:
        x = rng.standard_normal(D)
        for eps in eps_values:
            table["layer", D, eps] = int(np.sum(np.abs(bracket_spectrum(x, eps)[0]) > tol))
            table["rms", D, eps] = int(np.sum(np.abs(rms_spectrum(x, eps)[0]) > tol))
    return table


# -- rotary embedding -------------------------------------------------------------

def rotation(angle):
    r"""The 2×2 rotation :math:`\begin{pmatrix}\cos a & -\sin a\\ \sin a & \cos a\end{pmatrix}` (SymPy)."""
    return sp.Matrix([[sp.cos(angle), -sp.sin(angle)], [sp.sin(angle), sp.cos(angle)]])


def rope_matrix(cos_t, sin_t):
    """The matrix ``R_t`` with ``rope(x) = R_t x`` at one position, read off the library's :func:`~nnmath.rope.rope`.

    Parameters
    ----------
    cos_t, sin_t : ndarray, shape (m,)
        One row of :func:`nnmath.rope.rope_angles`.

    Returns
    -------
    R : ndarray, shape (2m, 2m)
        Column ``k`` is the rotation of the unit vector ``e_k``.
    """
    d = 2 * len(cos_t)
    return _rope.rope(np.eye(d)[:, None, :], cos_t[None], sin_t[None])[:, 0, :].T


def rotate_half_permutation(m):
    """Permutation matrix ``P`` (2m × 2m) with ``(P x) = (x_1, x_{1+m}, x_2, x_{2+m}, …)``.

    ``P R_t Pᵀ`` is block-diagonal with the 2×2 rotations by ``θ_{t,i}`` on its diagonal.
    """
    order = np.ravel(np.column_stack([np.arange(m), np.arange(m) + m]))
    return np.eye(2 * m)[order]


def prove_relative_position_block():
    r"""Prove :math:`R(a)^\top R(b) = R(b - a)` and :math:`R(a)^\top = R(-a)` for symbolic angles."""
    a, b = sp.symbols("a b", real=True)
    product = rotation(a).T * rotation(b)
    holds = is_zero(list(product - rotation(b - a))) and is_zero(list(rotation(a).T - rotation(-a)))
    return ProofResult("R(a)^T R(b) = R(b - a) and R(a)^T = R(-a) for all angles", holds,
                       product, rotation(b - a))


def cos_sin_any(theta):
    """``cos θ`` and ``sin θ`` entry by entry, for the inputs of :func:`nnmath.rope.rope`; numbers or symbols."""
    theta = np.asarray(theta)
    if theta.dtype == object:
        cos = np.vectorize(sp.cos, otypes=[object])(theta)
        sin = np.vectorize(sp.sin, otypes=[object])(theta)
    else:
        cos, sin = np.cos(theta), np.sin(theta)
    return cos, sin
