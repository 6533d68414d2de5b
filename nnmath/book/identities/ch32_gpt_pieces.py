r"""Registry entries of chapter 32: GELU (exact and tanh), RMSNorm and the rotary embedding.

The compact formulas are the library's: :func:`nnmath.gelu.gelu_grad_Z`,
:func:`nnmath.rmsnorm.rms_normalize_grad_X` (fed the ``x̂`` and ``1/r`` the
layer caches), :func:`nnmath.norm.affine_grads` for the scale and
:func:`nnmath.rope.rope_grad_X`. NumPy's error function in
:mod:`nnmath.gelu` cannot act on SymPy symbols, so the GELU entries' SymPy
route evaluates the same closed forms written with SymPy's ``erf`` and
``tanh`` (:func:`~nnmath.book.chapters.ch32_gpt_pieces.gelu_prime_entry`);
``tests/book/test_ch32_gpt_pieces.py`` checks that these agree with the library to
round-off. The GELU entries also carry a proof for every length (index
notation, then the exact derivative of one entry). The RMSNorm and rotary
entries feed the library's own functions with symbols, at fixed sizes, with
``ε`` and the angles kept symbolic. Their proofs for every size are in index
notation: RMSNorm's run the library's :func:`~nnmath.rmsnorm.rms_normalize`
and :func:`~nnmath.rmsnorm.rms_normalize_grad_X` on arrays of symbolic
``N, D`` (every ``ε > 0``), as LayerNorm's do; the rotary entry's, which
slices ``X[..., m:]``, runs twins that write the rotate-half pairing as index
arithmetic (:func:`rope_twin`), for symbolic ``T, m`` and every angle. The engine routes are
:mod:`nnmath.autodiff.gpt`'s compositions (``erf`` with its own rule; a
square, mean, square root and division; a constant signed permutation times
``sin θ``), never the rules under test.
"""

from functools import lru_cache

import numpy as np
import sympy as sp

from ... import autodiff as ad
from ...norm import affine_grads
from ...rmsnorm import rms_normalize, rms_normalize_grad_X
from ...rope import rope, rope_grad_X
from .. import allsizes as ia
from ..allsizes import IndexArray, Iverson, as_index_array, fresh_index, leaf, size_symbols
from ..allsizes_proofs import INDEX, collapse, decide, index_symbols, prove_index_notation
from ..allsizes_tools import _holds
from ..chapters import ch32_gpt_pieces as ch32
from ..symbolic import ProofResult
from .core import IdentityEntry, register


def _sample_gelu(rng):
    return {"X": 2.0 * rng.standard_normal((4, 3))}


for _approx, _name, _latex, _title in (
        ("none", "gelu_grad_Z",
         r"y = x\,\Phi(x) \;\Rightarrow\; \frac{\partial L}{\partial x} = \delta\,"
         r"\bigl(\Phi(x) + x\,\varphi(x)\bigr)",
         "GELU (exact): gradient with respect to the input"),
        ("tanh", "gelu_tanh_grad_Z",
         r"y = \tfrac12 x\,(1 + \tanh u),\ u = \sqrt{2/\pi}\,(x + a x^3) \;\Rightarrow\; "
         r"\frac{\partial L}{\partial x} = \delta\Bigl(\tfrac12(1 + \tanh u) + \tfrac12 x\,"
         r"(1 - \tanh^2 u)\sqrt{2/\pi}\,(1 + 3 a x^2)\Bigr)",
         "GELU (tanh approximation): gradient with respect to the input")):
    def _compact(delta, out, X, _a=_approx):
        return ch32.gelu_vjp_any(delta, X, _a)

    def _proof_all(compact, _a=_approx, _n=_name):
        return ch32.prove_elementwise_all_sizes(
            lambda x: ch32.gelu_entry(x, _a), lambda d, X: compact(d, None, X=X), _n)

    register(IdentityEntry(
        name=_name,
        title=_title,
        latex=_latex,
        shapes={"X": "any shape S", "delta": "S", "dL/dX": "S"},
        forward=lambda X, _a=_approx: ch32.gelu_any(X, _a),
        wrt="X",
        compact=_compact,
        sample=_sample_gelu,
        symbolic_sizes=({"X": (2,)}, {"X": (2, 2)}),
        tensor_forward=lambda X, _a=_approx: ad.gpt.gelu(X, _a),
        notes=("Element-wise, entry by entry; Phi and phi are the standard normal "
               "distribution and density, a = 0.044715. The engine differentiates "
               "x * (1 + erf(x / sqrt 2)) / 2 with erf' = 2 exp(-x^2) / sqrt(pi)."),
        all_sizes_proof=_proof_all, all_sizes_method=INDEX,
    ))


# -- RMSNorm ---------------------------------------------------------------------

def rms_normalize_sym(X, eps):
    """``(x̂, 1/r)`` as the layer computes them: the chapter's glue, or for an
    :class:`~nnmath.book.allsizes.IndexArray` (symbolic sizes) the library's own
    :func:`nnmath.rmsnorm.rms_normalize` (as LayerNorm's entries do)."""
    if isinstance(X, IndexArray):
        return rms_normalize(X, eps)
    return ch32.rms_normalize_any(X, eps)


def rms_norm_any(X, gamma, eps):
    """RMSNorm's forward ``γ ⊙ x/r`` over the last axis, for numbers or SymPy symbols."""
    return rms_normalize_sym(X, eps)[0] * gamma


def _rms_grad_X(delta, out, X, gamma, eps):
    Xhat, inv_rms = rms_normalize_sym(X, eps)
    return rms_normalize_grad_X(delta * gamma, Xhat, inv_rms)


def _rms_grad_gamma(delta, out, X, gamma, eps):
    return affine_grads(delta, rms_normalize_sym(X, eps)[0], 0)[0]


_N, _D = size_symbols("N D")
_RMS_ALL = {"X": (_N, _D), "gamma": (_D,), "eps": ()}


def _sample_rms(rng, N=4, D=5):
    return {"X": rng.standard_normal((N, D)), "gamma": rng.standard_normal(D), "eps": 0.3}


_RMS_SIZES = ({"X": (1, 3), "gamma": (3,), "eps": ()}, {"X": (2, 3), "gamma": (3,), "eps": ()},
              {"X": (2, 2), "gamma": (2,), "eps": ()})

for _name, _wrt, _compact, _latex, _title in (
        ("rms_norm_grad_X", "X", _rms_grad_X,
         r"\frac{\partial L}{\partial \vb{x}_n} = \frac{1}{r_n}\Bigl(\vb{g}_n - \hat{\vb{x}}_n"
         r"\operatorname{mean}(\vb{g}_n \odot \hat{\vb{x}}_n)\Bigr),\ \vb{g}_n = \vb{\gamma} \odot \vb{\delta}_n",
         "RMSNorm: gradient with respect to the input"),
        ("rms_norm_grad_gamma", "gamma", _rms_grad_gamma,
         r"\frac{\partial L}{\partial \vb{\gamma}} = \sum_n \vb{\delta}_n \odot \hat{\vb{x}}_n",
         "RMSNorm: gradient with respect to the scale")):
    register(IdentityEntry(
        name=_name,
        title=_title,
        latex=(r"Y = \vb{\gamma} \odot \hat{X},\ \hat{\vb{x}}_n = \vb{x}_n / r_n,\ "
               r"r_n = \sqrt{\operatorname{mean}(\vb{x}_n^2) + \varepsilon} \;\Rightarrow\; " + _latex),
        shapes={"X": "(N, D)", "gamma": "(D,)", "delta": "(N, D)",
                f"dL/d{_wrt}": "(N, D)" if _wrt == "X" else "(D,)"},
        forward=rms_norm_any,
        wrt=_wrt,
        compact=_compact,
        sample=_sample_rms,
        symbolic_sizes=_RMS_SIZES,
        tensor_forward=lambda X, gamma, eps: ad.gpt.rms_norm(X, gamma, eps),
        notes="Means over the last axis; eps is a symbol in the SymPy check, so it covers every eps.",
        all_sizes_method=INDEX, all_sizes_proof=lru_cache(maxsize=8)(
            lambda compact, _n=_name, _w=_wrt: prove_index_notation(
                rms_norm_any, _RMS_ALL, _w, compact,
                statement=f"{_n}: for all N, D and every eps > 0",
                assumptions={"eps": {"positive": True}})),
    ))


# -- rotary embedding --------------------------------------------------------------

def rope_any(X, theta):
    """:func:`nnmath.rope.rope` of ``X (T, 2m)`` with the angles ``theta (T, m)``, numbers or symbols."""
    return rope(X, *ch32.cos_sin_any(theta))


def _rope_grad_X(delta, out, X, theta):
    return rope_grad_X(delta, *ch32.cos_sin_any(theta))


def _rope_tensor(X, theta):
    cos, sin = np.cos(theta.data), np.sin(theta.data)
    m = cos.shape[-1]
    P = np.zeros((2 * m, 2 * m))
    P[m:, :m], P[:m, m:] = -np.eye(m), np.eye(m)     # (x P) = (−x_{m:}, x_{:m})
    return X * np.tile(cos, 2) + ad.sequence.linear(X, P) * np.tile(sin, 2)


# The proof for every size. rope slices X[..., m:], which an IndexArray of symbolic size
# does not support, so the forward and the gradient are run through twins that state the
# rotate-half pairing as index arithmetic: x1_{t,i} = x_{t,i}, x2_{t,i} = x_{t,i+m} and
# y = [x1 cos - x2 sin, x2 cos + x1 sin] stacked along the last axis (ia.concatenate), with
# rope_grad_X = the same map with sin negated. tests/book/test_all_sizes.py checks the twins
# against rope and rope_grad_X on random numbers.

def rope_halves(X):
    """``(x_{:, :m}, x_{:, m:})`` of an IndexArray ``X (T, 2m)``: entry ``i`` and entry ``i + m``."""
    m = X.shape[-1] / 2
    return (IndexArray(X.shape[:-1] + (m,), lambda i: X.at(tuple(i[:-1]) + (i[-1],))),
            IndexArray(X.shape[:-1] + (m,), lambda i: X.at(tuple(i[:-1]) + (i[-1] + m,))))


def rope_twin(X, cos, sin):
    """:func:`nnmath.rope.rope` on IndexArrays: ``[x1 cos − x2 sin, x2 cos + x1 sin]``."""
    x1, x2 = rope_halves(X)
    return ia.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)


def _cos_sin_twin(theta):
    return theta.map(sp.cos), theta.map(sp.sin)


def rope_forward_twin(X, theta):
    """The entry's forward :func:`rope_any` on IndexArrays."""
    return rope_twin(X, *_cos_sin_twin(theta))


def rope_grad_X_twin(delta, out, X, theta):
    """The entry's formula, :func:`nnmath.rope.rope_grad_X` (rope with ``sin`` negated), on IndexArrays."""
    cos, sin = _cos_sin_twin(theta)
    return rope_twin(delta, cos, -sin)


def _settle_both(expr, ranges):
    """Each relation in a bracket that the ranges decide, replaced by ``True`` or ``False``."""
    def settle(bracket):
        cond, rule = bracket.args[0], {}
        for rel in cond.atoms(sp.Rel):
            if _holds(rel, ranges):
                rule[rel] = sp.true
            elif _holds(rel.negated, ranges):
                rule[rel] = sp.false
        return Iverson(cond.xreplace(rule))
    return expr.replace(lambda e: isinstance(e, Iverson), settle)


_T, _M = size_symbols("T m")


@lru_cache(maxsize=8)
def prove_rope_grad_all_sizes(compact):
    r"""Prove ``∂L/∂X = R_tᵀ δ_t`` for rope at symbolic ``T`` and ``m``, every angle.

    Index notation: ``L = Σ_{t<T} Σ_{j<2m} δ_{tj} y_{tj}`` with ``y`` the twin's
    entries (brackets ``[j < m]`` and ``[m ≤ j < 2m]`` pick the half, the partner
    index is ``j ± m``) and the angles ``θ_{ti}`` symbols; ``∂L/∂X_{t,c}`` has its
    Kronecker deltas summed away. The column ``c`` is then split into its two
    halves, ``c = a`` and ``c = a + m`` with ``0 ≤ a < m``, where every bracket is
    decided by the ranges, and the difference from ``compact`` must vanish in both.
    """
    X, theta = leaf("X", (_T, 2 * _M)), leaf("theta", (_T, _M))
    statement = "rope_grad_X: dL/dX = R_t^T delta_t for all T, m and every angle"
    info = {"method": INDEX}
    out = rope_forward_twin(X, theta)
    delta = leaf("delta", out.shape)
    j0, j1 = fresh_index("j"), fresh_index("j")
    loss = sp.Sum(sp.Sum(delta.at((j0, j1)) * out.at((j0, j1)), (j1, 0, 2 * _M - 1)),
                  (j0, 0, _T - 1))
    t, c = index_symbols(2)
    raw = sp.diff(loss, X.at((t, c)))
    slow = collapse(raw, {t: (0, _T - 1), c: (0, 2 * _M - 1)})
    try:
        fast = as_index_array(compact(delta, out, X=X, theta=theta))
    except (TypeError, ValueError, NotImplementedError, IndexError) as err:
        return ProofResult(statement, False, slow, None, {**info, "reason": f"cannot run: {err}"})
    if len(fast.shape) != 2 or any(sp.simplify(a - b) != 0 for a, b in zip(fast.shape, X.shape)):
        return ProofResult(statement, False, slow, None, {**info, "reason": f"shape {fast.shape}"})
    fast = fast.at((t, c))
    a = sp.Symbol("a", integer=True, nonnegative=True)
    ranges = {t: (0, _T - 1), a: (0, _M - 1)}
    cases = {}
    for half, column in (("first", a), ("second", a + _M)):
        difference = _settle_both(collapse((slow - fast).xreplace({c: column}), ranges), ranges)
        cases[half] = (difference, decide(difference, (t, a)))
    return ProofResult(statement, all(h for _, h in cases.values()), slow, fast,
                       {**info, "index": (t, c), "loss": loss, "raw": raw, "cases": cases})


def _sample_rope(rng, T=4, m=3):
    return {"X": rng.standard_normal((T, 2 * m)), "theta": rng.uniform(-np.pi, np.pi, (T, m))}


register(IdentityEntry(
    name="rope_grad_X",
    title="Rotary embedding: gradient with respect to the input",
    latex=r"\vb{y}_t = R_t \vb{x}_t \;\Rightarrow\; \frac{\partial L}{\partial \vb{x}_t} = R_t^{\top} \vb{\delta}_t",
    shapes={"X": "(T, 2m)", "theta": "(T, m)", "delta": "(T, 2m)", "dL/dX": "(T, 2m)"},
    forward=rope_any,
    wrt="X",
    compact=_rope_grad_X,
    sample=_sample_rope,
    symbolic_sizes=({"X": (1, 2), "theta": (1, 1)}, {"X": (2, 4), "theta": (2, 2)},
                    {"X": (1, 6), "theta": (1, 3)}),
    tensor_forward=_rope_tensor,
    convention="column",
    notes=("Rotate-half pairing: plane i is (x_i, x_{i+m}), turned by theta_{t,i}. The engine "
           "route multiplies by a constant signed permutation, never rotating by -theta."),
    all_sizes_proof=prove_rope_grad_all_sizes, all_sizes_method=INDEX,
    all_sizes_twin=rope_grad_X_twin, all_sizes_forward=rope_forward_twin,
))

__all__ = ["rms_norm_any", "rms_normalize_sym", "rope_any", "rope_twin", "rope_forward_twin",
           "rope_grad_X_twin", "prove_rope_grad_all_sizes"]
