"""Registry entries for the element-wise activations (chapter 6).

The compact formulas are the ``*_grad_Z`` kernels of
:mod:`nnmath.activations`, which :class:`~nnmath.Sigmoid`, :class:`~nnmath.Tanh`,
:class:`~nnmath.ReLU` and :class:`~nnmath.LeakyReLU` call. NumPy's ``exp`` and
``tanh`` cannot act on SymPy symbols, so each entry has a ``symbolic_forward``
that applies SymPy's function entry by entry. ReLU and leaky ReLU are
piecewise: their SymPy checks run once for every sign pattern of a 2×2 input,
with symbols declared positive or negative, so SymPy resolves each piece
exactly. The autodiff route never calls the engine's own rule for the
activation it checks: it builds ``tanh`` and the sigmoid from ``exp``, and the
ReLUs from ``√(z²) = |z|`` (:mod:`.tensor_routes`).
"""

from itertools import product

import numpy as np
import sympy as sp

from ... import activations as act
from ..allsizes import IndexArray
from ..symbolic import prove_vjp
from . import tensor_routes as tr
from .core import IdentityEntry, kernel, register


def elementwise(fn):
    """Apply a SymPy function to every entry of an object array (glue for symbolic forwards)."""
    return np.vectorize(fn, otypes=[object])


sym_sigmoid = elementwise(lambda z: 1 / (1 + sp.exp(-z)))
sym_tanh = elementwise(sp.tanh)
sym_exp = elementwise(sp.exp)
sym_log = elementwise(sp.log)


def tanh_any(Z):
    """``tanh`` of a numeric array, or SymPy's ``tanh`` of each entry of an object array.

    An :class:`~nnmath.book.allsizes.IndexArray` (symbolic sizes) takes NumPy's
    ``np.tanh``, which it maps to SymPy's entry by entry.
    """
    if isinstance(Z, IndexArray):
        return np.tanh(Z)
    Z = np.asarray(Z)
    return sym_tanh(Z) if Z.dtype == object else act.tanh(Z)


def _sample_activation(rng, shape=(4, 3)):
    return {"Z": rng.standard_normal(shape)}


def _sample_away_from_kink(rng, shape=(4, 3)):
    # |z| >= 0.1 so a finite-difference step of 1e-6 never crosses the kink at 0
    z = rng.standard_normal(shape)
    return {"Z": np.sign(z) * (0.1 + np.abs(z))}


def _sample_leaky(rng):
    return {**_sample_away_from_kink(rng), "slope": 0.1}


def signed_symbols(name, signs):
    """Object array of symbols ``name_{i}`` declared positive (+1) or negative (−1)."""
    signs = np.asarray(signs)
    Z = np.empty(signs.shape, dtype=object)
    for index in np.ndindex(signs.shape):
        label = f"{name}_{{{','.join(str(i + 1) for i in index)}}}"
        sign = {"positive": True} if signs[index] > 0 else {"negative": True}
        Z[index] = sp.Symbol(label, real=True, **sign)
    return Z


def prove_piecewise(symbolic_forward, compact, *, shape=(2, 2), extra=None, name=""):
    """Check a VJP of a piecewise map exactly, for every sign pattern of a small input.

    Parameters
    ----------
    symbolic_forward : callable
        ``symbolic_forward(Z, **extra)`` on an object array of signed symbols.
    compact : callable
        ``compact(delta, out, Z, **extra)``: the formula under test.
    shape : tuple of int
        Shape of ``Z``; all ``2**size`` sign patterns are tried.
    extra : dict, optional
        Further (symbolic) inputs, e.g. the slope.

    Returns
    -------
    list of ProofResult
        One per sign pattern; the derivative at exactly 0 is a convention and
        is not part of the claim.
    """
    extra = dict(extra or {})
    results = []
    for signs in product((1, -1), repeat=int(np.prod(shape))):
        signs = np.reshape(signs, shape)
        inputs = {"Z": signed_symbols("Z", signs), **extra}
        pattern = "".join("+" if s > 0 else "-" for s in signs.flat)
        results.append(prove_vjp(symbolic_forward, inputs, "Z", compact,
                                 statement=f"{name} for sign pattern {pattern}"))
    return results


register(IdentityEntry(
    name="sigmoid_grad_Z",
    title="Sigmoid: gradient through the activation",
    latex=(r"Y = \sigma(Z) \;\Rightarrow\; \frac{\partial L}{\partial Z}"
           r" = \delta \odot Y \odot (1 - Y)"),
    shapes={"Z": "(N, C)", "delta": "(N, C)", "dL/dZ": "(N, C)"},
    forward=lambda Z: act.sigmoid(Z),
    wrt="Z",
    compact=kernel(act.sigmoid_grad_Z, Y="out"),
    sample=_sample_activation,
    symbolic_sizes=({"Z": (2, 2)}, {"Z": (1, 3)}),
    symbolic_forward=lambda Z: sym_sigmoid(Z),
    tensor_forward=tr.sigmoid,
))

register(IdentityEntry(
    name="tanh_grad_Z",
    title="Tanh: gradient through the activation",
    latex=(r"Y = \tanh(Z) \;\Rightarrow\; \frac{\partial L}{\partial Z}"
           r" = \delta \odot (1 - Y \odot Y)"),
    shapes={"Z": "(N, C)", "delta": "(N, C)", "dL/dZ": "(N, C)"},
    forward=lambda Z: act.tanh(Z),
    wrt="Z",
    compact=kernel(act.tanh_grad_Z, Y="out"),
    sample=_sample_activation,
    symbolic_sizes=({"Z": (2, 2)}, {"Z": (1, 3)}),
    symbolic_forward=lambda Z: sym_tanh(Z),
    tensor_forward=tr.tanh,
))

_sym_relu = elementwise(lambda z: sp.Max(z, 0))


register(IdentityEntry(
    name="relu_grad_Z",
    title="ReLU: gradient through the activation",
    latex=(r"Y = \max(Z, 0) \;\Rightarrow\; \frac{\partial L}{\partial Z}"
           r" = \delta \odot [Z > 0]"),
    shapes={"Z": "(N, C)", "delta": "(N, C)", "dL/dZ": "(N, C)"},
    forward=lambda Z: act.relu(Z),
    wrt="Z",
    compact=kernel(act.relu_grad_Z),
    sample=_sample_away_from_kink,
    proof=lambda compact: prove_piecewise(lambda Z: _sym_relu(Z), compact,
                                          name="ReLU backward"),
    tensor_forward=tr.relu,
    notes="At z = 0 the derivative is taken to be 0 (a subgradient).",
))


def _sym_leaky(Z, slope):
    return elementwise(lambda z: sp.Piecewise((z, z > 0), (slope * z, True)))(Z)


register(IdentityEntry(
    name="leaky_relu_grad_Z",
    title="Leaky ReLU: gradient through the activation",
    latex=(r"Y = \max(Z, aZ) \;\Rightarrow\; \frac{\partial L}{\partial Z}"
           r" = \delta \odot \bigl([Z > 0] + a\,[Z \le 0]\bigr)"),
    shapes={"Z": "(N, C)", "a": "()", "delta": "(N, C)", "dL/dZ": "(N, C)"},
    forward=act.leaky_relu,
    wrt="Z",
    compact=kernel(act.leaky_relu_grad_Z),
    sample=_sample_leaky,
    proof=lambda compact: prove_piecewise(
        _sym_leaky, compact, name="leaky ReLU backward",
        extra={"slope": sp.Symbol("a", nonnegative=True)}),
    tensor_forward=tr.leaky_relu,
    notes="The slope a is a symbol in the SymPy check; at z = 0 the derivative is taken to be a.",
))

__all__ = ["elementwise", "sym_sigmoid", "sym_tanh", "sym_exp", "sym_log", "tanh_any",
           "signed_symbols", "prove_piecewise"]
