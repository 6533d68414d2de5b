"""Registry entries for the product of two matrices, ``Y = XW`` (chapter 5).

The compact formulas are :func:`nnmath.matmul.matmul_grad_W` and
:func:`~nnmath.matmul.matmul_grad_X`, which :class:`~nnmath.Linear` calls. The
autodiff route writes the product as a broadcast multiply and a sum
(:func:`.tensor_routes.matmul`), so it never uses the engine's ``@`` rule, which
is the identity these entries state.
"""

from ... import matmul as mm
from . import tensor_routes as tr
from ..allsizes_proofs import INDEX
from ..symbolic import prove_matmul_collapse_all_sizes
from .core import IdentityEntry, kernel, register


def _sample_batch(rng, N=5, D=4, C=3):
    return {"X": rng.standard_normal((N, D)), "W": rng.standard_normal((D, C))}


def _all_sizes(key):
    """The proof for symbolic N, D, C of the entry's compact formula (or of a given one)."""
    def proof(compact):
        if key == "W":
            return prove_matmul_collapse_all_sizes(
                grad_W=lambda delta, X: compact(delta, None, X=X, W=None))["W"]
        return prove_matmul_collapse_all_sizes(
            grad_X=lambda delta, W: compact(delta, None, X=None, W=W))["X"]
    return proof


register(IdentityEntry(
    name="matmul_grad_W",
    title="Matrix product: gradient with respect to the weights",
    latex=r"Y = XW \;\Rightarrow\; \frac{\partial L}{\partial W} = X^{\top} \delta",
    shapes={"X": "(N, D)", "W": "(D, C)", "delta": "(N, C)", "dL/dW": "(D, C)"},
    forward=mm.matmul_forward,
    wrt="W",
    compact=kernel(mm.matmul_grad_W),
    sample=_sample_batch,
    symbolic_sizes=({"X": (1, 2), "W": (2, 2)}, {"X": (2, 3), "W": (3, 2)},
                    {"X": (3, 2), "W": (2, 4)}),
    tensor_forward=lambda X, W: tr.matmul(X, W),
    all_sizes_proof=_all_sizes("W"), all_sizes_method=INDEX,
))

register(IdentityEntry(
    name="matmul_grad_X",
    title="Matrix product: gradient with respect to the input",
    latex=r"Y = XW \;\Rightarrow\; \frac{\partial L}{\partial X} = \delta W^{\top}",
    shapes={"X": "(N, D)", "W": "(D, C)", "delta": "(N, C)", "dL/dX": "(N, D)"},
    forward=mm.matmul_forward,
    wrt="X",
    compact=kernel(mm.matmul_grad_X),
    sample=_sample_batch,
    symbolic_sizes=({"X": (1, 2), "W": (2, 2)}, {"X": (2, 3), "W": (3, 2)},
                    {"X": (3, 2), "W": (2, 4)}),
    tensor_forward=lambda X, W: tr.matmul(X, W),
    all_sizes_proof=_all_sizes("X"), all_sizes_method=INDEX,
))
