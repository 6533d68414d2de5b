"""Registry entries for mini-batches (chapter 11).

The autodiff route writes the products as broadcast multiplies and sums
(:mod:`.tensor_routes`), never with the engine's ``@`` rule.
"""

from ..chapters import ch11_minibatches as bt
from . import tensor_routes as tr
from ...layers import bias_grad
from ...matmul import matmul_forward, matmul_grad_W
from .core import IdentityEntry, register


def _tensor_forward_folded(X, Wb):
    """``[X 1] Wb`` with Tensor operations; the padded input is a constant."""
    from ...autodiff import Tensor  # late import, as in IdentityEntry.check_autodiff

    return tr.matmul(Tensor(bt.append_ones_column(X.data), requires_grad=False), Wb)


def _sample_batch(rng, N=5, D=4, C=3):
    return {"X": rng.standard_normal((N, D)), "W": rng.standard_normal((D, C))}


def _sample_folded(rng, N=5, D=3, C=2):
    return {"X": rng.standard_normal((N, D)), "Wb": rng.standard_normal((D + 1, C))}


register(IdentityEntry(
    name="minibatch_grad_W_outer_products",
    title="Mini-batch weight gradient: the sum of per-sample outer products",
    latex=(r"Y = XW \;\Rightarrow\; \frac{\partial L}{\partial W} = "
           r"\sum_{n=1}^{N} \vb{x}_n^{\top} \vb{\delta}_n = X^{\top}\delta"),
    shapes={"X": "(N, D)", "W": "(D, C)", "delta": "(N, C)", "dL/dW": "(D, C)"},
    forward=matmul_forward,
    wrt="W",
    compact=lambda delta, out, X, W: bt.per_sample_weight_gradients(X, delta).sum(axis=0),
    sample=_sample_batch,
    symbolic_sizes=({"X": (1, 2), "W": (2, 2)}, {"X": (3, 2), "W": (2, 2)},
                    {"X": (4, 2), "W": (2, 3)}),
    tensor_forward=lambda X, W: tr.matmul(X, W),
))

register(IdentityEntry(
    name="bias_as_weight_row_grad",
    title="Bias folded into the weights: the gradient of the extra row is the bias gradient",
    latex=(r"Y = [X \;\; \mathbf{1}_N] \begin{bmatrix} W \\ \vb{b} \end{bmatrix}"
           r" \;\Rightarrow\; \frac{\partial L}{\partial [W; \vb{b}]} = "
           r"\begin{bmatrix} X^{\top}\delta \\ \mathbf{1}_N^{\top}\delta \end{bmatrix}"),
    shapes={"X": "(N, D)", "Wb": "(D + 1, C)", "delta": "(N, C)", "dL/dWb": "(D + 1, C)"},
    forward=lambda X, Wb: matmul_forward(bt.append_ones_column(X), Wb),
    wrt="Wb",
    compact=lambda delta, out, X, Wb: bt.fold_bias(matmul_grad_W(delta, X), bias_grad(delta)),
    sample=_sample_folded,
    symbolic_sizes=({"X": (2, 1), "Wb": (2, 2)}, {"X": (3, 2), "Wb": (3, 2)}),
    tensor_forward=_tensor_forward_folded,
))
