r"""Registry entries of chapter 18: the Jacobian of ``Y = AXB`` as a Kronecker product.

The compact formula is the vector-Jacobian product computed the slow way the
chapter is about: one matrix-vector product of the transposed Kronecker
Jacobian with ``vec δ``, reshaped back. It is checked against SymPy's full
Jacobian at fixed sizes, against finite differences, and against the engine,
whose route is two matrix products with their own local rules (no Kronecker
product). ``extra["kronecker_form_proof"]`` proves, for symbolic sizes, that the
Jacobian is the Kronecker product the compact formula uses; it is a proof about
the Jacobian, not about the NumPy function ``compact`` (which SymPy cannot run
at symbolic sizes), so it is not the entry's ``all_sizes_proof``.
"""

from ..chapters import ch18_vec_kronecker as ch
from .core import IdentityEntry, kernel, register


def _sample(rng, P=2, M=3, N=4, Q=3):
    return {"A": rng.standard_normal((P, M)), "X": rng.standard_normal((M, N)),
            "B": rng.standard_normal((N, Q))}


def _all_sizes(key):
    return lambda: ch.prove_kron_all_sizes()[key]


SIZES = ({"A": (2, 2), "X": (2, 3), "B": (3, 2)}, {"A": (1, 3), "X": (3, 2), "B": (2, 3)})

register(IdentityEntry(
    name="kron_vec_column",
    title="vec of a matrix product, column-major: the Jacobian is a Kronecker product",
    latex=(r"\operatorname{vec}(AXB) = (B^{\top} \otimes A) \operatorname{vec} X "
           r"\;\Rightarrow\; \operatorname{vec} \frac{\partial L}{\partial X} = "
           r"(B \otimes A^{\top}) \operatorname{vec} \delta"),
    shapes={"A": "(P, M)", "X": "(M, N)", "B": "(N, Q)", "delta": "(P, Q)",
            "dL/dX": "(M, N)"},
    forward=lambda A, X, B: A @ X @ B,
    wrt="X",
    compact=kernel(ch.vjp_by_kron_column),
    sample=_sample,
    symbolic_sizes=SIZES,
    tensor_forward=lambda A, X, B: A @ X @ B,
    extra={"kronecker_form_proof": _all_sizes("column")},
    notes="vec stacks columns; (B^T kron A)^T = B kron A^T.",
))

register(IdentityEntry(
    name="kron_vec_row",
    title="vec of a matrix product, row-major (NumPy's reshape): the Kronecker twin",
    latex=(r"\operatorname{vec}_r(AXB) = (A \otimes B^{\top}) \operatorname{vec}_r X "
           r"\;\Rightarrow\; \operatorname{vec}_r \frac{\partial L}{\partial X} = "
           r"(A^{\top} \otimes B) \operatorname{vec}_r \delta"),
    shapes={"A": "(P, M)", "X": "(M, N)", "B": "(N, Q)", "delta": "(P, Q)",
            "dL/dX": "(M, N)"},
    forward=lambda A, X, B: A @ X @ B,
    wrt="X",
    compact=kernel(ch.vjp_by_kron_row),
    sample=_sample,
    symbolic_sizes=SIZES,
    tensor_forward=lambda A, X, B: A @ X @ B,
    extra={"kronecker_form_proof": _all_sizes("row")},
    notes="vec_r stacks rows, as reshape(-1) does; with A = I, B = W it is chapter 5's I kron W^T.",
))
