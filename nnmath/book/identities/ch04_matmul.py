"""Registry entries for products with a matrix (chapters 4 and 5).

The autodiff route writes every product as a broadcast multiply and a sum
(:func:`.tensor_routes.matmul`), so it never uses the engine's ``@`` rule, which
is the identity these entries state.
"""

from ... import matmul as mm
from . import tensor_routes as tr
from ..chapters import ch04_vector_by_matrix as ch04
from ..symbolic import prove_matmul_collapse_all_sizes
from .core import IdentityEntry, register

VECTOR_BY_MATRIX = "derivations/04_vector_by_matrix"
MATRIX_BY_MATRIX = "derivations/05_matrix_by_matrix"


def _sample_row_vector(rng, D=4, C=3):
    return {"x": rng.standard_normal(D), "W": rng.standard_normal((D, C))}


def _sample_column_vector(rng, D=4, C=3):
    return {"W": rng.standard_normal((C, D)), "x": rng.standard_normal(D)}


def _sample_batch(rng, N=5, D=4, C=3):
    return {"X": rng.standard_normal((N, D)), "W": rng.standard_normal((D, C))}


register(IdentityEntry(
    name="vector_matmul_grad_W",
    title="Row vector times matrix: gradient with respect to the matrix",
    chapter=VECTOR_BY_MATRIX,
    latex=r"\vb{y} = \vb{x} W \;\Rightarrow\; \frac{\partial L}{\partial W} = \vb{x}^{\top} \vb{\delta}",
    shapes={"x": "(D,)", "W": "(D, C)", "delta": "(C,)", "dL/dW": "(D, C)"},
    forward=lambda x, W: x @ W,
    wrt="W",
    compact=lambda delta, out, x, W: ch04.vector_matmul_grad_W(delta, x),
    tensor_forward=lambda x, W: tr.matmul(x, W),
    sample=_sample_row_vector,
    symbolic_sizes=({"x": (2,), "W": (2, 3)}, {"x": (3,), "W": (3, 2)}),
))

register(IdentityEntry(
    name="column_matvec_grad_W",
    title="Matrix times column vector: gradient with respect to the matrix",
    chapter=VECTOR_BY_MATRIX,
    latex=r"\vb{y} = W \vb{x} \;\Rightarrow\; \frac{\partial L}{\partial W} = \vb{\delta}\, \vb{x}^{\top}",
    shapes={"W": "(C, D)", "x": "(D,)", "delta": "(C,)", "dL/dW": "(C, D)"},
    forward=lambda W, x: W @ x,
    wrt="W",
    compact=lambda delta, out, W, x: ch04.column_matvec_grad_W(delta, x),
    tensor_forward=lambda W, x: tr.matmul(W, x),
    sample=_sample_column_vector,
    symbolic_sizes=({"W": (3, 2), "x": (2,)}, {"W": (2, 3), "x": (3,)}),
    convention="column",
))


def _all_sizes(key):
    """The proof for symbolic N, D, C of the entry's compact formula (or of a given one)."""
    def proof(compact):
        if key == "W":
            return prove_matmul_collapse_all_sizes(
                grad_W=lambda delta, X: compact(delta, None, X, None))["W"]
        return prove_matmul_collapse_all_sizes(
            grad_X=lambda delta, W: compact(delta, None, None, W))["X"]
    return proof


register(IdentityEntry(
    name="matmul_grad_W",
    title="Matrix product: gradient with respect to the weights",
    chapter=MATRIX_BY_MATRIX,
    latex=r"Y = XW \;\Rightarrow\; \frac{\partial L}{\partial W} = X^{\top} \delta",
    shapes={"X": "(N, D)", "W": "(D, C)", "delta": "(N, C)", "dL/dW": "(D, C)"},
    forward=mm.matmul_forward,
    wrt="W",
    compact=lambda delta, out, X, W: mm.matmul_grad_W(delta, X),
    sample=_sample_batch,
    symbolic_sizes=({"X": (1, 2), "W": (2, 2)}, {"X": (2, 3), "W": (3, 2)},
                    {"X": (3, 2), "W": (2, 4)}),
    tensor_forward=lambda X, W: tr.matmul(X, W),
    extra={"all_sizes_proof": _all_sizes("W")},
))

register(IdentityEntry(
    name="matmul_grad_X",
    title="Matrix product: gradient with respect to the input",
    chapter=MATRIX_BY_MATRIX,
    latex=r"Y = XW \;\Rightarrow\; \frac{\partial L}{\partial X} = \delta W^{\top}",
    shapes={"X": "(N, D)", "W": "(D, C)", "delta": "(N, C)", "dL/dX": "(N, D)"},
    forward=mm.matmul_forward,
    wrt="X",
    compact=lambda delta, out, X, W: mm.matmul_grad_X(delta, W),
    sample=_sample_batch,
    symbolic_sizes=({"X": (1, 2), "W": (2, 2)}, {"X": (2, 3), "W": (3, 2)},
                    {"X": (3, 2), "W": (2, 4)}),
    tensor_forward=lambda X, W: tr.matmul(X, W),
    extra={"all_sizes_proof": _all_sizes("X")},
))
