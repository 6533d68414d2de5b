"""Registry entries for the first-derivative results of chapter 3.

The quadratic form has a scalar output, so its upstream gradient ``δ`` has
shape ``()`` and the compact formula is ``δ`` times the gradient. Every entry
also gives its forward with :class:`nnmath.autodiff.Tensor` operations, so the
reverse-mode engine checks it as a third route; the products there are written
as broadcast multiplies and sums (:mod:`.tensor_routes`), not with ``@``.

The chapter writes vectors as columns (``y = W x``): these entries use the
column convention.
"""

from ..chapters import ch03_derivatives as calc
from . import tensor_routes as tr
from .core import IdentityEntry, register


def _tensor_quadratic(A, x):
    """``xᵀ A x = Σ_ij x_i A_ij x_j`` with broadcast multiplies and one sum."""
    return (x.reshape(-1, 1) * A * x.reshape(1, -1)).sum()


def _sample_linear_map(rng, C=3, D=4):
    return {"W": rng.standard_normal((C, D)), "x": rng.standard_normal(D)}


def _sample_quadratic(rng, D=4):
    return {"A": rng.standard_normal((D, D)), "x": rng.standard_normal(D)}


register(IdentityEntry(
    name="linear_map_grad_x",
    title="Linear map: gradient with respect to its input",
    latex=r"\vb{y} = W \vb{x} \;\Rightarrow\; \frac{\partial L}{\partial \vb{x}} = W^{\top} \vb{\delta}",
    shapes={"W": "(C, D)", "x": "(D,)", "delta": "(C,)", "dL/dx": "(D,)"},
    forward=lambda W, x: W @ x,
    wrt="x",
    compact=lambda delta, out, W, x: calc.linear_map_grad_x(W, delta),
    sample=_sample_linear_map,
    symbolic_sizes=({"W": (2, 3), "x": (3,)}, {"W": (3, 2), "x": (2,)}),
    tensor_forward=lambda W, x: tr.matmul(W, x),
    convention="column",
))

register(IdentityEntry(
    name="quadratic_form_grad",
    title="Quadratic form: gradient with respect to the vector",
    latex=r"f = \vb{x}^{\top} A \vb{x} \;\Rightarrow\; \frac{\partial f}{\partial \vb{x}} = (A + A^{\top})\, \vb{x}",
    shapes={"A": "(D, D)", "x": "(D,)", "delta": "()", "dL/dx": "(D,)"},
    forward=calc.quadratic_form,
    wrt="x",
    compact=lambda delta, out, A, x: delta * calc.quadratic_form_grad(A, x),
    sample=_sample_quadratic,
    symbolic_sizes=({"A": (2, 2), "x": (2,)}, {"A": (3, 3), "x": (3,)}),
    tensor_forward=_tensor_quadratic,
    convention="column",
))

register(IdentityEntry(
    name="quadratic_form_grad_A",
    title="Quadratic form: gradient with respect to the matrix",
    latex=r"f = \vb{x}^{\top} A \vb{x} \;\Rightarrow\; \frac{\partial f}{\partial A} = \vb{x}\, \vb{x}^{\top}",
    shapes={"A": "(D, D)", "x": "(D,)", "delta": "()", "dL/dA": "(D, D)"},
    forward=calc.quadratic_form,
    wrt="A",
    compact=lambda delta, out, A, x: delta * calc.quadratic_form_grad_A(A, x),
    sample=_sample_quadratic,
    symbolic_sizes=({"A": (2, 2), "x": (2,)}, {"A": (3, 3), "x": (3,)}),
    tensor_forward=_tensor_quadratic,
    convention="column",
))
