r"""Finite differences and relative errors: the numeric route to a derivative.

* :func:`numeric_jacobian` and :func:`numeric_gradient` differentiate a
  function of one or several arrays by central (default) or forward
  differences: the one finite-difference route of the package;
* :func:`norm_relative_error` measures how far one whole gradient is from
  another (one number; the registry, ``verify`` and the book use it), and
  :func:`entrywise_relative_error` finds *where* they differ.

:mod:`nnmath.gradcheck` uses them to check a module; chapter 15 studies the step.
"""

import numpy as np

__all__ = ["SCHEMES", "numeric_jacobian", "numeric_gradient", "entrywise_relative_error",
           "norm_relative_error"]

SCHEMES = ("central", "forward")


# --------------------------------------------------------------------------
# finite-difference Jacobians and gradients of functions of several arrays
# --------------------------------------------------------------------------

def _jacobian_one_input(f, x, h, scheme):
    """The finite-difference loop: ``J[o + i] ≈ ∂f(x)[o]/∂x[i]``, shape ``f(x).shape + x.shape``."""
    x = np.array(x, dtype=np.float64)  # a private copy we can perturb
    f0 = np.asarray(f(x.copy()), dtype=np.float64)
    J = np.empty(f0.shape + x.shape)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = np.asarray(f(x.copy()), dtype=np.float64)
        if scheme == "central":
            x[index] = original - h
            f_minus = np.asarray(f(x.copy()), dtype=np.float64)
            J[(Ellipsis,) + index] = (f_plus - f_minus) / (2.0 * h)
        else:
            J[(Ellipsis,) + index] = (f_plus - f0) / h
        x[index] = original
    return J


def _positions(wrt, n_inputs, name):
    if n_inputs == 0:
        raise ValueError(f"{name}: give at least one input array")
    if wrt is None:
        return tuple(range(n_inputs)), False
    single = np.ndim(wrt) == 0
    positions = (int(wrt),) if single else tuple(int(i) for i in wrt)
    for i in positions:
        if not -n_inputs <= i < n_inputs:
            raise ValueError(f"{name}: wrt={i} is out of range for {n_inputs} inputs")
    return positions, single


def numeric_jacobian(f, *inputs, h=1e-6, scheme="central", wrt=None):
    r"""Jacobian of ``f(*inputs)`` with respect to one or several of its array inputs.

    Parameters
    ----------
    f : callable
        ``f(*inputs)`` returns an array (or a scalar).
    *inputs : array_like
        The point at which to differentiate; each is converted to float64.
    h : float, optional
        Step. ``1e-6`` suits central differences in float64; forward
        differences do best near ``1e-8`` (chapter 15).
    scheme : {"central", "forward"}, optional
        ``"central"``: :math:`(f(x + h e_i) - f(x - h e_i)) / 2h`, error
        :math:`O(h^2)`; ``"forward"``: :math:`(f(x + h e_i) - f(x)) / h`,
        error :math:`O(h)`.
    wrt : int or sequence of int, optional
        Positions of the inputs to differentiate with respect to (default:
        all of them).

    Returns
    -------
    J : ndarray or tuple of ndarray
        For each chosen input ``x``, an array of shape ``f(...).shape + x.shape``.
        A single array when there is one input (or ``wrt`` is an int), else a
        tuple in the order of ``wrt``.

    Notes
    -----
    Each input is perturbed with the others held fixed, one entry at a time.
    Chapter 15 derives the error of both schemes.

    Examples
    --------
    >>> import numpy as np
    >>> JX, JW = numeric_jacobian(lambda X, W: X @ W, np.ones((1, 2)), np.ones((2, 1)))
    >>> JX.shape, JW.shape
    ((1, 1, 1, 2), (1, 1, 2, 1))
    """
    if scheme not in SCHEMES:
        raise ValueError(f"numeric_jacobian: unknown scheme {scheme!r}; use one of {SCHEMES}")
    arrays = [np.asarray(a, dtype=np.float64) for a in inputs]
    positions, single = _positions(wrt, len(arrays), "numeric_jacobian")

    def partial(k):
        def f_k(v):
            return f(*arrays[:k], v, *arrays[k + 1:])
        return f_k

    Js = tuple(_jacobian_one_input(partial(k % len(arrays)), arrays[k], h, scheme)
               for k in positions)
    return Js[0] if (single or (wrt is None and len(arrays) == 1)) else Js


def numeric_gradient(f, *inputs, h=1e-6, scheme="central", wrt=None):
    """Gradient of a scalar function of one or several arrays by finite differences.

    Parameters
    ----------
    f : callable
        ``f(*inputs)`` returns a scalar.
    *inputs, h, scheme, wrt
        As in :func:`numeric_jacobian`.

    Returns
    -------
    g : ndarray or tuple of ndarray
        One array of the shape of each chosen input.

    Raises
    ------
    ValueError
        If ``f`` does not return a scalar.

    Examples
    --------
    >>> import numpy as np
    >>> gx, gy = numeric_gradient(lambda x, y: float(np.sum(x * y)), np.array([1.0, 2.0]),
    ...                   np.array([3.0, 4.0]))
    >>> np.round(gx, 6), np.round(gy, 6)
    (array([3., 4.]), array([1., 2.]))
    """
    value = f(*[np.asarray(a, dtype=np.float64) for a in inputs])
    if np.ndim(value) != 0:
        raise ValueError(f"numeric_gradient: f must return a scalar, got an output of shape "
                         f"{np.shape(value)}; use numeric_jacobian for array outputs")
    return numeric_jacobian(f, *inputs, h=h, scheme=scheme, wrt=wrt)


# --------------------------------------------------------------------------
# relative errors
# --------------------------------------------------------------------------

def entrywise_relative_error(actual, expected, *, floor=1e-6):
    r"""Entry-wise relative error that stays finite and meaningful near zero.

    Parameters
    ----------
    actual, expected : array_like
        Same shape (e.g. an analytic and a numeric gradient).
    floor : float, optional
        Magnitude below which an entry counts as zero: the denominator never
        drops below it. The default ``1e-6`` is about ten thousand times the
        round-off of a central difference with ``h = 1e-6`` in float64 on a
        loss of order one, so round-off on an entry whose true value is zero
        reads as at most about ``1e-4``, well below the ``1e-2`` of a bug.

    Returns
    -------
    err : ndarray
        Same shape as the inputs.

    Notes
    -----
    .. math:: r_i = \frac{|a_i - e_i|}{\max(|a_i|, |e_i|, \text{floor})}

    The measure is symmetric in ``a`` and ``e`` (neither is assumed to be the
    truth: the numeric gradient has errors too), is at most 2 whenever both
    are above the floor, and is 0, not ``nan``, when both are exactly zero.
    Where both entries are below ``floor`` it turns into the absolute error
    divided by ``floor``. Chapter 15 explains why a pure relative error would
    flag harmless round-off at entries whose true value is zero.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(entrywise_relative_error([1.0, 0.0, 1e-10], [1.001, 0.0, 0.0]), 6)
    array([0.000999, 0.      , 0.0001  ])
    """
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        raise ValueError(f"entrywise_relative_error: shapes differ: actual {a.shape}, expected {e.shape}")
    if not floor > 0:
        raise ValueError(f"entrywise_relative_error: floor must be positive, got {floor}")
    scale = np.maximum(np.maximum(np.abs(a), np.abs(e)), floor)
    return np.abs(a - e) / scale


def norm_relative_error(actual, expected, *, floor=1e-6):
    r"""Relative error of a whole array, in the Frobenius norm.

    Parameters
    ----------
    actual, expected : array_like
        Same shape.
    floor : float, optional
        Lower bound on the denominator.

    Returns
    -------
    err : float

    Notes
    -----
    .. math:: r = \frac{\lVert a - e \rVert}{\max(\lVert a \rVert, \lVert e \rVert, \text{floor})}

    One number per array: a few tiny entries with large *relative* errors
    barely move it, so it answers "is this gradient right as a whole?",
    while :func:`entrywise_relative_error` finds *where* it is wrong (chapter 15).

    Examples
    --------
    >>> round(norm_relative_error([3.0, 4.0], [3.0, 4.5]), 6)
    0.09245
    """
    a = np.asarray(actual, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        raise ValueError(
            f"norm_relative_error: shapes differ: actual {a.shape}, expected {e.shape}")
    if not floor > 0:
        raise ValueError(f"norm_relative_error: floor must be positive, got {floor}")
    scale = max(float(np.linalg.norm(a)), float(np.linalg.norm(e)), floor)
    return float(np.linalg.norm(a - e)) / scale


# --------------------------------------------------------------------------
# checking a module or a function
# --------------------------------------------------------------------------
