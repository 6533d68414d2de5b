r"""Registry entry of chapter 29: the Hessian-vector product of least squares.

Chapter 29 analyses momentum on a quadratic ``L(w) = 1/(2N) ‖Xw − y‖²``; its Hessian
``XᵀX/N`` is the matrix whose eigenvalues set the step-size limit ``2(1 + μ)/λ_max``.
The Hessian-vector product is the gradient of the directional derivative
``⟨∇L(w), V⟩ = ⟨Xᵀ(Xw − y)/N, V⟩`` with respect to ``w``: ``XᵀXV/N``, which is the
least-squares gradient at ``V`` with the targets set to zero. The entry's compact
formula is exactly that, built from the library's :func:`~nnmath.matmul.matmul_grad_W`
and :func:`~nnmath.losses.mse_grad_Y`.

The chapter's other results (the momentum matrix and its step limit, Adam's bias
correction) are statements about recurrences, not vector-Jacobian products; they are
proved in :mod:`nnmath.book.chapters.ch29_momentum_adam` and checked in
``tests/book/test_ch29_momentum_adam.py``.
"""

import numpy as np

from ... import losses as los
from ... import matmul as mm
from ..symbolic import ProofResult
from .core import IdentityEntry, register

__all__ = ["least_squares_directional_derivative", "least_squares_hvp",
           "prove_least_squares_hvp_all_sizes"]


def least_squares_directional_derivative(w, V, X, y):
    """``⟨∇L(w), V⟩`` for ``L(w) = 1/(2N)‖Xw − y‖²``: ``w, V (D, 1)``, ``X (N, D)``, ``y (N, 1)``; a scalar."""
    gradient = mm.matmul_grad_W(los.mse_grad_Y(mm.matmul_forward(X, w), y), X)   # Xᵀ(Xw − y)/N
    return np.sum(gradient * V)


def least_squares_hvp(delta, out, w, V, X, y):
    """``δ · XᵀXV/N``: the least-squares gradient at weights ``V`` with zero targets, times ``δ``."""
    return delta * mm.matmul_grad_W(los.mse_grad_Y(mm.matmul_forward(X, V), 0 * y), X)


def prove_least_squares_hvp_all_sizes(compact=least_squares_hvp):
    r"""Prove ``∇_w ⟨∇L(w), V⟩ = XᵀXV/N`` for symbolic ``N, D`` (SymPy matrix calculus).

    ``X``, ``w``, ``V``, ``y`` are ``MatrixSymbol`` s of symbolic shape; SymPy
    differentiates the ``1×1`` matrix expression ``Vᵀ Xᵀ(Xw − y)/N`` by ``w`` and the
    result, times ``δ``, is compared with ``compact`` applied to the same symbols.
    """
    import sympy as sp

    N, D = sp.symbols("N D", integer=True, positive=True)
    X, y = sp.MatrixSymbol("X", N, D), sp.MatrixSymbol("y", N, 1)
    w, V = sp.MatrixSymbol("w", D, 1), sp.MatrixSymbol("V", D, 1)
    delta = sp.Symbol("delta")
    phi = mm.matmul_grad_W(los.mse_grad_Y(mm.matmul_forward(X, w), y), X).T * V
    slow = delta * sp.diff(phi, w)
    fast = compact(delta, None, w, V, X, y)
    difference = sp.simplify(sp.expand(slow - fast))
    holds = difference == sp.ZeroMatrix(D, 1) or difference == 0
    return ProofResult(statement="∇_w ⟨∇L(w), V⟩ = XᵀXV/N for all N, D", holds=bool(holds),
                       slow=slow, fast=fast, details={"phi": phi, "difference": difference,
                                "method": "matrix calculus"})


def _sample(rng, N=5, D=3):
    return {"w": rng.standard_normal((D, 1)), "V": rng.standard_normal((D, 1)),
            "X": rng.standard_normal((N, D)), "y": rng.standard_normal((N, 1))}


def _tensor_forward(w, V, X, y):
    # ⟨Xᵀ(Xw − y)/N, V⟩ = ⟨Xw − y, XV⟩/N, the products as broadcast multiplies and sums
    D = w.shape[0]
    Xw = (X * w.reshape((1, D))).sum(axis=1, keepdims=True)
    XV = (X * V.reshape((1, D))).sum(axis=1, keepdims=True)
    return ((Xw - y) * XV).sum() * (1.0 / X.shape[0])


register(IdentityEntry(
    name="least_squares_hvp",
    title="Least squares: Hessian-vector product",
    latex=(r"L(\vb{w}) = \tfrac{1}{2N}\lVert X\vb{w} - \vb{y}\rVert^2 \;\Rightarrow\; "
           r"\nabla_{\vb{w}} \bigl\langle \nabla L(\vb{w}), \vb{v} \bigr\rangle "
           r"= \tfrac{1}{N} X\T X \vb{v}"),
    shapes={"X": "(N, D)", "w": "(D, 1)", "V": "(D, 1)", "y": "(N, 1)", "delta": "()",
            "HV": "(D, 1)"},
    forward=least_squares_directional_derivative,
    wrt="w",
    compact=least_squares_hvp,
    sample=_sample,
    symbolic_sizes=({"w": (2, 1), "V": (2, 1), "X": (3, 2), "y": (3, 1)},
                    {"w": (3, 1), "V": (3, 1), "X": (2, 3), "y": (2, 1)}),
    tensor_forward=_tensor_forward,
    notes=("The Hessian XᵀX/N does not depend on w: L is quadratic. Its eigenvalues bound "
           "the step sizes of momentum in chapter 29. The autodiff route writes the products "
           "as broadcast multiplies and sums."),
    all_sizes_proof=prove_least_squares_hvp_all_sizes,
    all_sizes_method="matrix calculus",
))
