r"""Chapter ch-residual-regularisation: gradients through deep stacks, and a deep network on iris.

:func:`propagate` revisits the 20-layer measurement of chapter
ch-vanishing with three kinds of block built from the library's modules:
``plain`` (``Linear`` then activation), ``residual`` (the same block inside
:class:`nnmath.Residual`) and ``residual_ln`` (``LayerNorm``, ``Linear``,
activation, inside ``Residual``). :func:`deep_classifier` and
:func:`epochs_to_accuracy` train such stacks on iris.
"""

import numpy as np

from ...activations import ReLU, Sigmoid, Tanh
from ...layers import Linear
from ...losses import SoftmaxCrossEntropy
from ...model import Residual, Sequential
from ...norm import LayerNorm
from ...train import accuracy, fit

__all__ = ["KINDS", "block", "propagate", "deep_classifier", "epochs_to_accuracy"]

KINDS = ("plain", "residual", "residual_ln")
"""The three kinds of block compared in the chapter."""

_ACTIVATIONS = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


def block(kind, width, rng, activation="relu"):
    """One block of ``width`` units: ``plain``, ``residual`` or ``residual_ln`` (see the module)."""
    act = _ACTIVATIONS[activation]()
    if kind == "plain":
        return Sequential(Linear(width, width, rng=rng), act)
    if kind == "residual":
        return Residual(Sequential(Linear(width, width, rng=rng), act))
    if kind == "residual_ln":
        return Residual(Sequential(LayerNorm(width), Linear(width, width, rng=rng), act))
    raise ValueError(f"block: kind must be one of {KINDS}, got {kind!r}")


def propagate(kind, *, depth=20, width=64, batch=128, activation="relu", rng):
    r"""Signal and gradient through a stack of ``depth`` blocks of one ``kind``.

    A standard normal batch ``X (batch, width)`` goes forward through the
    blocks, a standard normal ``∂L/∂H_depth`` comes back (as in chapter
    ch-vanishing). The ``Linear`` layers keep their default initialisation,
    variance ``1/width``.

    Returns
    -------
    second_moments : ndarray, shape (depth + 1,)
        :math:`\mathbb{E}[H_l^2]` for ``l = 0 .. depth`` (``H_0 = X``).
    grad_norms : ndarray, shape (depth,)
        Entry ``l − 1`` is :math:`\lVert \partial L / \partial H_{l-1} \rVert_F`,
        the gradient block ``l`` passes to the block below.
    top_mean : float
        The mean of all entries of ``H_depth`` divided by their root mean square
        (0 for a signal centred at zero, 1 for a constant one).
    """
    blocks = [block(kind, width, rng, activation) for _ in range(depth)]
    H = rng.standard_normal((batch, width))
    second_moments = [float(np.mean(H ** 2))]
    for b in blocks:
        H = b.forward(H)
        second_moments.append(float(np.mean(H ** 2)))
    top_mean = float(np.mean(H) / np.sqrt(second_moments[-1]))
    G = rng.standard_normal(H.shape)
    norms = np.empty(depth)
    for layer in reversed(range(depth)):
        G = blocks[layer].backward(G)
        norms[layer] = np.linalg.norm(G)
    return np.array(second_moments), norms, top_mean


def deep_classifier(kind, *, depth, width, n_in, n_out, rng, activation="relu", final_norm=None):
    """``Linear(n_in, width)``, ``depth`` blocks of ``kind``, an optional ``LayerNorm``, ``Linear(width, n_out)``.

    ``final_norm`` says whether a ``LayerNorm(width)`` comes after the last block;
    None (the default) means: only for ``residual_ln``. Passing it explicitly
    gives the control arms that separate the final normalisation from the one
    in the branches.
    """
    if final_norm is None:
        final_norm = kind == "residual_ln"
    layers = [Linear(n_in, width, rng=rng)]
    layers += [block(kind, width, rng, activation) for _ in range(depth)]
    if final_norm:
        layers.append(LayerNorm(width))
    layers.append(Linear(width, n_out, rng=rng))
    return Sequential(*layers)


def epochs_to_accuracy(model, X, y, *, target, max_epochs, lr, batch_size, rng):
    """Train with :func:`nnmath.fit` one epoch at a time until the accuracy on ``X`` reaches ``target``.

    Returns
    -------
    epochs : int or None
        The first epoch after which ``accuracy(model(X), y) >= target``; None
        if it never does within ``max_epochs``.
    history : list of float
        The accuracy on ``X`` after each epoch (evaluation mode).
    """
    loss, history = SoftmaxCrossEntropy(), []
    for epoch in range(1, max_epochs + 1):
        model.train()
        fit(model, loss, X, y, epochs=1, batch_size=batch_size, lr=lr, rng=rng, progress=False)
        history.append(accuracy(model.eval().forward(X), y))
        if history[-1] >= target:
            return epoch, history
    return None, history
