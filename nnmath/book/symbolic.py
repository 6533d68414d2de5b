r"""SymPy helpers: symbolic arrays, Jacobian tensors, and proofs that they collapse.

:func:`prove_vjp` builds the full Jacobian of a forward function exactly,
contracts it with a symbolic upstream gradient ``δ``, and asks whether the
result minus the compact formula (the very function the layers run, evaluated
on symbols) simplifies to zero: a *check at those sizes*, exact but only for
the sizes given. :func:`prove_matmul_collapse_all_sizes` is a *proof* for every
size: it works with symbolic ``N, D, C`` in index notation.
"""

from dataclasses import dataclass, field
from itertools import count

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

from ..matmul import matmul_forward, matmul_grad_W, matmul_grad_X

__all__ = [
    "ProofResult",
    "symbol_array",
    "to_matrix",
    "jacobian_tensor",
    "contract",
    "is_zero",
    "canonical_indices",
    "to_latex",
    "prove_vjp",
    "prove_matmul_collapse",
    "prove_matmul_collapse_all_sizes",
]


@dataclass
class ProofResult:
    """Outcome of a symbolic check (at fixed sizes) or proof (for every size).

    Attributes
    ----------
    statement : str
        What was proved, in words.
    holds : bool
        True when the difference simplified to exactly zero.
    slow : object
        The result of the slow route (full Jacobian contracted with ``δ``).
    fast : object
        The compact formula evaluated on the same symbols.
    details : dict
        Intermediate objects a chapter may want to show (e.g. the Jacobian).
    """

    statement: str
    holds: bool
    slow: object = None
    fast: object = None
    details: dict = field(default_factory=dict)

    def __bool__(self):
        return bool(self.holds)


def symbol_array(name, shape, **assumptions):
    """NumPy object array of SymPy symbols named like ``X_{1,2}`` (1-based, as in math).

    Parameters
    ----------
    name : str
        Base name, LaTeX allowed (``"\\delta"``).
    shape : tuple of int
        ``()`` gives a single symbol in a 0-d array.
    **assumptions
        SymPy assumptions, e.g. ``real=True``.

    Returns
    -------
    A : ndarray of object, shape ``shape``
    """
    shape = tuple(shape)
    A = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        suffix = ",".join(str(i + 1) for i in index)
        label = f"{name}_{{{suffix}}}" if suffix else name
        A[index] = sp.Symbol(label, **assumptions)
    return A


def to_matrix(A):
    """Show a 0-, 1- or 2-D object array as a SymPy ``Matrix`` (vectors as rows)."""
    A = np.asarray(A, dtype=object)
    if A.ndim == 0:
        return sp.Matrix([[A[()]]])
    if A.ndim == 1:
        return sp.Matrix([list(A)])
    if A.ndim == 2:
        return sp.Matrix(A.tolist())
    raise ValueError(f"to_matrix: can only show arrays of up to 2 dimensions, got {A.shape}")


def jacobian_tensor(Y, X):
    """Exact Jacobian of every entry of ``Y`` with respect to every entry of ``X``.

    Parameters
    ----------
    Y : object array, shape ``S_out``
        SymPy expressions.
    X : object array, shape ``S_in``
        SymPy symbols.

    Returns
    -------
    J : object array, shape ``S_out + S_in``
        ``J[o + i] = ∂Y[o] / ∂X[i]``, the layout of :mod:`nnmath.book.jacobians`.
    """
    Y, X = np.asarray(Y, dtype=object), np.asarray(X, dtype=object)
    J = np.empty(Y.shape + X.shape, dtype=object)
    for o in np.ndindex(Y.shape):
        for i in np.ndindex(X.shape):
            J[o + i] = sp.diff(Y[o], X[i])
    return J


def contract(J, upstream):
    """Contract an exact Jacobian with a symbolic upstream gradient (sum over output axes)."""
    J, upstream = np.asarray(J, dtype=object), np.asarray(upstream, dtype=object)
    k = upstream.ndim
    out = np.empty(J.shape[k:], dtype=object)
    for i in np.ndindex(out.shape):
        out[i] = sp.Add(*[upstream[o] * J[o + i] for o in np.ndindex(upstream.shape)])
    return out


def _sample_point(symbols, rng):
    """Random values for ``symbols`` that respect their sign assumptions."""
    point = {}
    for s in symbols:
        magnitude = sp.Rational(int(rng.integers(11, 90)), 100)  # in (0.1, 0.9): no poles
        point[s] = -magnitude if s.is_negative or s.is_nonpositive else magnitude
    return point


def _numerically_nonzero(expr, rng, *, tol=1e-9):
    """True if ``expr`` evaluates to a non-zero number at a random point.

    The tolerance absorbs the round-off of Float coefficients such as 0.5; a
    wrong formula is off by O(0.1) at such a point. False means "zero there,
    or not a number (e.g. an undefined function)",
    which leaves the verdict to ``simplify``.
    """
    value = expr.xreplace(_sample_point(expr.free_symbols, rng))
    # Values (and derivatives) of undefined functions at the point are free
    # numbers too: an expression that vanishes for every function vanishes for
    # every choice of them, so a random choice may refute it, never confirm it.
    for kind in (sp.Subs, sp.Derivative, AppliedUndef):
        opaque = sorted(value.atoms(kind), key=sp.default_sort_key)
        value = value.xreplace({a: sp.Rational(int(rng.integers(11, 90)), 100) for a in opaque})
    value = value.evalf(50)
    try:
        return bool(value.is_number and abs(complex(value)) > tol)
    except (TypeError, ValueError):  # e.g. an undefined function SymPy cannot evaluate
        return False


def is_zero(A, *, seed=0):
    """True when every entry of ``A`` simplifies to exactly zero.

    An entry is first evaluated at a random rational point with 50 digits: a
    non-zero value refutes it at once (``simplify`` can grind for minutes on
    an expression that is not zero). Only entries that vanish there go on to
    ``simplify``, which alone can *prove* zero: the numeric evaluation may
    refute, never confirm, so an expression that happens to vanish at the
    sample point is still rejected unless it simplifies to 0.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> is_zero([sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1]), is_zero([x - 1])
    (True, False)
    """
    rng = np.random.default_rng(seed)
    entries = [sp.sympify(a) for a in np.asarray(A, dtype=object).flat]
    if any(_numerically_nonzero(e, rng) for e in entries):
        return False
    return all(sp.simplify(sp.expand(e)) == 0 for e in entries)


def canonical_indices(expr):
    """Rename the bound indices of every ``Sum`` to ``k0, k1, ...`` in a fixed order.

    Two sums that differ only in the names of their dummy indices (``Σ_a X_ac``
    and ``Σ_i X_ic``) become identical, so SymPy can see they are equal.
    """
    counter = count()

    def rename(s):
        body, limits = s.function, []
        for var, low, high in s.limits:
            new = sp.Symbol(f"k{next(counter)}", integer=True)
            body = body.xreplace({var: new})
            limits.append((new, low, high))
        return sp.Sum(body, *limits)

    return expr.replace(lambda e: isinstance(e, sp.Sum), rename)


class _BookLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer, with ``KroneckerDelta(i, j)`` as the bracket ``[i = j]``."""

    def _print_KroneckerDelta(self, expr, exp=None):
        i, j = expr.args[:2]
        tex = rf"\left[{self._print(i)} = {self._print(j)}\right]"
        return tex if exp is None else rf"{tex}^{{{exp}}}"


def to_latex(expr):
    r"""LaTeX for a SymPy expression in the book's notation.

    Identical to :func:`sympy.latex` except that a ``KroneckerDelta(i, j)`` is
    written as the bracket ``[i = j]`` of the notation chapter, since ``δ`` is
    reserved for upstream gradients.

    Examples
    --------
    >>> import sympy as sp
    >>> b, d = sp.symbols("b d")
    >>> print(to_latex(sp.KroneckerDelta(b, d) * sp.Symbol("x")))
    x \left[b = d\right]
    """
    return _BookLatexPrinter().doprint(expr)


def prove_vjp(forward, inputs, wrt, compact, *, statement=""):
    """Check exactly, at the sizes of ``inputs``, that the Jacobian contracted with ``δ`` is ``compact``.

    Parameters
    ----------
    forward : callable
        ``forward(**inputs)`` returns an object array (or a SymPy scalar).
    inputs : dict of str -> object array
        Symbolic inputs, e.g. from :func:`symbol_array`.
    wrt : str
        Which input to differentiate with respect to.
    compact : callable
        ``compact(delta, out, **inputs)`` returns the claimed gradient with
        respect to ``inputs[wrt]``; ``out`` is ``forward(**inputs)``.
    statement : str, optional

    Returns
    -------
    ProofResult
        ``details`` holds ``"jacobian"``, ``"delta"`` and ``"out"``.
    """
    out = np.asarray(forward(**inputs), dtype=object)
    delta = symbol_array(r"\delta", out.shape)
    J = jacobian_tensor(out, inputs[wrt])
    slow = contract(J, delta)
    fast = np.asarray(compact(delta, out, **inputs), dtype=object)
    if fast.shape != slow.shape:
        return ProofResult(statement, False, slow, fast,
                           {"reason": f"shape {fast.shape} != {slow.shape}"})
    return ProofResult(statement, is_zero(slow - fast), slow, fast,
                       {"jacobian": J, "delta": delta, "out": out})


def prove_matmul_collapse(N, D, C):
    """Check ``∂L/∂W = Xᵀδ`` and ``∂L/∂X = δWᵀ`` for ``Y = XW`` exactly at sizes ``(N, D, C)``.

    Parameters
    ----------
    N, D, C : int

    Returns
    -------
    dict
        ``{"W": ProofResult, "X": ProofResult}``.
    """
    inputs = {"X": symbol_array("X", (N, D)), "W": symbol_array("W", (D, C))}
    return {
        "W": prove_vjp(matmul_forward, inputs, "W",
                       lambda delta, out, X, W: matmul_grad_W(delta, X),
                       statement=f"dL/dW = X^T delta for N={N}, D={D}, C={C}"),
        "X": prove_vjp(matmul_forward, inputs, "X",
                       lambda delta, out, X, W: matmul_grad_X(delta, W),
                       statement=f"dL/dX = delta W^T for N={N}, D={D}, C={C}"),
    }


def prove_matmul_collapse_all_sizes(grad_W=None, grad_X=None):
    r"""Prove the collapse for symbolic sizes ``N, D, C`` in index notation.

    ``X``, ``W`` and ``δ`` are SymPy ``MatrixSymbol`` s of symbolic shape, so
    ``Y_ab = Σ_k X_ak W_kb`` is an explicit ``Sum``. Differentiating
    ``L = Σ_a Σ_b δ_ab Y_ab`` by ``W_cd`` produces ``KroneckerDelta`` factors
    that SymPy sums away, leaving ``Σ_a X_ac δ_ad``; the compact formula
    ``Xᵀδ`` (the same :func:`~nnmath.matmul.matmul_grad_W` the layers run,
    applied to the matrix symbols) has entry ``(Xᵀδ)_cd`` equal to it.

    Parameters
    ----------
    grad_W, grad_X : callable, optional
        The compact formulas under test, ``grad_W(delta, X)`` and
        ``grad_X(delta, W)`` on matrix symbols; by default the functions the
        layers run. A test hands a wrong one to see the proof fail.

    Returns
    -------
    dict
        ``{"W": ProofResult, "X": ProofResult}``; ``details`` holds the
        intermediate expressions: ``"Y_ab"`` (the entry as a ``Sum``),
        ``"loss"`` (``L = Σ_a Σ_b δ_ab Y_ab``), ``"dY_dparam"`` (the
        ``KroneckerDelta`` entry of the 4-D Jacobian), ``"raw"`` (``∂L/∂param_cd``
        before summing), ``"collapsed"`` (after summing, in the original index
        names) and ``"compact"`` (the matrix expression ``Xᵀδ`` or ``δWᵀ``).
    """
    N, D, C = sp.symbols("N D C", integer=True, positive=True)
    a, b, c, d = sp.symbols("a b c d", integer=True, nonnegative=True)
    X = sp.MatrixSymbol("X", N, D)
    W = sp.MatrixSymbol("W", D, C)
    delta = sp.MatrixSymbol("delta", N, C)
    Y_ab = matmul_forward(X, W)[a, b]
    grad_W = matmul_grad_W if grad_W is None else grad_W
    grad_X = matmul_grad_X if grad_X is None else grad_X

    results = {}
    # ∂Y_ab/∂W_cd pins b = d and ∂Y_ab/∂X_cd pins a = c: the pinned index is
    # summed innermost so SymPy can collapse its KroneckerDelta.
    for name, param, compact, inner, outer in (
            ("W", W, grad_W(delta, X), (b, 0, C - 1), (a, 0, N - 1)),
            ("X", X, grad_X(delta, W), (a, 0, N - 1), (b, 0, C - 1))):
        L = sp.Sum(sp.Sum(delta[a, b] * Y_ab, inner), outer)
        raw = sp.diff(L, param[c, d])
        collapsed = sp.simplify(raw.doit())
        slow = canonical_indices(collapsed)
        fast = canonical_indices(compact[c, d].doit())
        holds = sp.simplify(slow - fast) == 0
        results[name] = ProofResult(
            f"dL/d{name} collapses for all N, D, C", bool(holds), slow, fast,
            {"Y_ab": Y_ab, "dY_dparam": sp.diff(Y_ab, param[c, d]).doit(), "raw": raw,
             "collapsed": collapsed, "loss": L, "compact": compact},
        )
    return results
