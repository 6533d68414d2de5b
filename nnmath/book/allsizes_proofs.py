r"""Proofs for every size, by two methods, each applied to a registry entry's own compact formula.

*Index notation* (:func:`prove_index_notation`): the inputs are
:class:`~nnmath.book.allsizes.IndexArray` s of symbolic shape, the forward map
and the compact formula run on them, ``L = Σ_j δ_j out_j`` is differentiated
by the entry ``X[c₀, c₁, ...]`` at a symbolic index, every
``KroneckerDelta`` the derivative produces is summed away
(``Σ_{k=a}^{b} [k = e] f(k) = f(e)·[a ≤ e ≤ b]``, :func:`collapse`), and the
difference from the compact formula's entry at the same index is decided by
:func:`decide`: sums are put in a canonical form (linear terms split, factors
free of the summation index pulled out, bound indices renamed by depth), each
distinct sum becomes one opaque symbol, and the result must cancel to exactly 0
as a function of them. That is sound: an expression that vanishes identically
in the opaque symbols vanishes for their actual values. It may fail to see a
true identity, never pass a false one; a random point refutes first.

*Matrix calculus* (:func:`prove_matrix_calculus`): the inputs are SymPy
``MatrixSymbol`` s of symbolic shape, ``L = tr(δᵀ F(X))`` (or ``δ·f`` for a
scalar) is differentiated by SymPy's matrix-derivative rules, and the
difference from the compact formula is decided entry by entry as above. SymPy
1.14 differentiates traces, products and inverses, but returns 0 for
``log det`` (and leaves ``det`` underived): a derivative it leaves
unevaluated is reported as "cannot prove", and the caller never turns that into
a pass.
"""

from functools import reduce
from itertools import permutations

import numpy as np
import sympy as sp

from .allsizes import IndexArray, Iverson, as_index_array, fresh_index, leaf
from .allsizes_tools import settle_brackets
from sympy.matrices.expressions.matexpr import MatrixElement

from .symbolic import ProofResult

__all__ = ["collapse", "settle_brackets", "normalize", "decide", "prove_index_notation", "prove_matrix_calculus",
           "index_symbols"]

INDEX = "index notation"
MATRIX = "matrix calculus"


def index_symbols(n):
    """The symbolic index ``(c0, c1, ...)`` at which the gradient's entry is compared."""
    return tuple(sp.Symbol(f"c{r}", integer=True, nonnegative=True) for r in range(n))


# -- summing Kronecker deltas away -------------------------------------------------------

def _solve_delta(kd, k):
    """``e`` with ``[k = e]`` equivalent to ``kd`` (``k`` with coefficient ±1), else None."""
    base = kd.base if isinstance(kd, sp.Pow) else kd
    if not isinstance(base, sp.KroneckerDelta) or k not in base.free_symbols:
        return None
    d = sp.expand(base.args[0] - base.args[1])
    coeff = d.coeff(k)
    rest = sp.expand(d - coeff * k)
    if coeff not in (1, -1) or k in rest.free_symbols:
        return None
    return -rest / coeff


def _in_range(e, a, b, ranges):
    known = ranges.get(e)
    if known is not None and sp.simplify(known[0] - a) == 0 and sp.simplify(known[1] - b) == 0:
        return sp.Integer(1)
    return Iverson(sp.And(sp.Ge(e, a), sp.Le(e, b)))


def _expand(expr):
    return sp.expand(expr, deep=True, mul=True, multinomial=True, power_exp=False,
                     power_base=False, log=False)


def _sum_term(term, k, a, b, ranges):
    if k not in term.free_symbols:
        return term * (b - a + 1)
    factors = sp.Mul.make_args(term)
    for f in factors:
        e = _solve_delta(f, k)
        if e is not None and not _defer(term, k, e, ranges):
            rest = sp.Mul(*[g for g in factors if g is not f]).xreplace({k: e})
            return collapse(rest, ranges) * _in_range(e, a, b, ranges)
    for f in factors:   # Σ_k Σ_i [k = e(i)] ... = Σ_i Σ_k [k = e(i)] ...: finite sums commute
        if isinstance(f, sp.Sum) and _swappable(f, k):
            rest = sp.Mul(*[g for g in factors if g is not f])
            rename = {i: fresh_index("i") for i, _, _ in f.limits}
            inner = f.function.xreplace(rename) * rest
            swapped = sp.Sum(sp.Sum(inner, (k, a, b)),
                             *[(rename[i], lo, hi) for i, lo, hi in f.limits])
            return collapse(swapped, ranges)
    dep = [f for f in factors if k in f.free_symbols]
    indep = [f for f in factors if k not in f.free_symbols]
    return sp.Mul(*indep) * sp.Sum(sp.Mul(*dep), (k, a, b))


def _indexes_delta(term, k):
    return any(str(x.base) == "delta" and k in x.indices for x in term.atoms(sp.Indexed))


def _defer(term, k, e, ranges):
    """Keep ``Σ_k`` when ``k`` indexes δ and ``[k = e]`` could instead sum away an enclosing
    index that does not: the outer sum is then collapsed (after swapping the two), so that
    the index that survives is δ's whichever order the formula wrote the sums in."""
    if not _indexes_delta(term, k):
        return False
    return any(t in e.free_symbols and sp.expand(e).coeff(t) in (1, -1)
               and not _indexes_delta(term, t) for t in ranges.get("_bound", ()))


def _swappable(inner, k):
    """An inner sum with bounds free of ``k`` whose body has a delta solvable for ``k``."""
    if any(k in (sp.sympify(lo).free_symbols | sp.sympify(hi).free_symbols)
           for _, lo, hi in inner.limits):
        return False
    terms = sp.Add.make_args(_expand(inner.function))
    return len(terms) == 1 and any(_solve_delta(g, k) is not None
                                   for g in sp.Mul.make_args(terms[0]))


def collapse(expr, ranges):
    """Sum away every ``KroneckerDelta`` on a summation index; ``ranges`` maps free indices to bounds."""
    if isinstance(expr, sp.Sum):
        body, inner = expr.function, dict(ranges)
        for k, a, b in expr.limits:
            inner[k] = (a, b)
            inner["_bound"] = inner.get("_bound", frozenset()) | {k}
            body = _expand(collapse(body, inner))
            body = sp.Add(*[_sum_term(t, k, a, b, inner) for t in sp.Add.make_args(body)])
        return body
    if expr.is_Atom or isinstance(expr, sp.Indexed) or not expr.args:
        return expr
    return expr.func(*[collapse(a, ranges) for a in expr.args])


# -- a canonical form for sums -----------------------------------------------------------

def _depth(expr):
    if isinstance(expr, sp.Sum):
        return len(expr.limits) + _depth(expr.function)
    return max((_depth(a) for a in expr.args), default=0)


def _rebuild(expr):
    """``expr`` built again from its leaves, so that factors made equal by renaming merge."""
    if expr.is_Atom or not expr.args:
        return expr
    args = [_rebuild(a) for a in expr.args]
    if not isinstance(expr, sp.Mul):
        return expr.func(*args)
    powers = {}   # SymPy's Mul does not always merge b**-1 * b**-1 when b is a Sum
    for f in args:
        base, e = (f.base, f.exp) if isinstance(f, sp.Pow) else (f, sp.Integer(1))
        powers.setdefault(str(base), [base, sp.Integer(0)])[1] += e
    return sp.Mul(*[sp.Pow(b, e) for b, e in powers.values()])


def _bounds_free(limits):
    variables = {k for k, _, _ in limits}
    return all(not ((sp.sympify(a).free_symbols | sp.sympify(b).free_symbols) & variables)
               for _, a, b in limits)


def _orders(keep, dep):
    """The orders of the bound indices to try: all permutations, but only within groups of
    indices with the same signature (their bounds and the factors they sit in, printed with
    every bound index anonymous), the groups in the order of their signatures. The
    signature does not depend on the names, so equal sums still get one canonical form;
    any order is only a renaming, so soundness does not depend on it."""
    me, other = sp.Symbol("_me", integer=True), sp.Symbol("_other", integer=True)
    factors = sp.Mul.make_args(dep)
    variables = [k for k, _, _ in keep]

    def signature(r):
        k, a, b = keep[r]
        anonymous = {v: (me if v == k else other) for v in variables}
        return (str(a), str(b), tuple(sorted(str(f.xreplace(anonymous)) for f in factors
                                             if k in f.free_symbols)))
    groups = {}
    for r in range(len(keep)):
        groups.setdefault(signature(r), []).append(r)
    ordered = [groups[key] for key in sorted(groups)]

    def expand(prefix, rest):
        if not rest:
            yield prefix
            return
        for perm in permutations(rest[0]):
            yield from expand(prefix + list(perm), rest[1:])
    return expand([], ordered)


def _flat_term(term, limits):
    """One term of a sum: inner sums merged into one multiple sum, its indices named canonically."""
    limits, factors, changed = list(limits), list(sp.Mul.make_args(term)), True
    while changed:
        changed = False
        bound = {k for k, _, _ in limits}
        for f in factors:
            if isinstance(f, sp.Sum) and not any(
                    (sp.sympify(a).free_symbols | sp.sympify(b).free_symbols) & bound
                    for _, a, b in f.limits):
                rename = {k: fresh_index("m") for k, _, _ in f.limits}
                factors.remove(f)
                factors.extend(sp.Mul.make_args(f.function.xreplace(rename)))
                limits += [(rename[k], a, b) for k, a, b in f.limits]
                changed = True
                break
    body = sp.Mul(*factors)
    coeff, keep = sp.Integer(1), []
    for k, a, b in limits:
        if k in body.free_symbols:
            keep.append((k, a, b))
        else:
            coeff *= b - a + 1
    variables = {k for k, _, _ in keep}
    indep = sp.Mul(*[f for f in factors if not f.free_symbols & variables])
    dep = sp.Mul(*[f for f in factors if f.free_symbols & variables])
    if not keep:
        return coeff * indep
    depth = 1 + _depth(dep)
    names = [sp.Symbol(f"s{depth}_{i}", integer=True) for i in range(len(keep))]
    orders = _orders(keep, dep) if _bounds_free(keep) else [range(len(keep))]
    best = None
    for order in orders:
        mapping = {keep[p][0]: names[i] for i, p in enumerate(order)}
        candidate = sp.Sum(_rebuild(dep.xreplace(mapping)),
                           *[(names[i], keep[p][1], keep[p][2]) for i, p in enumerate(order)])
        if best is None or str(candidate) < str(best):
            best = candidate
    return coeff * indep * best


def normalize(expr):
    """A canonical form of sums: split over terms, nested sums merged, constants pulled out,
    bound indices renamed canonically (by depth, in the order that prints first)."""
    if isinstance(expr, sp.Sum):
        body = _expand(normalize(expr.function))
        return sp.Add(*[_flat_term(t, expr.limits) for t in sp.Add.make_args(body)])
    if expr.is_Atom or isinstance(expr, sp.Indexed) or not expr.args:
        return expr
    return expr.func(*[normalize(a) for a in expr.args])


def _rationals(expr):
    """Floats such as the 0.5 of ``d ** -0.5`` as the exact rationals they are."""
    return expr.xreplace({f: sp.Rational(float(f)) for f in expr.atoms(sp.Float)})


def _opaque(expr):
    """Each distinct sum and bracket as a fresh symbol (outermost first); brackets get ``b² = b``."""
    # keyed by the printed form: SymPy may hash two equal sums apart, and they must merge
    names = {}
    rule = {s: names.setdefault(str(s), sp.Symbol(f"S_{len(names)}", real=True))
            for s in sorted(expr.atoms(sp.Sum), key=sp.default_sort_key)}
    flags = {b: names.setdefault(str(b), sp.Symbol(f"B_{len(names)}", nonnegative=True))
             for b in sorted(expr.atoms(Iverson), key=sp.default_sort_key)}
    return _rebuild(expr.xreplace({**rule, **flags})), set(flags.values())


def _cancels(expr, flags):
    num = sp.numer(sp.together(expr))
    num = _expand(num)
    if flags:
        num = num.replace(lambda e: e.is_Pow and e.base in flags and e.exp.is_positive,
                          lambda e: e.base)
    return sp.simplify(num) == 0


def _refuted(expr, rng):
    point = {s: sp.Rational(int(rng.integers(11, 90)), 100) for s in expr.free_symbols}
    value = expr.xreplace(point)
    value = value.xreplace({i: sp.Rational(int(rng.integers(11, 90)), 100)
                            for i in value.atoms(sp.Indexed, MatrixElement)})
    try:
        return abs(complex(value.evalf(30))) > 1e-9
    except (TypeError, ValueError, AttributeError):
        return False


def _cases(expr, free):
    """Split on every ``[c = c']`` between free indices: ``c' → c`` with 1, and 0."""
    kds = [k for k in expr.atoms(sp.KroneckerDelta) if k.free_symbols <= set(free)]
    if not kds:
        return [expr]
    kd, = kds[:1]
    x, y = kd.args
    same = expr.xreplace({kd: 1}).xreplace({y: x} if y.is_Symbol else {x: y})
    return _cases(same, free) + _cases(expr.xreplace({kd: 0}), free)


def decide(difference, free=(), relations=None, *, seed=0):
    """True when ``difference`` (scalar, with sums) is exactly 0; ``relations`` map sums to values."""
    rng = np.random.default_rng(seed)
    expr = normalize(_rationals(sp.sympify(difference)))
    for lhs, rhs in (relations or {}).items():
        expr = expr.xreplace({normalize(lhs): rhs})
    for case in _cases(expr, free):
        opaque, flags = _opaque(case)
        if _refuted(opaque, rng) or not _cancels(opaque, flags):
            return False
    return True


# -- method 1: index notation -------------------------------------------------------------

def prove_index_notation(forward, shapes, wrt, compact, *, statement, assumptions=None,
                         leaves=None, relations=None, details=None):
    """Prove ``compact`` is ``∂⟨δ, forward⟩/∂wrt`` for the symbolic ``shapes``.

    Parameters
    ----------
    forward, compact : callable
        ``forward(**inputs)`` and ``compact(delta, out, **inputs)`` on
        :class:`~nnmath.book.allsizes.IndexArray` s.
    shapes : dict of str -> tuple of SymPy sizes (``()`` for a scalar)
    wrt : str
    statement : str
        What is proven, with its assumptions.
    assumptions : dict of str -> dict, optional
        SymPy assumptions per input (``{"eps": {"positive": True}}``).
    leaves : dict of str -> IndexArray, optional
        Inputs built by the caller (e.g. a 0/1 mask as Iverson brackets).
    relations : callable, optional
        ``relations(inputs, index)`` returns ``{sum: value}`` facts assumed
        (e.g. a target row sums to 1), stated in ``statement``.

    Returns
    -------
    ProofResult
        ``details``: ``"method"``, ``"index"``, ``"loss"``, ``"raw"`` (the
        derivative before collapsing), ``"slow"``, ``"fast"``.
    """
    assumptions = assumptions or {}
    inputs = {name: leaf(name, shape, **assumptions.get(name, {}))
              for name, shape in shapes.items()}
    inputs.update(leaves or {})
    info = {"method": INDEX, **(details or {})}
    try:
        out = as_index_array(forward(**inputs))
        delta = leaf("delta", out.shape)
        js = [fresh_index("j") for _ in out.shape]
        loss = delta.at(js) * out.at(js)
        for j, n in reversed(list(zip(js, out.shape))):
            loss = sp.Sum(loss, (j, 0, n - 1))
        target = inputs[wrt]
        index = index_symbols(target.ndim)
        ranges = {c: (0, n - 1) for c, n in zip(index, target.shape)}
        raw = sp.diff(loss, target.at(index))
        slow = collapse(raw, ranges)
        fast_array = as_index_array(compact(delta, out, **inputs))
    except (TypeError, ValueError, NotImplementedError, IndexError) as err:
        return ProofResult(statement, False, details={**info, "reason": f"cannot run: {err}"})
    if len(fast_array.shape) != len(target.shape) or any(
            sp.simplify(a - b) != 0 for a, b in zip(fast_array.shape, target.shape)):
        return ProofResult(statement, False, slow, None,
                           {**info, "reason": f"shape {fast_array.shape} != {target.shape}"})
    fast = fast_array.at(index)
    facts = relations(inputs, index) if relations else None
    holds = decide(settle_brackets(collapse(slow - fast, ranges), ranges), index, facts)
    return ProofResult(statement, holds, slow, fast,
                       {**info, "index": index, "loss": loss, "raw": raw})


# -- method 2: matrix calculus ------------------------------------------------------------

def prove_matrix_calculus(forward, shapes, wrt, compact, *, statement):
    """Prove ``compact`` by SymPy's matrix derivative of ``tr(δᵀ forward)`` (or ``δ · forward``).

    ``shapes`` maps input names to ``(rows, cols)`` of symbolic sizes; the
    inputs are ``MatrixSymbol`` s. A derivative SymPy leaves unevaluated, or
    an expression it cannot expand into entries, is a failure with a reason.
    """
    inputs = {name: sp.MatrixSymbol(name, *shape) for name, shape in shapes.items()}
    out = forward(**inputs)
    scalar_out = not isinstance(out, sp.MatrixExpr) or out.shape == (1, 1)
    if scalar_out:
        delta = sp.Symbol("delta", real=True)
        loss = delta * (out[0, 0] if isinstance(out, sp.MatrixExpr) else out)
    else:
        delta = sp.MatrixSymbol("delta", *out.shape)
        loss = sp.Trace(delta.T * out)
    info = {"method": MATRIX, "loss": loss}
    try:
        slow = loss.diff(inputs[wrt])
    except (AttributeError, TypeError, ValueError) as err:   # SymPy's own gaps
        return ProofResult(statement, False, None, None,
                           {**info, "reason": f"SymPy cannot differentiate this expression: {err}"})
    if slow.has(sp.Derivative) or slow == 0 or isinstance(slow, sp.ZeroMatrix):
        # every forward here depends on wrt: a zero derivative is a gap of SymPy's rules
        return ProofResult(statement, False, slow, None,
                           {**info, "reason": "SymPy cannot differentiate this expression"})
    fast = compact(delta, out, **inputs)
    if getattr(fast, "shape", None) != inputs[wrt].shape:
        return ProofResult(statement, False, slow, fast,
                           {**info, "reason": f"shape {getattr(fast, 'shape', ())}"})
    index = index_symbols(2)
    rows, cols = inputs[wrt].shape
    ranges = {index[0]: (0, rows - 1), index[1]: (0, cols - 1)}
    difference = collapse(sp.expand((slow - fast)[index]), ranges)
    holds = decide(difference, index)
    return ProofResult(statement, holds, slow, fast, {**info, "index": index})


def product(values):
    """The product of SymPy sizes."""
    return reduce(lambda a, b: a * b, values, sp.Integer(1))


__all__ += ["IndexArray", "INDEX", "MATRIX", "product"]
