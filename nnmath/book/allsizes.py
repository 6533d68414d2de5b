r"""Arrays of symbolic size: NumPy-like objects whose entries are SymPy expressions in indices.

An :class:`IndexArray` has a shape of SymPy symbols (``N``, ``D``, ``C``, ...)
and a rule that gives its entry at any index tuple: ``X[i, j]`` is the
``Indexed`` entry of an ``IndexedBase``, ``(X @ W)[i, j]`` the ``Sum`` over a
fresh index ``k`` from ``0`` to ``D − 1`` of ``X[i, k] W[k, j]``. It implements
the arithmetic operators, ``@``, ``.T``, ``sum``/``mean`` and NumPy's
``__array_ufunc__`` (``np.exp``, ``np.tanh``, ``np.sqrt``, ``np.multiply.outer``,
...) and ``__array_function__`` (``np.sum``, ``np.mean``, ``np.where``,
``np.swapaxes``, ``np.einsum``, ...) protocols, so the library's compact
formulas run on it unchanged: ``matmul_grad_W(delta, X)`` returns the array
whose entry ``(c, d)`` is ``Σ_k X[k, c] δ[k, d]`` for every ``N, D, C``.

What NumPy cannot hand over (``np.asarray``, ``reshape`` to a symbolic size,
Python loops over ``range(T)``) raises ``TypeError``: such a formula is proven
through a documented twin, or not at all. The proofs themselves are in
:mod:`nnmath.book.allsizes_proofs`.
"""

from functools import reduce
from itertools import count

import numpy as np
import sympy as sp

__all__ = ["IndexArray", "Iverson", "fresh_index", "size_symbols", "leaf", "scalar", "zeros",
           "ones", "eye", "one_hot", "concatenate", "between", "evaluate"]

_fresh = count()


def fresh_index(prefix="k"):
    """A new integer symbol, never used before in this process (a summation index)."""
    return sp.Symbol(f"{prefix}_{next(_fresh)}", integer=True)


def size_symbols(names):
    """Positive integer symbols for the sizes, e.g. ``size_symbols("N D C")``."""
    return sp.symbols(names, integer=True, positive=True)


class Iverson(sp.Function):
    """The Iverson bracket ``[condition]``: 1 where it holds, 0 elsewhere; a constant for ``diff``."""

    is_commutative = True
    is_integer = True
    is_nonnegative = True

    @classmethod
    def eval(cls, cond):
        if cond is sp.true:
            return sp.Integer(1)
        if cond is sp.false:
            return sp.Integer(0)
        return None

    def fdiff(self, argindex=1):
        return sp.Integer(0)

    def _eval_derivative(self, s):
        return sp.Integer(0)

    def _latex(self, printer, exp=None):
        tex = r"\left[%s\right]" % printer._print(self.args[0])
        return tex if exp is None else rf"{tex}^{{{exp}}}"


def _same(a, b):
    return sp.simplify(sp.sympify(a) - sp.sympify(b)) == 0


class IndexArray:
    """An array of symbolic shape; ``at(index)`` gives the SymPy entry at an index tuple."""

    __array_priority__ = 1000

    def __init__(self, shape, entry):
        self.shape = tuple(sp.sympify(s) for s in shape)
        self._entry = entry

    # -- basics ------------------------------------------------------------------------
    @property
    def ndim(self):
        return len(self.shape)

    @property
    def dtype(self):
        return np.dtype(object)

    def at(self, index):
        index = tuple(sp.sympify(i) for i in index)
        if len(index) != self.ndim:
            raise IndexError(f"IndexArray of shape {self.shape} at {index}")
        return sp.sympify(self._entry(index))

    def scalar(self):
        """The entry of a 0-d array."""
        return self.at(())

    def __len__(self):
        if not self.shape or not self.shape[0].is_Integer:
            raise TypeError(f"len() of an IndexArray of symbolic shape {self.shape}")
        return int(self.shape[0])

    def __iter__(self):
        raise TypeError("an IndexArray of symbolic shape cannot be iterated")

    def __bool__(self):
        raise TypeError("the truth value of an IndexArray is undecided (symbolic entries)")

    def __array__(self, *args, **kwargs):
        raise TypeError("an IndexArray of symbolic shape cannot become a NumPy array")

    def __repr__(self):
        index = tuple(sp.Symbol(f"i{r}", integer=True) for r in range(self.ndim))
        return f"IndexArray(shape={self.shape}, entry[{', '.join(map(str, index))}]={self.at(index)})"

    def reshape(self, *shape):
        raise TypeError("reshape of an IndexArray: not supported for symbolic sizes")

    # -- element-wise ------------------------------------------------------------------
    def map(self, fn):
        """Apply ``fn`` to every entry."""
        return IndexArray(self.shape, lambda i: fn(self.at(i)))

    def __neg__(self):
        return self.map(lambda e: -e)

    def __pos__(self):
        return self

    def __add__(self, other):
        return elementwise(lambda a, b: a + b, self, other)

    def __radd__(self, other):
        return elementwise(lambda a, b: a + b, other, self)

    def __sub__(self, other):
        return elementwise(lambda a, b: a - b, self, other)

    def __rsub__(self, other):
        return elementwise(lambda a, b: a - b, other, self)

    def __mul__(self, other):
        return elementwise(lambda a, b: a * b, self, other)

    def __rmul__(self, other):
        return elementwise(lambda a, b: a * b, other, self)

    def __truediv__(self, other):
        return elementwise(lambda a, b: a / b, self, other)

    def __rtruediv__(self, other):
        return elementwise(lambda a, b: a / b, other, self)

    def __pow__(self, other):
        return elementwise(lambda a, b: a ** b, self, other)

    def __rpow__(self, other):
        return elementwise(lambda a, b: a ** b, other, self)

    def __gt__(self, other):
        return elementwise(sp.StrictGreaterThan, self, other)

    def __ge__(self, other):
        return elementwise(sp.GreaterThan, self, other)

    def __lt__(self, other):
        return elementwise(sp.StrictLessThan, self, other)

    def __le__(self, other):
        return elementwise(sp.LessThan, self, other)

    # -- axes --------------------------------------------------------------------------
    def transpose(self, *axes):
        axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        axes = axes or tuple(reversed(range(self.ndim)))
        inverse = np.argsort(axes)
        return IndexArray([self.shape[a] for a in axes],
                          lambda i: self.at(tuple(i[r] for r in inverse)))

    @property
    def T(self):
        return self.transpose()

    def swapaxes(self, a, b):
        axes = list(range(self.ndim))
        a, b = a % self.ndim, b % self.ndim
        axes[a], axes[b] = axes[b], axes[a]
        return self.transpose(*axes)

    def __getitem__(self, key):
        if isinstance(key, IndexArray):   # a gather along axis 0: W[idx], idx of integers
            return IndexArray(key.shape + self.shape[1:], lambda i: self.at((key.at(i[:key.ndim]),) + tuple(i[key.ndim:])))  # noqa: E501
        key = key if isinstance(key, tuple) else (key,)
        if any(k is Ellipsis for k in key):
            at = key.index(Ellipsis)
            named = sum(k is not None for k in key if k is not Ellipsis)
            key = key[:at] + (slice(None),) * (self.ndim - named) + key[at + 1:]
        key = key + (slice(None),) * (self.ndim - sum(k is not None for k in key))
        shape, plan, axis = [], [], 0
        for k in key:
            if k is None:
                shape.append(sp.Integer(1))
                plan.append(("new",))
            elif isinstance(k, slice):
                if k.step not in (None, 1) or k.start not in (None, 0):
                    raise TypeError(f"IndexArray: slice {k} not supported")
                stop = self.shape[axis] if k.stop is None else sp.sympify(k.stop)
                shape.append(stop)
                plan.append(("keep", axis))
                axis += 1
            else:
                plan.append(("fix", axis, sp.sympify(k) % self.shape[axis]
                             if sp.sympify(k).is_negative else sp.sympify(k)))
                axis += 1

        def entry(i):
            out, pos = [], 0
            for p in plan:
                if p[0] == "new":
                    pos += 1
                elif p[0] == "keep":
                    out.append(i[pos])
                    pos += 1
                else:
                    out.append(p[2])
            return self.at(tuple(out))
        return IndexArray(shape, entry)

    # -- reductions and products -------------------------------------------------------
    def sum(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        axes = range(self.ndim) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
        axes = sorted({a % self.ndim for a in axes})
        kept = [r for r in range(self.ndim) if r not in axes]
        shape = [sp.Integer(1) if r in axes else self.shape[r] for r in range(self.ndim)] \
            if keepdims else [self.shape[r] for r in kept]

        def entry(i):
            ks = {r: fresh_index() for r in axes}
            full, pos = [], 0
            for r in range(self.ndim):
                if r in axes:
                    full.append(ks[r])
                    pos += keepdims
                else:
                    full.append(i[pos])
                    pos += 1
            body = self.at(tuple(full))
            for r in axes:
                body = sp.Sum(body, (ks[r], 0, self.shape[r] - 1))
            return body
        return IndexArray(shape, entry)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        axes = range(self.ndim) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
        count_ = reduce(lambda a, b: a * b, [self.shape[a % self.ndim] for a in axes], sp.Integer(1))
        return self.sum(axis, keepdims=keepdims) / count_

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    # -- NumPy protocols ---------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if kwargs.get("out") is not None:
            return NotImplemented
        if method == "outer" and ufunc is np.multiply:
            a, b = (as_index_array(x) for x in inputs)
            return IndexArray(a.shape + b.shape, lambda i: a.at(i[:a.ndim]) * b.at(i[a.ndim:]))
        if method != "__call__" or ufunc.__name__ not in _UFUNCS:
            return NotImplemented
        return elementwise(_UFUNCS[ufunc.__name__], *inputs)

    def __array_function__(self, func, types, args, kwargs):
        handler = _FUNCTIONS.get(func.__name__)
        if handler is None:
            return NotImplemented
        return handler(*args, **kwargs)


def as_index_array(x):
    """An :class:`IndexArray` as is; a number, a SymPy scalar or a 0-d array as a 0-d IndexArray."""
    if isinstance(x, IndexArray):
        return x
    if isinstance(x, np.ndarray):
        if x.ndim != 0:
            raise TypeError(f"an array of fixed shape {x.shape} among symbolic sizes")
        x = x[()]
    value = sp.sympify(x)
    return IndexArray((), lambda i: value)


def _broadcast_shape(shapes):
    ndim = max(len(s) for s in shapes)
    out = []
    for r in range(ndim):
        dims = [s[len(s) - ndim + r] for s in shapes if len(s) - ndim + r >= 0]
        big = [d for d in dims if d != 1]
        if any(not _same(d, big[0]) for d in big):
            raise ValueError(f"IndexArray: shapes {shapes} do not broadcast")
        out.append(big[0] if big else sp.Integer(1))
    return tuple(out)


def _broadcast_entry(a, shape):
    offset = len(shape) - a.ndim

    def pick(i):
        return a.at(tuple(sp.Integer(0) if a.shape[r] == 1 and shape[offset + r] != 1
                          else i[offset + r] for r in range(a.ndim)))
    return pick


def elementwise(fn, *arrays):
    """``fn`` entry by entry, with NumPy's broadcasting."""
    arrays = [as_index_array(a) for a in arrays]
    shape = _broadcast_shape([a.shape for a in arrays])
    picks = [_broadcast_entry(a, shape) for a in arrays]
    return IndexArray(shape, lambda i: fn(*(p(i) for p in picks)))


def matmul(a, b):
    """``a @ b`` with NumPy's rules: 1-D operands promoted, leading axes broadcast."""
    a, b = as_index_array(a), as_index_array(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: 0-d operand")
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    inner = a2.shape[-1]
    if not _same(inner, b2.shape[-2]):
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not match")
    lead = _broadcast_shape([a2.shape[:-2], b2.shape[:-2]]) if a2.ndim > 2 or b2.ndim > 2 else ()

    def entry(i):
        k = fresh_index()
        ia = _lead_index(a2, lead, i[:len(lead)]) + (i[len(lead)], k)
        ib = _lead_index(b2, lead, i[:len(lead)]) + (k, i[len(lead) + 1])
        return sp.Sum(a2.at(ia) * b2.at(ib), (k, 0, inner - 1))
    result = IndexArray(lead + (a2.shape[-2], b2.shape[-1]), entry)
    if a.ndim == 1:
        result = result[..., 0, :]
    if b.ndim == 1:
        result = result[..., 0]
    return result


def _lead_index(x, lead, i):
    offset = len(lead) - (x.ndim - 2)
    return tuple(sp.Integer(0) if x.shape[r] == 1 and lead[offset + r] != 1 else i[offset + r]
                 for r in range(x.ndim - 2))


def _where(cond, a, b):
    return elementwise(lambda c, x, y: x * Iverson(c) + y * Iverson(sp.Not(c))
                       if not (x == 0 or y == 0) else
                       (x * Iverson(c) if y == 0 else y * Iverson(sp.Not(c))), cond, a, b)


def _einsum(subscripts, *operands):
    inputs, output = subscripts.replace(" ", "").split("->")
    inputs = inputs.split(",")
    ops = [as_index_array(o) for o in operands]
    sizes = {}
    for letters, op in zip(inputs, ops):
        for letter, size in zip(letters, op.shape):
            sizes.setdefault(letter, size)
    summed = sorted(set("".join(inputs)) - set(output))

    def entry(i):
        names = dict(zip(output, i))
        ks = {s: fresh_index() for s in summed}
        names.update(ks)
        body = sp.Mul(*[op.at(tuple(names[c] for c in letters)) for letters, op in zip(inputs, ops)])
        for s in summed:
            body = sp.Sum(body, (ks[s], 0, sizes[s] - 1))
        return body
    return IndexArray([sizes[c] for c in output], entry)


_UFUNCS = {
    "add": lambda a, b: a + b, "subtract": lambda a, b: a - b,
    "multiply": lambda a, b: a * b, "true_divide": lambda a, b: a / b,
    "divide": lambda a, b: a / b, "power": lambda a, b: a ** b, "negative": lambda a: -a,
    "exp": sp.exp, "log": sp.log, "tanh": sp.tanh, "sqrt": sp.sqrt, "absolute": sp.Abs,
    "maximum": sp.Max, "greater": sp.StrictGreaterThan, "greater_equal": sp.GreaterThan,
    "less": sp.StrictLessThan, "less_equal": sp.LessThan,
}

_FUNCTIONS = {
    "sum": lambda a, axis=None, keepdims=False, **kw: as_index_array(a).sum(axis, keepdims=keepdims),
    "mean": lambda a, axis=None, keepdims=False, **kw: as_index_array(a).mean(axis, keepdims=keepdims),
    "where": _where,
    "swapaxes": lambda a, x, y: as_index_array(a).swapaxes(x, y),
    "transpose": lambda a, axes=None: as_index_array(a).transpose(*(axes or ())),
    "matmul": matmul,
    "einsum": _einsum,
    "shape": lambda a: as_index_array(a).shape,
    "ndim": lambda a: as_index_array(a).ndim,
    "multiply": lambda a, b, **kw: elementwise(lambda x, y: x * y, a, b),
    "outer": lambda a, b: np.multiply.outer(as_index_array(a), as_index_array(b)),
}


def leaf(name, shape, **assumptions):
    """The input ``name`` of symbolic ``shape``: entries ``name[i, j, ...]`` of an ``IndexedBase``."""
    if not shape:
        return scalar(name, **assumptions)
    base = sp.IndexedBase(name, real=True, **assumptions)
    return IndexArray(shape, lambda i: base[i])


def scalar(name, **assumptions):
    """A 0-d input: the symbol ``name``."""
    symbol = sp.Symbol(name, real=True, **assumptions)
    return IndexArray((), lambda i: symbol)

from .allsizes_tools import between, concatenate, evaluate, eye, one_hot, ones, zeros  # noqa: E402,F401
