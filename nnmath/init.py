r"""Weight initialisation: naive, Xavier (Glorot) and He.

The variance of a pre-activation is the fan-in times the variance of a weight
times the second moment of the layer's input (chapter 16 derives it):

.. math:: \operatorname{Var}(z) = n \operatorname{Var}(w)\, \mathbb{E}[x^2].

Each scheme below picks ``Var(w)`` to keep that quantity from growing or
shrinking from layer to layer; :mod:`nnmath.book.chapters.ch16_vanishing_exploding`
measures what actually happens.
"""


import numpy as np

from .checks import check_count, check_rng

__all__ = ["naive_normal", "lecun_normal", "xavier_normal", "he_normal", "INITIALISERS",
           "initial_weights"]


def _check_sizes(owner, in_features, out_features, rng):
    check_count(owner, "in_features", in_features)
    check_count(owner, "out_features", out_features)
    check_rng(owner, rng)


def naive_normal(in_features, out_features, rng, std=1.0):
    r"""Weights drawn from :math:`\mathcal N(0, \text{std}^2)`, ignoring the layer's size.

    Parameters
    ----------
    in_features, out_features : int
        Fan-in ``n`` and fan-out ``m``.
    rng : numpy.random.Generator
    std : float, optional
        Standard deviation (default 1).

    Returns
    -------
    W : ndarray, shape (in_features, out_features)

    Notes
    -----
    Each layer multiplies the variance of the signal by about
    :math:`n\,\text{std}^2` (times a factor of the activation), so in a deep
    net it explodes or vanishes geometrically unless ``std`` happens to be
    right (chapter 16).
    """
    _check_sizes("naive_normal", in_features, out_features, rng)
    if not (np.isfinite(std) and std > 0):
        raise ValueError(f"naive_normal: std must be positive and finite, got {std!r}")
    return rng.normal(0.0, std, size=(in_features, out_features))


def xavier_normal(in_features, out_features, rng):
    r"""Glorot/Xavier normal initialisation: :math:`\operatorname{Var}(w) = 2/(n + m)`.

    Parameters
    ----------
    in_features, out_features : int
        Fan-in ``n`` and fan-out ``m``.
    rng : numpy.random.Generator

    Returns
    -------
    W : ndarray, shape (in_features, out_features)

    Notes
    -----
    Keeping the forward variance needs :math:`n \operatorname{Var}(w) = 1`,
    keeping the backward variance :math:`m \operatorname{Var}(w) = 1`; the
    harmonic compromise :math:`\operatorname{Var}(w) = 2/(n+m)` is the choice
    of Glorot and Bengio (2010) for activations with slope 1 at 0 (tanh).
    Derived in chapter 16.
    """
    _check_sizes("xavier_normal", in_features, out_features, rng)
    std = np.sqrt(2.0 / (in_features + out_features))
    return rng.normal(0.0, std, size=(in_features, out_features))


def lecun_normal(in_features, out_features, rng):
    r"""LeCun normal initialisation: :math:`\operatorname{Var}(w) = 1/n` (the default of :class:`nnmath.Linear`).

    Parameters
    ----------
    in_features, out_features : int
        Fan-in ``n`` and fan-out ``m``.
    rng : numpy.random.Generator

    Returns
    -------
    W : ndarray, shape (in_features, out_features)

    Notes
    -----
    :math:`n \operatorname{Var}(w) = 1` keeps the variance of a pre-activation
    equal to the mean square of the layer's input (chapter 16).
    """
    _check_sizes("lecun_normal", in_features, out_features, rng)
    return rng.normal(0.0, np.sqrt(1.0 / in_features), size=(in_features, out_features))


def he_normal(in_features, out_features, rng):
    r"""He/Kaiming normal initialisation: :math:`\operatorname{Var}(w) = 2/n`.

    Parameters
    ----------
    in_features, out_features : int
        Fan-in ``n`` and fan-out ``m``.
    rng : numpy.random.Generator

    Returns
    -------
    W : ndarray, shape (in_features, out_features)

    Notes
    -----
    A ReLU keeps half of the second moment of a symmetric input,
    :math:`\mathbb{E}[\mathrm{relu}(z)^2] = \operatorname{Var}(z)/2`, so
    :math:`n \operatorname{Var}(w) = 2` keeps it constant from layer to layer
    (He et al., 2015). Derived in chapter 16.
    """
    _check_sizes("he_normal", in_features, out_features, rng)
    std = np.sqrt(2.0 / in_features)
    return rng.normal(0.0, std, size=(in_features, out_features))


INITIALISERS = {"naive": naive_normal, "lecun": lecun_normal, "xavier": xavier_normal,
                "he": he_normal}
"""Initialisation schemes by name, each ``f(in_features, out_features, rng) -> W``."""


def initial_weights(owner, init, D, C, rng):
    """``W (D, C)`` drawn by the scheme ``init`` names, or returned by the callable ``init(D, C, rng)``.

    Raises a ValueError naming ``owner`` for an unknown name, or for a callable that
    returns anything but floats of shape ``(D, C)``.
    """
    if callable(init):
        W = np.asarray(init(D, C, rng))
        if W.shape != (D, C) or W.dtype.kind != "f":
            raise ValueError(f"{owner}: init returned an array of shape {W.shape} and dtype "
                             f"{W.dtype}; expected floats of shape ({D}, {C})")
        return W
    if init not in INITIALISERS:
        raise ValueError(f"{owner}: init must be one of {sorted(INITIALISERS)} or a callable "
                         f"init(in_features, out_features, rng), got {init!r}")
    return INITIALISERS[init](D, C, rng)
