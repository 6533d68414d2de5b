r"""Rotary position embedding (RoPE) of queries and keys, in the rotate-half convention (issue 25).

A head's width ``d_h = 2m`` is read as ``m`` planes: column ``i`` pairs with
column ``i + m``. At position ``t`` the plane ``i`` is turned by the angle
``θ_{t,i} = t · base^{−i/m}`` (``base = 10000``, ``t`` counted from 0):

.. math:: y_i = x_i \cos\theta_{t,i} - x_{i+m} \sin\theta_{t,i}, \qquad
          y_{i+m} = x_{i+m} \cos\theta_{t,i} + x_i \sin\theta_{t,i}.

So ``y = R_t x`` with ``R_t`` orthogonal, ``R_tᵀ = R_{−t}`` and ``R_sᵀ R_t = R_{t−s}``:
the score ``(R_s q)ᵀ (R_t k) = qᵀ R_{t−s} k`` depends on the positions only
through ``t − s``. The map is linear in ``x``, so its backward pass is the
transpose: the rotation by ``−θ``.
"""

import numpy as np

from .checks import check_count

__all__ = ["rope_angles", "rope", "rope_grad_X"]


def rope_angles(T, d_head, base=10000.0):
    r"""``cos θ`` and ``sin θ`` of every position and plane, ``θ_{t,i} = t · base^{−i/m}``.

    Parameters
    ----------
    T : int
        Number of positions ``t = 0 … T−1``.
    d_head : int
        Even head width ``2m``.
    base : float, optional

    Returns
    -------
    cos, sin : ndarray, shape (T, m)
    """
    T, d_head = check_count("rope_angles", "T", T), check_count("rope_angles", "d_head", d_head)
    if d_head % 2:
        raise ValueError(f"rope_angles: d_head must be even (two columns a plane), got {d_head}")
    m = d_head // 2
    theta = np.arange(T)[:, None] * base ** (-np.arange(m) / m)
    return np.cos(theta), np.sin(theta)


def rope(X, cos, sin):
    r"""Rotate each plane ``(x_i, x_{i+m})`` of ``X`` by the angles of its position.

    Parameters
    ----------
    X : ndarray, shape (..., T, 2m)
        Queries or keys of one or many heads.
    cos, sin : ndarray, shape (T, m)
        From :func:`rope_angles`.

    Returns
    -------
    Y : ndarray, shape of ``X``

    Notes
    -----
    .. math:: y_{:m} = x_{:m} \cos\theta - x_{m:} \sin\theta, \qquad
              y_{m:} = x_{m:} \cos\theta + x_{:m} \sin\theta
    """
    m = X.shape[-1] // 2
    x1, x2 = X[..., :m], X[..., m:]
    return np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)


def rope_grad_X(dY, cos, sin):
    r"""Gradient through :func:`rope`: the transpose rotation, by ``−θ``.

    Parameters
    ----------
    dY : ndarray, shape (..., T, 2m)
        Upstream gradient ``∂L/∂Y``.
    cos, sin : ndarray, shape (T, m)

    Returns
    -------
    dX : ndarray, shape of ``dY``

    Notes
    -----
    ``Y = R X`` row by row with ``R`` orthogonal, so ``∂L/∂X = Rᵀ δ``, and
    ``Rᵀ`` turns every plane back: :func:`rope` with ``sin`` negated.
    """
    return rope(dY, cos, -sin)
