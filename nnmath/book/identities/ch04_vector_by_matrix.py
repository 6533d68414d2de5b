"""Registry entries for a vector times a matrix (chapter 4).

The autodiff route writes every product as a broadcast multiply and a sum
(:func:`.tensor_routes.matmul`), so it never uses the engine's ``@`` rule, which
is the identity these entries state.
"""

from . import tensor_routes as tr
from ..chapters import ch04_vector_by_matrix as ch04
from .core import IdentityEntry, kernel, register


def _sample_row_vector(rng, D=4, C=3):
    return {"x": rng.standard_normal(D), "W": rng.standard_normal((D, C))}


def _sample_column_vector(rng, D=4, C=3):
    return {"W": rng.standard_normal((C, D)), "x": rng.standard_normal(D)}


register(IdentityEntry(
    name="vector_matmul_grad_W",
    title="Row vector times matrix: gradient with respect to the matrix",
    latex=r"\vb{y} = \vb{x} W \;\Rightarrow\; \frac{\partial L}{\partial W} = \vb{x}^{\top} \vb{\delta}",
    shapes={"x": "(D,)", "W": "(D, C)", "delta": "(C,)", "dL/dW": "(D, C)"},
    forward=lambda x, W: x @ W,
    wrt="W",
    compact=kernel(ch04.vector_matmul_grad_W),
    tensor_forward=lambda x, W: tr.matmul(x, W),
    sample=_sample_row_vector,
    symbolic_sizes=({"x": (2,), "W": (2, 3)}, {"x": (3,), "W": (3, 2)}),
))

register(IdentityEntry(
    name="column_matvec_grad_W",
    title="Matrix times column vector: gradient with respect to the matrix",
    latex=r"\vb{y} = W \vb{x} \;\Rightarrow\; \frac{\partial L}{\partial W} = \vb{\delta}\, \vb{x}^{\top}",
    shapes={"W": "(C, D)", "x": "(D,)", "delta": "(C,)", "dL/dW": "(C, D)"},
    forward=lambda W, x: W @ x,
    wrt="W",
    compact=kernel(ch04.column_matvec_grad_W),
    tensor_forward=lambda W, x: tr.matmul(W, x),
    sample=_sample_column_vector,
    symbolic_sizes=({"W": (3, 2), "x": (2,)}, {"W": (2, 3), "x": (3,)}),
    convention="column",
))
