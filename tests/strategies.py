"""Hypothesis strategies shared by the property tests, and the table of module cases.

Strategies: small shapes, bounded floats without NaN or infinity, and large
magnitudes (up to ±1000) for the stability properties.

``MODULE_CASES`` is the single table of layers, activations and losses that
the unit tests (``test_layers``, ``test_activations``, ``test_losses``) and the
property tests (``test_properties``) run over: adding a module means adding a
row here.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnmath as nm

# -- strategies ---------------------------------------------------------------

MAX_SIDE = 5


def sides(min_value=1, max_value=MAX_SIDE):
    """One array dimension."""
    return st.integers(min_value=min_value, max_value=max_value)


def shapes(min_dims=1, max_dims=3, min_side=1, max_side=4):
    """Array shapes of a few small dimensions."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims,
                            min_side=min_side, max_side=max_side)


def batch_shapes(max_n=MAX_SIDE, max_c=MAX_SIDE):
    """``(N, C)`` with both at least 1."""
    return st.tuples(sides(1, max_n), sides(1, max_c))


def bounded_floats(max_abs=5.0, width=64):
    """Finite floats in ``[-max_abs, max_abs]``: no NaN, no infinity."""
    return st.floats(min_value=-max_abs, max_value=max_abs, allow_nan=False,
                     allow_infinity=False, width=width)


def float_arrays(shape, max_abs=5.0, dtype=np.float64):
    """Arrays of ``shape`` (a tuple or a strategy) with bounded finite entries."""
    width = np.dtype(dtype).itemsize * 8
    return hnp.arrays(dtype, shape, elements=bounded_floats(max_abs, width=width))


def large_arrays(shape, dtype=np.float64):
    """Arrays with entries up to ±1000, the magnitudes that overflow a naive ``exp``.

    Half of the draws mix the extremes ±1000 with ordinary values so that
    saturation is always exercised.
    """
    width = np.dtype(dtype).itemsize * 8
    extremes = st.sampled_from([-1000.0, -700.0, -100.0, 100.0, 700.0, 1000.0])
    return hnp.arrays(dtype, shape,
                      elements=st.one_of(bounded_floats(1000.0, width=width), extremes))


def away_from_zero(shape, low=0.01, max_abs=5.0):
    """Arrays whose entries satisfy ``low ≤ |z| ≤ max_abs`` (off the ReLU kink)."""
    return float_arrays(shape, max_abs).map(
        lambda z: np.where(z >= 0, 1.0, -1.0) * (low + np.abs(z) * (1 - low / max_abs)))


@st.composite
def logits_and_labels(draw, max_abs=5.0, large=False):
    """``(Z, labels)``: logits of shape (N, C) and integer labels of shape (N,)."""
    N, C = draw(batch_shapes())
    Z = draw(large_arrays((N, C)) if large else float_arrays((N, C), max_abs))
    labels = draw(hnp.arrays(np.int64, N, elements=st.integers(0, C - 1)))
    return Z, labels


@st.composite
def broadcast_pairs(draw, max_abs=3.0):
    """``(A, B)`` where ``B``'s shape broadcasts to ``A``'s: leading axes dropped, others 1."""
    shape = draw(shapes(min_dims=1, max_dims=3))
    drop = draw(st.integers(0, len(shape)))
    kept = tuple(1 if draw(st.booleans()) else n for n in shape[drop:])
    return draw(float_arrays(shape, max_abs)), draw(float_arrays(kept, max_abs))


# -- the table of module cases -------------------------------------------------

@dataclass
class Case:
    """One layer, activation or loss, with how to make it and how to feed it.

    ``make()`` builds a fresh module; ``inputs(shape, rng)`` draws the forward
    arguments for an input of ``shape`` (a loss gets ``(Y, T)``); ``kind`` is
    ``"layer"``, ``"activation"`` or ``"loss"``; ``rtol`` is the tolerance of
    the finite-difference comparison in float64; ``kink`` says the input must
    stay away from 0 (ReLU family) so that a difference step never crosses it.
    """

    name: str
    make: Callable
    kind: str
    rtol: float = 1e-7
    kink: bool = False
    min_ndim: int = 1
    max_ndim: int = 3

    def __repr__(self):
        return self.name


def _linear(D=3, C=2):
    return lambda: nm.Linear(D, C, rng=np.random.default_rng(7))


MODULE_CASES = [
    Case("Linear(3, 2)", _linear(3, 2), "layer", min_ndim=2, max_ndim=2),
    Case("Linear(1, 4)", _linear(1, 4), "layer", min_ndim=2, max_ndim=2),
    Case("Sigmoid", nm.Sigmoid, "activation"),
    Case("Tanh", nm.Tanh, "activation"),
    Case("ReLU", nm.ReLU, "activation", kink=True),
    Case("LeakyReLU(0.01)", nm.LeakyReLU, "activation", kink=True),
    Case("LeakyReLU(0.3)", lambda: nm.LeakyReLU(0.3), "activation", kink=True),
    Case("Identity", nm.Identity, "activation"),
    Case("Softmax", nm.Softmax, "activation"),
    Case("MSE", nm.MSE, "loss", max_ndim=2),
    Case("SoftmaxCrossEntropy[labels]", nm.SoftmaxCrossEntropy, "loss",
         min_ndim=2, max_ndim=2),
    Case("SoftmaxCrossEntropy[one-hot]", nm.SoftmaxCrossEntropy, "loss",
         min_ndim=2, max_ndim=2),
]

LAYER_CASES = [c for c in MODULE_CASES if c.kind == "layer"]
ACTIVATION_CASES = [c for c in MODULE_CASES if c.kind == "activation"]
LOSS_CASES = [c for c in MODULE_CASES if c.kind == "loss"]


def input_shape(case, shape):
    """Fit a drawn shape to what ``case`` accepts (Linear needs (N, in_features))."""
    if case.kind == "layer":
        return (shape[0], case.make().in_features)
    return shape


def loss_targets(case, Y, rng):
    """Targets for a loss case given predictions/logits ``Y``."""
    if case.name == "MSE":
        return rng.standard_normal(Y.shape)
    labels = rng.integers(0, Y.shape[-1], Y.shape[0])
    if case.name.endswith("[one-hot]"):
        return nm.losses.one_hot(labels, Y.shape[-1])
    return labels
