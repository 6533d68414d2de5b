r"""Helpers for :mod:`nnmath.book.allsizes`: building twins, settling brackets, evaluating.

* :func:`concatenate`, :func:`zeros`, :func:`ones`, :func:`eye`, :func:`one_hot`,
  :func:`between`: IndexArrays for the twins of formulas that pad, stack or
  scatter (``np.concatenate`` of IndexArrays is :func:`concatenate`);
* :func:`settle_brackets`: a bracket whose relations the indices' ranges imply is 1;
* :func:`evaluate`: an index formula run at fixed sizes on numbers, so that a
  test can compare a twin with the NumPy function it restates.
"""

import numpy as np
import sympy as sp

from .allsizes import _FUNCTIONS, IndexArray, Iverson, as_index_array

__all__ = ["between", "concatenate", "zeros", "ones", "eye", "one_hot", "evaluate",
           "settle_brackets"]


def between(i, lo, hi):
    """The bracket ``[lo ≤ i ≤ hi]``."""
    return Iverson(sp.And(sp.Ge(i, lo), sp.Le(i, hi)))


def concatenate(arrays, axis=0, **kwargs):
    """``np.concatenate`` of IndexArrays: entry from the part whose range holds the index."""
    arrays = [as_index_array(a) for a in arrays]
    ndim = arrays[0].ndim
    axis %= ndim
    starts = [sp.Integer(0)]
    for a in arrays:
        starts.append(starts[-1] + a.shape[axis])
    shape = list(arrays[0].shape)
    shape[axis] = starts[-1]

    def entry(i):
        total = sp.Integer(0)
        for a, lo, hi in zip(arrays, starts, starts[1:]):
            j = tuple(i[:axis]) + (i[axis] - lo,) + tuple(i[axis + 1:])
            value = a.at(j)
            if value != 0:
                total += value * between(i[axis], lo, hi - 1)
        return total
    return IndexArray(shape, entry)


def zeros(shape):
    """An IndexArray of zeros."""
    return IndexArray(shape, lambda i: sp.Integer(0))


def ones(shape):
    """An IndexArray of ones."""
    return IndexArray(shape, lambda i: sp.Integer(1))


def eye(n):
    """The identity of symbolic size ``n``: entry ``[i = j]``."""
    return IndexArray((n, n), lambda i: sp.KroneckerDelta(i[0], i[1]))


def one_hot(idx, V):
    """``np.eye(V)[idx]``: entry ``(..., v)`` is ``[idx[...] = v]``."""
    idx = as_index_array(idx)
    return IndexArray(idx.shape + (sp.sympify(V),),
                      lambda i: sp.KroneckerDelta(idx.at(i[:-1]), i[-1]))


def evaluate(fn, *args, **kwargs):
    """Run the index formula ``fn`` on NumPy arrays of fixed size and return a float array.

    Each array becomes a leaf whose ``Indexed`` entries are replaced by its
    numbers once every sum (now with numeric bounds) is written out: the same
    formula the proofs check for symbolic sizes, evaluated at the sizes of the
    arguments, so that a test can compare it with the NumPy function it restates.
    Each array leaf has ``.derived(fn, tag)``: the leaf of ``fn`` of its numbers (its
    inverse, the argmax of its pooling windows), which a twin reads where the proof
    hands it a symbol for that quantity (chapter 30's inverse, max pooling's argmax).
    """
    values, bases = {}, {}

    def wrap(name, x):
        if np.ndim(x) == 0:
            x = np.asarray(x).item()
            symbol = sp.Symbol(f"_{name}", real=True)
            values[symbol] = sp.sympify(x)
            return IndexArray((), lambda i: symbol)
        x = np.asarray(x)
        base = sp.IndexedBase(f"_{name}", integer=True) if x.dtype.kind in "iu" else \
            sp.IndexedBase(f"_{name}", real=True)
        bases[base] = x
        array = IndexArray(x.shape, lambda i: base[i])
        array.derived = lambda fn, tag: wrap(f"{name}_{tag}", fn(x))   # for twins, see above
        return array

    wrapped = [wrap(f"a{r}", a) for r, a in enumerate(args)]
    named = {k: wrap(k, v) for k, v in kwargs.items()}
    out = as_index_array(fn(*wrapped, **named))
    shape = tuple(int(n) for n in out.shape)

    def unroll(e):   # SymPy's Sum.doit solves [r = 2 i] by i = r/2 even for odd r: unroll
        if isinstance(e, sp.Sum):
            k, a, b = e.limits[-1]          # the outermost index first: inner bounds may use it
            body = sp.Sum(e.function, *e.limits[:-1]) if len(e.limits) > 1 else e.function
            return unroll(sp.Add(*[body.xreplace({k: sp.Integer(v)})
                                   for v in range(int(a), int(b) + 1)]))
        if e.is_Atom or not e.args:
            return e
        return e.func(*[unroll(a) for a in e.args])

    def number(e):
        e = unroll(sp.sympify(e)).doit()
        for _ in range(4):      # integer entries (indices) may appear inside other indices
            rule = {}
            for ind in e.atoms(sp.Indexed):
                array = bases.get(ind.base)
                if array is None or not all(k.is_Integer for k in ind.indices):
                    continue
                at = tuple(int(k) for k in ind.indices)
                inside = all(0 <= a < n for a, n in zip(at, array.shape))
                rule[ind] = sp.sympify(array[at].item()) if inside else sp.nan
            if not rule:
                break
            e = unroll(e.xreplace(rule).xreplace(values)).doit()
        return float(e.xreplace(values))

    result = np.empty(shape)
    for at in np.ndindex(*shape):
        result[at] = number(out.at(tuple(sp.Integer(a) for a in at)))
    return result


_FUNCTIONS["concatenate"] = concatenate


# -- brackets decided by the ranges of the indices -----------------------------------------

def _holds(rel, ranges):
    """True when the relation follows from ``lo ≤ v ≤ hi`` for the indices ``v`` in it."""
    if not isinstance(rel, (sp.GreaterThan, sp.StrictGreaterThan, sp.LessThan,
                            sp.StrictLessThan)):
        return False
    gap = rel.lhs - rel.rhs if isinstance(rel, (sp.GreaterThan, sp.StrictGreaterThan)) \
        else rel.rhs - rel.lhs
    if isinstance(rel, (sp.StrictGreaterThan, sp.StrictLessThan)):
        gap -= 1                       # integers: a > b is a - b - 1 >= 0
    known = [v for v in gap.free_symbols if v in ranges]
    for choice in range(2 ** len(known)):
        rule = {}
        for r, v in enumerate(known):  # v = lo + u, or v = hi - u, with u >= 0
            u = sp.Symbol(f"u_{r}", integer=True, nonnegative=True)
            lo, hi = ranges[v]
            rule[v] = hi - u if choice >> r & 1 else lo + u
        if sp.expand(gap.xreplace(rule)).is_nonnegative:
            return True
    return False


def settle_brackets(expr, ranges):
    """Replace each relation inside a bracket that the indices' ranges imply by ``True``.

    Sound: ``v`` lies in ``[lo, hi]``, so ``v = lo + u`` (and ``v = hi − u``) with
    ``u ≥ 0``; a relation whose gap is nonnegative for every ``u ≥ 0`` holds.
    """
    if isinstance(expr, sp.Sum):
        inner = dict(ranges)
        for k, a, b in expr.limits:
            inner[k] = (a, b)
        return sp.Sum(settle_brackets(expr.function, inner), *expr.limits)
    if isinstance(expr, Iverson):
        cond = expr.args[0]
        rels = [r for r in cond.atoms(sp.Rel) if _holds(r, ranges)]
        return Iverson(cond.xreplace({r: sp.true for r in rels}))
    if expr.is_Atom or isinstance(expr, sp.Indexed) or not expr.args:
        return expr
    return expr.func(*[settle_brackets(a, ranges) for a in expr.args])
