r"""Registry entries and proofs of chapter 31 (derivations/31_shampoo_muon.ipynb).

* ``nuclear_norm_grad``: the gradient of ``‖G‖_* = Σ σᵢ`` is the polar factor ``U Vᵀ``
  (the steepest-descent direction under the spectral norm is ``−∇‖G‖_*``). SymPy check:
  at exact rational 2×2 points, against the derivative of the closed form
  ``‖G‖_* = √(‖G‖_F² + 2|det G|)``.
* Two proofs for every size (symbolic ``m, n, r``), by matrix-expression calculus on
  ``G = U S Vᵀ`` with ``UᵀU = VᵀV = I`` and ``S`` diagonal:
  :func:`prove_newton_schulz_on_singular_values` (one step of the library's
  :func:`~nnmath.optim.muon.newton_schulz_step` is ``U p(S) Vᵀ``) and
  :func:`prove_shampoo_is_polar` (``L^{-1/4} G R^{-1/4} = U Vᵀ``).
"""

import numpy as np
import sympy as sp

from ...optim.muon import newton_schulz_step
from ..chapters.ch31_shampoo_muon import SHAMPOO_POWER, nuclear_norm, polar_factor
from ..symbolic import ProofResult
from .core import IdentityEntry, register


# -- the nuclear norm's gradient, checked exactly at rational 2×2 points ----------------------
def _rotation(c, s):
    return sp.Matrix([[c, -s], [s, c]])


# G = R₁ diag(σ) R₂ᵀ with Pythagorean rotations: rational G, rational U Vᵀ, both signs of det.
_POINTS = [
    (_rotation(sp.Rational(3, 5), sp.Rational(4, 5)), (3, 1), _rotation(sp.Rational(5, 13),
                                                                        sp.Rational(12, 13))),
    (_rotation(sp.Rational(8, 17), sp.Rational(15, 17)), (5, 2),
     sp.diag(1, -1) * _rotation(sp.Rational(3, 5), sp.Rational(-4, 5))),
]


def _rational(x, denominator=10 ** 6):
    return sp.Rational(float(x)).limit_denominator(denominator)


def check_nuclear_grad_2x2(compact):
    """SymPy check: ``compact(δ, out, G)`` equals ``δ ∂‖G‖_*/∂G`` at exact rational 2×2 points.

    The closed form: ``σ₁² + σ₂² = ‖G‖_F²`` and ``σ₁σ₂ = |det G|`` give
    ``‖G‖_* = √(‖G‖_F² + 2|det G|)``; SymPy differentiates it with the sign of ``det G``
    of each point. The compact formula runs in floating point; its entries are read back
    as fractions with denominators up to 10⁶ and compared exactly.
    """
    g = sp.Matrix(2, 2, sp.symbols("g11 g12 g21 g22", real=True))
    results = []
    delta = sp.Rational(3, 7)
    for R1, sigma, R2 in _POINTS:
        G = R1 * sp.diag(*sigma) * R2.T
        sign = sp.sign(G.det())
        closed = sp.sqrt(sum(x ** 2 for x in g) + 2 * sign * g.det())
        point = dict(zip(g, G))
        exact = delta * sp.Matrix(2, 2, [sp.diff(closed, x).subs(point) for x in g])
        G_np = np.array(G.tolist(), dtype=float)
        got = compact(float(delta), nuclear_norm(G_np), G=G_np)
        read = sp.Matrix(2, 2, [_rational(x) for x in np.ravel(got)])
        results.append(ProofResult(f"∂‖G‖_*/∂G = UVᵀ at G = {G.tolist()} (det {sign})",
                                   (read - exact).is_zero_matrix, slow=exact, fast=read))
    return results


def nuclear_norm_tensor(G):
    """``tr((GᵀG)^{1/2})`` in engine operations: the Denman–Beavers square-root iteration.

    ``Y₀ = GᵀG``, ``Z₀ = I``; ``Y ← (Y + Z⁻¹)/2``, ``Z ← (Z + Y⁻¹)/2`` converges
    quadratically to ``(GᵀG)^{1/2}`` for positive definite ``GᵀG``; 30 steps, products,
    inverses and sums only (no SVD, no polar factor), so the engine's gradient is an
    independent route.
    """
    from ...autodiff import Tensor
    from ...autodiff.linalg import inv

    A = G.T @ G
    n = A.data.shape[0]
    Y, Z = A, Tensor(np.eye(n))
    for _ in range(30):
        Y, Z = (Y + inv(Z)) * 0.5, (Z + inv(Y)) * 0.5
    return (Y * np.eye(n)).sum()


register(IdentityEntry(
    name="nuclear_norm_grad",
    title="Nuclear norm: its gradient is the polar factor",
    latex=r"\ell = \|G\|_* = \sum_i \sigma_i \;\Rightarrow\; "
          r"\frac{\partial L}{\partial G} = \delta\, U V^\top",
    shapes={"G": "(m, n), rank min(m, n), distinct σ", "delta": "scalar", "dL/dG": "(m, n)"},
    forward=lambda G: nuclear_norm(G),
    wrt="G",
    compact=lambda delta, out, G: delta * polar_factor(G),
    sample=lambda rng: {"G": rng.standard_normal((4, 3))},
    proof=check_nuclear_grad_2x2,
    tensor_forward=nuclear_norm_tensor,
    notes="G = U Σ Vᵀ (thin SVD); differentiable where the rank is min(m, n).",
    all_sizes_missing=("the nuclear norm is a sum of singular values, which neither index "
                       "notation nor SymPy's matrix calculus expresses for symbolic sizes; "
                       "checked exactly at 2×2"),
))


# -- proofs for every size: products of U, S, V with UᵀU = VᵀV = I, S diagonal ----------------
def _flat(f):
    """A matrix factor as a list of ``[name, exponent]`` (``Ut`` for ``Uᵀ``), products unrolled."""
    if isinstance(f, sp.MatMul):
        return [item for g in f.args for item in _flat(g)]
    if isinstance(f, sp.MatPow):
        base, k = f.args
        if isinstance(base, sp.MatrixSymbol) and base.name in DIAGONAL:
            return [[base.name, sp.nsimplify(k)]]
        if not (k.is_Integer and k > 0):
            raise ValueError(f"_flat: cannot unroll {f}")
        return _flat(base) * int(k)
    if isinstance(f, sp.Transpose):
        inner = f.arg
        if isinstance(inner, sp.MatrixSymbol):
            return [[inner.name if inner.name in DIAGONAL else inner.name + "t", 1]]
        return [_transpose_of(item) for item in reversed(_flat(inner))]
    if isinstance(f, sp.MatrixSymbol):
        return [[f.name, 1]]
    raise ValueError(f"_flat: unexpected factor {f}")


def _transpose_of(item):
    """``[name, k]`` of a factor's transpose: a diagonal ``S^k`` is its own, ``U ↔ Uᵀ``."""
    name, k = item
    if name in DIAGONAL:
        return [name, k]
    return [name[:-1] if name.endswith("t") else name + "t", k]


def _words(expr):
    """``{word: coefficient}`` of an expanded sum of products, ``word`` a tuple of factors.

    A factor is ``("U", 1)``, ``("Ut", 1)``, ``("S", k)`` (a power of a diagonal matrix,
    exponents added across neighbours), ...; ``UᵀU`` and ``VᵀV`` collapse to ``I``.
    """
    words = {}
    expr = sp.expand(expr)
    for term in expr.args if isinstance(expr, sp.MatAdd) else (expr,):
        coeff, factors = term.as_coeff_matrices() if isinstance(term, sp.MatMul) else (1, [term])
        word = [item for f in factors for item in _flat(f)]
        changed = True
        while changed:
            changed = False
            for i in range(len(word) - 1):
                (a, ka), (b, kb) = word[i], word[i + 1]
                if (a, b) in (("Ut", "U"), ("Vt", "V")):
                    del word[i:i + 2]
                    changed = True
                    break
                if a == b and a in DIAGONAL:   # diagonal matrices: powers add
                    word[i:i + 2] = [[a, ka + kb]]
                    changed = True
                    break
                if a in DIAGONAL and b in DIAGONAL and a > b:   # and commute
                    word[i], word[i + 1] = word[i + 1], word[i]
                    changed = True
                    break
            word = [w for w in word if not (w[0] in DIAGONAL and w[1] == 0)]
        key = tuple((n, k) for n, k in word)
        words[key] = sp.expand(words.get(key, 0) + coeff)
    return {k: v for k, v in words.items() if v != 0}


DIAGONAL = {"S"}


def _usv(sizes=None):
    m, n, r = sp.symbols("m n r", integer=True, positive=True) if sizes is None else sizes
    return (sp.MatrixSymbol("U", m, r), sp.MatrixSymbol("S", r, r), sp.MatrixSymbol("V", n, r))


def prove_newton_schulz_on_singular_values(step=None):
    """Proof for every size: one Newton–Schulz step maps ``U S Vᵀ`` to ``U p(S) Vᵀ``.

    ``U (m×r)``, ``V (n×r)`` with ``UᵀU = VᵀV = I_r``, ``S (r×r)`` diagonal, ``m, n, r``
    symbolic; ``p(s) = a s + b s³ + c s⁵`` with symbolic ``a, b, c``. ``step(X, a, b, c)``
    is the library's :func:`~nnmath.optim.muon.newton_schulz_step` unless a test hands
    another.
    """
    step = newton_schulz_step if step is None else step
    a, b, c = sp.symbols("a b c", real=True)
    U, S, V = _usv()
    lhs = _words(step(U * S * V.T, a, b, c))
    rhs = _words(a * U * S * V.T + b * U * S ** 3 * V.T + c * U * S ** 5 * V.T)
    return ProofResult("for all m, n, r: step(U S Vᵀ) = U (aS + bS³ + cS⁵) Vᵀ", lhs == rhs,
                       slow=lhs, fast=rhs)


def prove_shampoo_is_polar(power=None):
    """Proof for every size: ``(GGᵀ)^p G (GᵀG)^p = U Vᵀ`` for ``p = −1/4`` (thin SVD, rank r).

    ``GGᵀ = U S² Uᵀ`` and ``GᵀG = V S² Vᵀ`` are eigendecompositions (``S > 0`` diagonal,
    orthonormal columns), so their powers on the range are ``U S^{2p} Uᵀ`` and
    ``V S^{2p} Vᵀ`` (the definition of a matrix function); the product then reduces to
    ``U S^{4p+1} Vᵀ``, which is ``U Vᵀ`` exactly when ``4p + 1 = 0``. ``power`` is the
    chapter's :data:`SHAMPOO_POWER` unless a test hands another.
    """
    p = sp.nsimplify(SHAMPOO_POWER if power is None else power)
    U, S, V = _usv()
    G = U * S * V.T
    left, right = U * S ** (2 * p) * U.T, V * S ** (2 * p) * V.T
    lhs = _words(left * G * right)
    rhs = _words(U * V.T)
    return ProofResult(f"for all m, n, r: (GGᵀ)^({p}) G (GᵀG)^({p}) = U Vᵀ", lhs == rhs,
                       slow=lhs, fast=rhs)
