r"""Registry entries for backpropagation through layers (chapter 9).

A network ``X_l = f_l(Z_l)``, ``Z_l = X_{l−1} W_l``, with ``E = ½‖X_L − T‖²``.
Each entry is one step of the backward pass written as a vector-Jacobian
product, with ``f = tanh`` (its derivative from the output,
:func:`nnmath.activations.tanh_grad_Z`). The compact formulas are
:func:`nnmath.model.output_delta`, :func:`nnmath.model.delta_recursion` and
:func:`nnmath.matmul.matmul_grad_W` / :func:`~nnmath.matmul.matmul_grad_X`
applied to ``δ ⊙ f'(Z)``.
:func:`nnmath.book.chapters.ch09_backprop_layers.prove_backprop` checks the
composition exactly for a whole network with arbitrary activations, at fixed
sizes. The autodiff route builds ``tanh`` from ``exp`` and the products from
broadcast multiplies and sums (:mod:`.tensor_routes`).
"""

import numpy as np

from ... import matmul as mm
from ..chapters import ch09_backprop_layers as model
from ...activations import tanh_grad_Z
from . import tensor_routes as tr
from .ch06_activations import tanh_any
from .core import IdentityEntry, register


def _fprime(Z):
    """tanh'(Z) = 1 − tanh²(Z), from the output (glue: the formula is tanh_grad_Z)."""
    return tanh_grad_Z(1, tanh_any(Z))


def _sample_output(rng, N=3, C=2):
    return {"Z": rng.standard_normal((N, C)), "T": rng.standard_normal((N, C))}


def _sample_recursion(rng, N=3, D=4, C=2):
    return {"Z": rng.standard_normal((N, D)), "W": rng.standard_normal((D, C))}


def _sample_layer(rng, N=3, D=4, C=2):
    return {"X": rng.standard_normal((N, D)), "W": rng.standard_normal((D, C))}


register(IdentityEntry(
    name="backprop_output_delta",
    title="Output layer: the delta of the squared error",
    latex=(r"E = \tfrac12 \lVert f(Z_L) - T \rVert^2 \;\Rightarrow\; "
           r"\delta_L = \frac{\partial E}{\partial Z_L} = (X_L - T) \odot f'(Z_L)"),
    shapes={"Z_L": "(N, C)", "T": "(N, C)", "delta": "()", "dE/dZ_L": "(N, C)"},
    forward=lambda Z, T: 0.5 * np.sum((tanh_any(Z) - T) ** 2),
    wrt="Z",
    compact=lambda delta, out, Z, T: delta * model.output_delta(tanh_any(Z), T, _fprime(Z)),
    sample=_sample_output,
    symbolic_sizes=({"Z": (1, 2), "T": (1, 2)}, {"Z": (2, 2), "T": (2, 2)}),
    tensor_forward=lambda Z, T: 0.5 * ((tr.tanh(Z) - T) ** 2).sum(),
    notes="Checked with f = tanh.",
))

register(IdentityEntry(
    name="backprop_delta_recursion",
    title="The delta recursion: from layer l+1 back to layer l",
    latex=(r"Z_{l+1} = f_l(Z_l)\, W_{l+1} \;\Rightarrow\; "
           r"\delta_l = \left(\delta_{l+1} W_{l+1}^{\top}\right) \odot f_l'(Z_l)"),
    shapes={"Z_l": "(N, D)", "W_{l+1}": "(D, C)", "delta_{l+1}": "(N, C)",
            "delta_l": "(N, D)"},
    forward=lambda Z, W: tanh_any(Z) @ W,
    wrt="Z",
    compact=lambda delta, out, Z, W: model.delta_recursion(delta, W, _fprime(Z)),
    sample=_sample_recursion,
    symbolic_sizes=({"Z": (1, 2), "W": (2, 2)}, {"Z": (2, 3), "W": (3, 2)}),
    tensor_forward=lambda Z, W: tr.matmul(tr.tanh(Z), W),
    notes="Checked with f = tanh.",
))

register(IdentityEntry(
    name="backprop_layer_grad_W",
    title="Layer l of a network: gradient with respect to its weights",
    latex=(r"X_l = f(X_{l-1} W_l) \;\Rightarrow\; \frac{\partial E}{\partial W_l} = "
           r"X_{l-1}^{\top} \delta_l,\quad \delta_l = \frac{\partial E}{\partial X_l} \odot f'(Z_l)"),
    shapes={"X_{l-1}": "(N, D)", "W_l": "(D, C)", "dE/dX_l": "(N, C)", "dE/dW_l": "(D, C)"},
    forward=lambda X, W: tanh_any(X @ W),
    wrt="W",
    compact=lambda delta, out, X, W: mm.matmul_grad_W(tanh_grad_Z(delta, out), X),
    sample=_sample_layer,
    symbolic_sizes=({"X": (1, 2), "W": (2, 2)}, {"X": (2, 3), "W": (3, 2)}),
    tensor_forward=lambda X, W: tr.tanh(tr.matmul(X, W)),
    notes="Checked with f = tanh.",
))

register(IdentityEntry(
    name="backprop_layer_grad_X",
    title="Layer l of a network: gradient with respect to its input",
    latex=(r"X_l = f(X_{l-1} W_l) \;\Rightarrow\; \frac{\partial E}{\partial X_{l-1}} = "
           r"\delta_l W_l^{\top},\quad \delta_l = \frac{\partial E}{\partial X_l} \odot f'(Z_l)"),
    shapes={"X_{l-1}": "(N, D)", "W_l": "(D, C)", "dE/dX_l": "(N, C)",
            "dE/dX_{l-1}": "(N, D)"},
    forward=lambda X, W: tanh_any(X @ W),
    wrt="X",
    compact=lambda delta, out, X, W: mm.matmul_grad_X(tanh_grad_Z(delta, out), W),
    sample=_sample_layer,
    symbolic_sizes=({"X": (1, 2), "W": (2, 2)}, {"X": (2, 3), "W": (3, 2)}),
    tensor_forward=lambda X, W: tr.tanh(tr.matmul(X, W)),
    notes="Checked with f = tanh.",
))
