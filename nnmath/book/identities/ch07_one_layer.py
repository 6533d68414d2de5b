r"""Registry entries for one layer (chapter 7).

The bias gradient of a batch layer, and the one-layer example
``s = uᵀ f(W x + b)`` in the column convention, with ``f = tanh``. The
compact formulas are :func:`nnmath.layers.bias_grad` (which
:class:`~nnmath.Linear` calls) and :func:`nnmath.layers.column_layer_backward`
fed with ``δ = u ⊙ f'(z)`` from :func:`nnmath.activations.tanh_grad_Z`.
"""

import numpy as np
import sympy as sp

from ... import layers as lay
from ..chapters import ch07_one_layer as ch07
from ...activations import tanh, tanh_grad_Z
from . import tensor_routes as tr
from ..allsizes import IndexArray
from .ch06_activations import elementwise
from .core import IdentityEntry, kernel, register


class TanhSymbol(sp.Function):
    """``tanh`` for the one-layer proofs: an opaque function whose derivative is ``1 − tanh²``.

    The chapter 6 entry ``tanh_grad_Z`` proves that SymPy's own ``tanh``
    has this derivative. Here only the chain through ``W x + b`` is under
    test, and an opaque function keeps the expressions polynomial in its
    values: SymPy then confirms a correct formula, and refutes a wrong one,
    in milliseconds instead of searching hyperbolic identities for minutes.
    """

    def fdiff(self, argindex=1):
        return 1 - TanhSymbol(self.args[0]) ** 2

    def _latex(self, printer, exp=None):
        power = "" if exp is None else "^{%s}" % exp
        return r"\tanh%s\left(%s\right)" % (power, printer._print(self.args[0]))

    def _sympystr(self, printer):
        return "tanh(%s)" % printer._print(self.args[0])


_sym_tanh = elementwise(TanhSymbol)


def tanh_any(Z):
    """``tanh`` of a numeric array, or :class:`TanhSymbol` of each entry of an object array.

    Of an :class:`~nnmath.book.allsizes.IndexArray`: :class:`TanhSymbol` of each entry.
    """
    if isinstance(Z, IndexArray):
        return Z.map(TanhSymbol)
    Z = np.asarray(Z)
    return _sym_tanh(Z) if Z.dtype == object else tanh(Z)


def _sample_bias(rng, N=5, C=3):
    return {"X": rng.standard_normal((N, C)), "b": rng.standard_normal(C)}


def _sample_column_layer(rng, C=3, D=4):
    return {"W": rng.standard_normal((C, D)), "x": rng.standard_normal(D),
            "b": rng.standard_normal(C), "u": rng.standard_normal(C)}


def _sample_delta(rng, C=3):
    return {"z": rng.standard_normal(C), "u": rng.standard_normal(C)}


register(IdentityEntry(
    name="bias_grad",
    title="Bias broadcast over a batch: gradient with respect to the bias",
    latex=(r"Y = X + \mathbf{1}_N \vb{b} \;\Rightarrow\; "
           r"\frac{\partial L}{\partial \vb{b}} = \mathbf{1}_N^{\top} \delta = \sum_{n} \delta_{n,:}"),
    shapes={"X": "(N, C)", "b": "(C,)", "delta": "(N, C)", "dL/db": "(C,)"},
    forward=lambda X, b: X + b,
    wrt="b",
    compact=kernel(lay.bias_grad),
    sample=_sample_bias,
    tensor_forward=lambda X, b: X + tr.broadcast_rows(b, X.shape[0]),
    symbolic_sizes=({"X": (3, 2), "b": (2,)}, {"X": (1, 3), "b": (3,)},
                    {"X": (2, 2), "b": (2,)}),
))


def _one_layer_score(W, x, b, u):
    """s = uᵀ tanh(W x + b); SymPy's tanh on symbols, NumPy's on numbers (glue)."""
    return u @ ch07.column_layer_forward(W, x, b, activation=tanh_any)


def _delta(W, x, b, u):
    """δ = u ⊙ tanh'(z) from the activation a = tanh(z) (glue: the formula is tanh_grad_Z)."""
    return tanh_grad_Z(u, ch07.column_layer_forward(W, x, b, activation=tanh_any))


def _tensor_score(W, x, b, u):
    """The same score with :class:`nnmath.autodiff.Tensor` operations (third route).

    The product and ``tanh`` are built from other operations (:mod:`.tensor_routes`).
    """
    return (u * tr.tanh(tr.matmul(W, x) + b)).sum()


_SHAPES = {"W": "(C, D)", "x": "(D,)", "b": "(C,)", "u": "(C,)", "delta": "(C,)"}
_SIZES = ({"W": (2, 2), "x": (2,), "b": (2,), "u": (2,)},
          {"W": (2, 3), "x": (3,), "b": (2,), "u": (2,)})

register(IdentityEntry(
    name="one_layer_delta",
    title="One layer: the error signal at the pre-activation",
    latex=(r"s = \vb{u}^{\top} f(\vb{z}) \;\Rightarrow\; \vb{\delta} = \frac{\partial s}{\partial \vb{z}}"
           r" = \vb{u} \odot f'(\vb{z})"),
    shapes={"z": "(C,)", "u": "(C,)", "ds/dz": "(C,)"},
    forward=lambda z, u: u @ tanh_any(z),
    wrt="z",
    compact=lambda delta, out, z, u: delta * tanh_grad_Z(u, tanh_any(z)),
    sample=_sample_delta,
    tensor_forward=lambda z, u: (u * tr.tanh(z)).sum(),
    convention="column",
    symbolic_sizes=({"z": (2,), "u": (2,)}, {"z": (3,), "u": (3,)}),
    notes="Checked with f = tanh, whose derivative is 1 - tanh(z)^2.",
))

register(IdentityEntry(
    name="one_layer_grad_W",
    title="One layer (column convention): gradient with respect to the weights",
    latex=(r"s = \vb{u}^{\top} f(W\vb{x} + \vb{b}) \;\Rightarrow\; "
           r"\frac{\partial s}{\partial W} = \vb{\delta}\, \vb{x}^{\top}"),
    shapes={**_SHAPES, "ds/dW": "(C, D)"},
    forward=_one_layer_score,
    wrt="W",
    compact=lambda delta, out, W, x, b, u: delta * ch07.column_layer_backward(
        _delta(W, x, b, u), W, x)[0],
    sample=_sample_column_layer,
    symbolic_sizes=_SIZES,
    tensor_forward=_tensor_score,
    convention="column",
))

register(IdentityEntry(
    name="one_layer_grad_b",
    title="One layer (column convention): gradient with respect to the bias",
    latex=(r"s = \vb{u}^{\top} f(W\vb{x} + \vb{b}) \;\Rightarrow\; "
           r"\frac{\partial s}{\partial \vb{b}} = \vb{\delta}"),
    shapes={**_SHAPES, "ds/db": "(C,)"},
    forward=_one_layer_score,
    wrt="b",
    compact=lambda delta, out, W, x, b, u: delta * ch07.column_layer_backward(
        _delta(W, x, b, u), W, x)[1],
    sample=_sample_column_layer,
    symbolic_sizes=_SIZES,
    tensor_forward=_tensor_score,
    convention="column",
))

register(IdentityEntry(
    name="one_layer_grad_x",
    title="One layer (column convention): gradient with respect to the input",
    latex=(r"s = \vb{u}^{\top} f(W\vb{x} + \vb{b}) \;\Rightarrow\; "
           r"\frac{\partial s}{\partial \vb{x}} = W^{\top} \vb{\delta}"),
    shapes={**_SHAPES, "ds/dx": "(D,)"},
    forward=_one_layer_score,
    wrt="x",
    compact=lambda delta, out, W, x, b, u: delta * ch07.column_layer_backward(
        _delta(W, x, b, u), W, x)[2],
    sample=_sample_column_layer,
    symbolic_sizes=_SIZES,
    tensor_forward=_tensor_score,
    convention="column",
))
