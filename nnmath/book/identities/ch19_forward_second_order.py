r"""Registry entry of chapter 19: a Hessian-vector product written as a gradient.

The Hessian-vector product of a scalar ``L`` is the gradient of its
directional derivative: ``H v = ∇_Z ⟨∇_Z L, V⟩``. For the mean softmax
cross-entropy over logits ``Z (N, C)`` the directional derivative is
``⟨(softmax(Z) − T)/N, V⟩``, and its gradient is the softmax vector-Jacobian
product of chapter 8 applied to ``V``: the Hessian of the loss in the logits is
the softmax Jacobian divided by ``N``. This is the matrix the Gauss–Newton
approximation keeps for a classifier.
"""

import numpy as np

from ... import activations as act
from .ch08_losses import softmax_any
from .core import IdentityEntry, register


def directional_derivative(Z, V, T):
    """``⟨∇_Z L, V⟩ = Σ (softmax(Z) − T) ⊙ V / N`` for the mean cross-entropy ``L``; a scalar."""
    return np.sum((softmax_any(Z) - T) * V) / Z.shape[0]


def _sample(rng, N=3, C=4):
    return {"Z": rng.standard_normal((N, C)), "V": rng.standard_normal((N, C)),
            "T": np.eye(C)[rng.integers(0, C, N)]}


def _ad():
    from ... import autodiff
    return autodiff


register(IdentityEntry(
    name="softmax_cross_entropy_hvp",
    title="Softmax cross-entropy: Hessian-vector product in the logits",
    latex=(r"\nabla_Z \bigl\langle \nabla_Z L, V \bigr\rangle = \frac{1}{N}\, P \odot "
           r"\Bigl(V - \bigl(\textstyle\sum_k V_{:,k} P_{:,k}\bigr)\mathbf{1}^{\top}\Bigr), "
           r"\quad P = \operatorname{softmax}(Z)"),
    shapes={"Z": "(N, C)", "V": "(N, C)", "T": "(N, C)", "delta": "()", "HV": "(N, C)"},
    forward=directional_derivative,
    wrt="Z",
    compact=lambda delta, out, Z, V, T: delta * act.softmax_grad_Z(V, softmax_any(Z)) / Z.shape[0],
    sample=_sample,
    symbolic_sizes=({"Z": (1, 3), "V": (1, 3), "T": (1, 3)}, {"Z": (2, 2), "V": (2, 2), "T": (2, 2)}),
    tensor_forward=lambda Z, V, T: ((_ad().softmax(Z) - T) * V).sum() * (1.0 / Z.shape[0]),
    notes=("L is the mean softmax cross-entropy of chapter 8; the result is H V with "
           "H = (diag(p) - p p^T)/N for each row. The autodiff route differentiates the "
           "softmax built from exp, sum and division."),
))
