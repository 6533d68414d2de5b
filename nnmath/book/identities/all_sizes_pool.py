r"""Max pooling for every size: the window's maximum as the entry at a symbolic argmax.

Kernel and stride are fixed by each entry (``(2, 2)``, stride ``(2, 2)`` and
``(1, 1)``); ``N, C, H, W`` are symbolic. Assumption, stated in each proof: every
window has a *unique* maximum. On that open set of inputs the argmax offsets
``(U, V)`` of window ``(n, c, i, j)`` (``0 ≤ U < k_h``, ``0 ≤ V < k_w``) do not
change under a small enough change of ``X``, so there the forward *is* the selection

    Y[n, c, i, j] = X[n, c, s_h i + U[n, c, i, j], s_w j + V[n, c, i, j]],

and its derivative is the derivative of that selection. The proof takes ``U`` and
``V`` as arrays of integer symbols (any argmax whatever), differentiates
``Σ δ Y`` by ``X[c0, c1, c2, c3]`` and compares with the twin of
``maxpool2d_grad_X``: ``δ[n, c, i, j]`` added at ``(s_h i + U, s_w j + V)``, a
sum over the windows (overlapping windows add up). The twins read the argmax
through :func:`argmax_twin`: the proof's symbols, or on numbers the library's own
``maxpool2d_forward``; ``tests/book/test_all_sizes.py`` shows twin and forward twin
equal the library's functions on random inputs.
"""

import sympy as sp

from ... import conv as cv
from ..allsizes import IndexArray, fresh_index, leaf, size_symbols
from ..allsizes_proofs import INDEX, prove_index_notation
from .all_sizes import attach

__all__ = ["argmax_twin", "maxpool_forward_twin", "maxpool_grad_twin", "average_grad_twin"]


def argmax_twin(X, kernel, stride):
    """The argmax offsets ``(U, V)`` of every window: ``X.argmax`` in a proof (symbols), else
    the row and column of ``maxpool2d_forward``'s argmax ``u·k_w + v`` of the numbers."""
    if hasattr(X, "argmax"):
        return X.argmax
    kw = kernel[1]
    return (X.derived(lambda x: cv.maxpool2d_forward(x, kernel, stride)[1] // kw, "argmax_row"),
            X.derived(lambda x: cv.maxpool2d_forward(x, kernel, stride)[1] % kw, "argmax_col"))


def _out_size(X, kernel, stride):
    H, W = X.shape[2:]
    return (H - kernel[0]) // stride[0] + 1, (W - kernel[1]) // stride[1] + 1


def maxpool_forward_twin(kernel, stride):
    """``Y[n, c, i, j] = X[n, c, s_h i + U, s_w j + V]``: the maximum, as the entry at the argmax."""
    def forward(X):
        U, V = argmax_twin(X, kernel, stride)
        OH, OW = _out_size(X, kernel, stride)
        return IndexArray(X.shape[:2] + (OH, OW), lambda q: X.at(
            (q[0], q[1], stride[0] * q[2] + U.at(q), stride[1] * q[3] + V.at(q))))
    return forward


def _windows_sum(delta, body):
    """``Σ_{i, j} δ[n, c, i, j] body(n, c, i, j)`` as an array of ``X``'s entries ``(n, c, h, w)``."""
    def entry(q):
        i, j = fresh_index("i"), fresh_index("j")
        term = delta.at((q[0], q[1], i, j)) * body(q, i, j)
        return sp.Sum(sp.Sum(term, (j, 0, delta.shape[3] - 1)), (i, 0, delta.shape[2] - 1))
    return entry


def maxpool_grad_twin(kernel, stride):
    """``maxpool2d_grad_X``: ``δ[n, c, i, j]`` added at ``(s_h i + U, s_w j + V)``."""
    def twin(delta, out, X):
        U, V = argmax_twin(X, kernel, stride)
        return IndexArray(X.shape, _windows_sum(delta, lambda q, i, j: sp.KroneckerDelta(
            stride[0] * i + U.at((q[0], q[1], i, j)), q[2]) * sp.KroneckerDelta(
            stride[1] * j + V.at((q[0], q[1], i, j)), q[3])))
    return twin


def average_grad_twin(kernel, stride):
    """A wrong VJP for the tests: average pooling's, ``δ/(k_h k_w)`` spread over each window."""
    def twin(delta, out, X):
        def inside(q, i, j):
            return sp.Mul(*[sp.Piecewise((1, sp.And(q[2 + r] >= stride[r] * (i, j)[r],
                                                    q[2 + r] < stride[r] * (i, j)[r] + kernel[r])),
                                         (0, True)) for r in (0, 1)]) / (kernel[0] * kernel[1])
        return IndexArray(X.shape, _windows_sum(delta, inside))
    return twin


_N, _C, _H, _W = size_symbols("N C H W")


def _prove(name, kernel, stride):
    def proof(compact):
        X = leaf("X", (_N, _C, _H, _W))
        OH, OW = _out_size(X, kernel, stride)
        X.argmax = tuple(leaf(s, (_N, _C, OH, OW), integer=True) for s in ("U", "V"))
        return prove_index_notation(
            maxpool_forward_twin(kernel, stride), {"X": (_N, _C, _H, _W)}, "X", compact,
            leaves={"X": X},
            statement=f"{name}: for all N, C, H, W (kernel {kernel}, stride {stride}), wherever "
                      "every window has a unique maximum (no ties), whatever its argmax (U, V)")
    return proof


for _name, _stride in (("maxpool2d_grad_X", (2, 2)), ("maxpool2d_overlapping_grad_X", (1, 1))):
    attach(_name, INDEX, _prove(_name, (2, 2), _stride), twin=maxpool_grad_twin((2, 2), _stride),
           forward_twin=maxpool_forward_twin((2, 2), _stride))
