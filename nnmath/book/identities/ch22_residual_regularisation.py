r"""Registry entries for residual connections and regularisation (chapter ch-residual-regularisation).

* ``residual_grad_X``: ``Y = X + tanh(XW)``, Jacobian ``I + ∂F/∂X``; the
  compact formula is :class:`nnmath.Residual`'s ``δ + (branch's backward)``
  with the branch's rules from chapters 5 and 6.
* ``weight_decay_grad``: the gradient ``λW`` of ``(λ/2)‖W‖²_F``.
* ``dropout_grad_X``: ``δ ⊙ m / (1 − p)``, the Jacobian ``diag(m / (1 − p))``
  for a fixed mask ``m``; the SymPy check keeps ``m`` and ``p`` symbols, so it
  covers every mask at once.
"""

import numpy as np

from ...activations import tanh_grad_Z
from ...matmul import matmul_forward, matmul_grad_X
from .ch06_activations import tanh_any
from .core import IdentityEntry, register


def residual_forward(X, W):
    """``X + tanh(X W)``: a residual block whose branch is a bias-free tanh layer."""
    return X + tanh_any(matmul_forward(X, W))


def residual_compact(delta, out, X, W):
    """``δ + (δ ⊙ (1 − tanh²(XW))) Wᵀ``: the identity's share plus the branch's backward."""
    branch = tanh_grad_Z(delta, tanh_any(matmul_forward(X, W)))
    return delta + matmul_grad_X(branch, W)


register(IdentityEntry(
    name="residual_grad_X",
    title="Residual block: gradient with respect to the input",
    latex=(r"Y = X + F(X) \;\Rightarrow\; \frac{\partial L}{\partial X} = \delta + "
           r"\delta \cdot \frac{\partial F}{\partial X},\quad F(X) = \tanh(XW):\ "
           r"\delta + \bigl(\delta \odot (1 - \tanh^2(XW))\bigr) W^{\top}"),
    shapes={"X": "(N, D)", "W": "(D, D)", "delta": "(N, D)", "dL/dX": "(N, D)"},
    forward=residual_forward,
    wrt="X",
    compact=residual_compact,
    sample=lambda rng: {"X": rng.standard_normal((4, 3)), "W": rng.standard_normal((3, 3))},
    symbolic_sizes=({"X": (1, 2), "W": (2, 2)}, {"X": (2, 2), "W": (2, 2)}),
    tensor_forward=lambda X, W: X + (X @ W).tanh(),
    notes="The branch F is a tanh layer here; the identity term delta does not depend on F.",
))


def weight_decay_penalty(W, lam):
    """``(λ/2)‖W‖²_F``."""
    return lam / 2 * np.sum(W * W)


register(IdentityEntry(
    name="weight_decay_grad",
    title="Weight decay: gradient of the penalty",
    latex=(r"R = \frac{\lambda}{2}\lVert W \rVert_F^2 \;\Rightarrow\; "
           r"\frac{\partial R}{\partial W} = \lambda W"),
    shapes={"W": "(D, C)", "lambda": "()", "delta": "()", "dR/dW": "(D, C)"},
    forward=weight_decay_penalty,
    wrt="W",
    compact=lambda delta, out, W, lam: delta * lam * W,
    sample=lambda rng: {"W": rng.standard_normal((4, 3)), "lam": 0.3},
    symbolic_sizes=({"W": (2, 2), "lam": ()}, {"W": (3, 1), "lam": ()}),
    tensor_forward=lambda W, lam: (W ** 2).sum() * (lam * 0.5),
))


def dropout_forward(X, mask, p):
    """Inverted dropout with a given 0/1 ``mask``: ``m ⊙ X / (1 − p)``."""
    return X * mask / (1 - p)


def dropout_compact(delta, out, X, mask, p):
    """``δ ⊙ m / (1 − p)``: :class:`nnmath.Dropout`'s backward for the mask ``m``."""
    return delta * mask / (1 - p)


def _sample_dropout(rng, p=0.3):
    X = rng.standard_normal((4, 5))
    return {"X": X, "mask": (rng.random(X.shape) >= p).astype(float), "p": p}


register(IdentityEntry(
    name="dropout_grad_X",
    title="Dropout: gradient with respect to the input",
    latex=(r"Y = \frac{M \odot X}{1 - p} \;\Rightarrow\; "
           r"\frac{\partial L}{\partial X} = \frac{M \odot \delta}{1 - p}"),
    shapes={"X": "(N, D)", "M": "(N, D) of 0/1", "p": "()", "delta": "(N, D)",
            "dL/dX": "(N, D)"},
    forward=dropout_forward,
    wrt="X",
    compact=dropout_compact,
    sample=_sample_dropout,
    symbolic_sizes=({"X": (2, 2), "mask": (2, 2), "p": ()}, {"X": (1, 3), "mask": (1, 3), "p": ()}),
    tensor_forward=lambda X, mask, p: X * mask / (1 - p),
    notes="The mask M is fixed (drawn once per forward pass); M and p are symbols in the SymPy check.",
))

__all__ = ["residual_forward", "residual_compact", "weight_decay_penalty", "dropout_forward",
           "dropout_compact"]
