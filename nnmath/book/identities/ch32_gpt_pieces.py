r"""Registry entries of chapter 32: GELU (exact and tanh), RMSNorm and the rotary embedding.

The compact formulas are the library's: :func:`nnmath.gelu.gelu_backward`,
:func:`nnmath.rmsnorm.rms_normalize_backward` (fed the ``x̂`` and ``1/r`` the
layer caches), :func:`nnmath.norm.affine_grads` for the scale and
:func:`nnmath.rope.rope_backward`. NumPy's error function in
:mod:`nnmath.gelu` cannot act on SymPy symbols, so the GELU entries' SymPy
route evaluates the same closed forms written with SymPy's ``erf`` and
``tanh`` (:func:`~nnmath.book.chapters.ch32_gpt_pieces.gelu_prime_entry`);
``tests/test_ch32_gpt_pieces.py`` checks that these agree with the library to
round-off. The GELU entries also carry a proof for every length (index
notation, then the exact derivative of one entry). The RMSNorm and rotary
entries feed the library's own functions with symbols, at fixed sizes, with
``ε`` and the angles kept symbolic. The engine routes are
:mod:`nnmath.autodiff.gpt`'s compositions (``erf`` with its own rule; a
square, mean, square root and division; a constant signed permutation times
``sin θ``), never the rules under test.
"""

import numpy as np

from ... import autodiff as ad
from ...norm import affine_grads
from ...rmsnorm import rms_normalize_backward
from ...rope import rope, rope_backward
from ..chapters import ch32_gpt_pieces as ch32
from .core import IdentityEntry, register

CHAPTER = "derivations/32_gpt_pieces"


def _sample_gelu(rng):
    return {"X": 2.0 * rng.standard_normal((4, 3))}


for _approx, _name, _latex, _title in (
        ("none", "gelu_grad",
         r"y = x\,\Phi(x) \;\Rightarrow\; \frac{\partial L}{\partial x} = \delta\,"
         r"\bigl(\Phi(x) + x\,\varphi(x)\bigr)",
         "GELU (exact): gradient with respect to the input"),
        ("tanh", "gelu_tanh_grad",
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
        chapter=CHAPTER,
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
        extra={"all_sizes_proof": _proof_all},
    ))


# -- RMSNorm ---------------------------------------------------------------------

def rms_norm_any(X, gamma, eps):
    """RMSNorm's forward ``γ ⊙ x/r`` over the last axis, for numbers or SymPy symbols."""
    return ch32.rms_normalize_any(X, eps)[0] * gamma


def _rms_grad_X(delta, out, X, gamma, eps):
    Xhat, inv_rms = ch32.rms_normalize_any(X, eps)
    return rms_normalize_backward(delta * gamma, Xhat, inv_rms)


def _rms_grad_gamma(delta, out, X, gamma, eps):
    return affine_grads(delta, ch32.rms_normalize_any(X, eps)[0], 0)[0]


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
        chapter=CHAPTER,
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
        extra={"all_sizes_missing": "not yet: a proof in index notation with symbolic D, like "
                                    "LayerNorm's, is not written"},
    ))


# -- rotary embedding --------------------------------------------------------------

def rope_any(X, theta):
    """:func:`nnmath.rope.rope` of ``X (T, 2m)`` with the angles ``theta (T, m)``, numbers or symbols."""
    return rope(X, *ch32.cos_sin_any(theta))


def _rope_grad_X(delta, out, X, theta):
    return rope_backward(delta, *ch32.cos_sin_any(theta))


def _rope_tensor(X, theta):
    cos, sin = np.cos(theta.data), np.sin(theta.data)
    m = cos.shape[-1]
    P = np.zeros((2 * m, 2 * m))
    P[m:, :m], P[:m, m:] = -np.eye(m), np.eye(m)     # (x P) = (−x_{m:}, x_{:m})
    return X * np.tile(cos, 2) + ad.sequence.linear(X, P) * np.tile(sin, 2)


def _sample_rope(rng, T=4, m=3):
    return {"X": rng.standard_normal((T, 2 * m)), "theta": rng.uniform(-np.pi, np.pi, (T, m))}


register(IdentityEntry(
    name="rope_grad_X",
    title="Rotary embedding: gradient with respect to the input",
    chapter=CHAPTER,
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
    extra={"all_sizes_missing": "not yet: the rotation's proof for every size is in the text (a SymPy 2x2 proof plus the block structure), not a registry proof of this formula"},
))

__all__ = ["rms_norm_any", "rope_any"]
