"""Chapter 8 (losses): the overflowing log-sum-exp that the stable one replaces."""

import numpy as np


def naive_logsumexp(Z):
    r"""The textbook ``log Σ_k exp(z_k)``: overflows to ``inf`` for large logits.

    Shown in chapter 8 to motivate :func:`logsumexp`. The overflow of
    ``exp`` (and the ``log 0`` of a sum that underflowed) would raise NumPy
    RuntimeWarnings; they are silenced here with ``np.errstate`` so that the
    demonstration prints ``inf``/``-inf`` instead of warning.

    Parameters
    ----------
    Z : array_like, shape (..., C)

    Returns
    -------
    out : ndarray, shape (...)
        ``inf`` once any ``z_k`` exceeds about 709 in float64 (88 in float32).
    """
    Z = np.asarray(Z)
    with np.errstate(over="ignore", divide="ignore"):
        return np.log(np.sum(np.exp(Z), axis=-1))
