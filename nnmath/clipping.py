r"""Gradient clipping: a remedy for exploding gradients (chapter 16).

When the product of layer Jacobians has a norm far above one, a single step
of gradient descent can throw the parameters far away. Clipping rescales the
whole gradient, as one vector, so that its norm never exceeds a threshold; the
direction is kept, only the length is capped.
"""

import math

import numpy as np

__all__ = ["global_grad_norm", "clip_grad_norm"]


def _as_list(grads, owner):
    if isinstance(grads, np.ndarray):
        raise TypeError(f"{owner}: pass a list of gradient arrays, not a single array "
                        f"(wrap it: [g])")
    grads = list(grads)
    for i, g in enumerate(grads):
        if not isinstance(g, np.ndarray) or g.dtype.kind != "f":
            raise TypeError(f"{owner}: gradient {i} must be a floating-point ndarray, "
                            f"got {type(g).__name__}"
                            + (f" of dtype {g.dtype}" if isinstance(g, np.ndarray) else ""))
    return grads


def global_grad_norm(grads):
    r"""Euclidean norm of several gradient arrays taken together as one vector.

    Parameters
    ----------
    grads : sequence of ndarray
        Any shapes.

    Returns
    -------
    norm : float
        :math:`\sqrt{\sum_k \lVert G_k \rVert_F^2}`.

    Examples
    --------
    >>> import numpy as np
    >>> global_grad_norm([np.array([3.0]), np.array([[4.0]])])
    5.0
    """
    grads = _as_list(grads, "global_grad_norm")
    return float(np.linalg.norm([np.linalg.norm(g) for g in grads])) if grads else 0.0


def clip_grad_norm(grads, max_norm):
    r"""Rescale gradients in place so that their global norm is at most ``max_norm``.

    Parameters
    ----------
    grads : sequence of ndarray
        The gradients of all parameters (e.g. ``[g for _, _, g in model.parameters()]``);
        modified in place.
    max_norm : float
        Positive, finite threshold.

    Returns
    -------
    norm : float
        The global norm *before* clipping (useful to log how often clipping acts).

    Raises
    ------
    ValueError
        If ``max_norm`` is not positive and finite, or the gradients contain
        ``nan`` or ``inf`` (clipping cannot repair those).
    TypeError
        If ``grads`` is a single array or holds non-float arrays.

    Notes
    -----
    With :math:`\lVert g \rVert` the norm of all gradients stacked into one vector,

    .. math:: g \leftarrow g \cdot \min\!\left(1, \frac{\tau}{\lVert g \rVert}\right).

    Every array is scaled by the same factor, so the update direction is
    unchanged; only its length is capped at :math:`\tau`. Chapter 16 motivates
    it with the exploding products of Jacobians analysed by
    Pascanu, Mikolov and Bengio (2013).

    Examples
    --------
    >>> import numpy as np
    >>> g = [np.array([3.0, 4.0])]
    >>> clip_grad_norm(g, 1.0)
    5.0
    >>> np.round(g[0], 6)
    array([0.6, 0.8])
    """
    if isinstance(max_norm, bool) or not isinstance(max_norm, (int, float, np.floating, np.integer)):
        raise TypeError(f"clip_grad_norm: max_norm must be a real number, got {max_norm!r}")
    if not (math.isfinite(max_norm) and max_norm > 0):
        raise ValueError(f"clip_grad_norm: max_norm must be positive and finite, got {max_norm}")
    grads = _as_list(grads, "clip_grad_norm")
    norm = global_grad_norm(grads)
    if not math.isfinite(norm):
        raise ValueError(f"clip_grad_norm: the gradients contain nan or inf (norm {norm})")
    if norm > max_norm:
        scale = max_norm / norm
        for g in grads:
            g *= scale
    return norm
