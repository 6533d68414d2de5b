"""Chapter 15 (gradient checking): how the error of a difference quotient depends on the step.

:func:`difference_quotient`, :func:`step_size_errors` and :func:`optimal_step`
measure the truncation and round-off errors that chapter 15 derives.
"""

import numpy as np

from ...finite_differences import SCHEMES


def difference_quotient(f, x, h, *, scheme="central"):
    r"""Forward or central difference quotient of an element-wise function, in ``x``'s dtype.

    Parameters
    ----------
    f : callable
        Element-wise (a NumPy ufunc such as ``np.sin``), so that arrays of
        steps are handled in one call.
    x : scalar or array
        Point(s); its dtype (e.g. ``np.float32``) is kept throughout.
    h : scalar or array
        Step(s), broadcast against ``x``, cast to ``x``'s dtype.
    scheme : {"central", "forward"}

    Returns
    -------
    q : ndarray
        ``(f(x + h) − f(x)) / h`` or ``(f(x + h) − f(x − h)) / (2h)``.

    Notes
    -----
    Unlike :func:`jacobian` this does not promote to float64: chapter 15
    uses it to show the round-off error of float32.
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    h = np.asarray(h, dtype=x.dtype)
    if scheme == "forward":
        return (f(x + h) - f(x)) / h
    if scheme == "central":
        return (f(x + h) - f(x - h)) / (h + h)
    raise ValueError(f"difference_quotient: unknown scheme {scheme!r}; use one of {SCHEMES}")


def step_size_errors(f, df, x, steps, *, scheme="central", dtype=np.float64):
    r"""Absolute error of a difference quotient of ``f`` at ``x`` for each step.

    Parameters
    ----------
    f : callable
        Element-wise function (a ufunc).
    df : callable
        Its exact derivative, evaluated in float64 as the reference.
    x : float
        The point.
    steps : array_like
        Steps ``h`` (e.g. ``np.logspace(-14, -1, 40)``).
    scheme : {"central", "forward"}
    dtype : numpy dtype
        Precision in which ``f`` and the quotient are evaluated.

    Returns
    -------
    errors : ndarray of float64, shape ``steps.shape``
        ``|q(h) − f'(x)|``.

    Notes
    -----
    Chapter 15 derives the two terms of this error, truncation and round-off,
    and the step that balances them (:func:`optimal_step`).
    """
    x_t = np.asarray(x, dtype=dtype)
    q = difference_quotient(f, x_t, np.asarray(steps, dtype=dtype), scheme=scheme)
    exact = df(np.float64(x_t))
    return np.abs(q.astype(np.float64) - exact)


def optimal_step(scheme="central", dtype=np.float64):
    r"""Order of magnitude of the step that balances truncation and round-off.

    Parameters
    ----------
    scheme : {"central", "forward"}
    dtype : numpy floating dtype

    Returns
    -------
    h : float
        :math:`\varepsilon^{1/2}` (forward) or :math:`\varepsilon^{1/3}`
        (central), with :math:`\varepsilon` the machine epsilon of ``dtype``.

    Notes
    -----
    Minimising :math:`\tfrac{M}{2} h + \tfrac{2\varepsilon|f|}{h}` gives
    :math:`h \propto \varepsilon^{1/2}`; minimising
    :math:`\tfrac{M}{6} h^2 + \tfrac{\varepsilon|f|}{h}` gives
    :math:`h \propto \varepsilon^{1/3}` (chapter 15). The constants depend on
    ``f`` and are of order one for well-scaled functions, so they are omitted.

    Examples
    --------
    >>> float(f"{optimal_step('central'):.1e}"), float(f"{optimal_step('forward'):.1e}")
    (6.1e-06, 1.5e-08)
    """
    eps = float(np.finfo(dtype).eps)
    if scheme == "forward":
        return eps ** 0.5
    if scheme == "central":
        return eps ** (1.0 / 3.0)
    raise ValueError(f"optimal_step: unknown scheme {scheme!r}; use one of {SCHEMES}")
