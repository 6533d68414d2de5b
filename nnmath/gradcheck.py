r"""Gradient checking: finite differences, relative errors, and a check of a whole module.

A hand-written backward pass is trusted only after it agrees with a route that
knows nothing about it. The route here is the definition of the derivative,
evaluated with a small step ``h``:

* :func:`numeric_jacobian` and :func:`numeric_gradient` differentiate a
  function of one or several arrays by central (default) or forward
  differences: the one finite-difference route of the package;
* :func:`norm_relative_error` measures how far one whole gradient is from
  another (one number; the registry, ``verify`` and the book use it), and
  :func:`entrywise_relative_error` finds *where* they differ;
* :func:`check` runs a :class:`Module`-like object (``forward``/``backward``
  and parameter arrays ``W`` with gradients ``dW``) or a function with its
  gradient, compares every gradient with central differences and reports the
  worst entry;

Chapter 15 studies the step size; its tools are in
:mod:`nnmath.book.chapters.ch15_gradient_checking`.
"""

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "numeric_jacobian",
    "numeric_gradient",
    "entrywise_relative_error",
    "norm_relative_error",
    "ArrayCheck",
    "GradCheckReport",
    "check",
]

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

@dataclass
class ArrayCheck:
    """Comparison of one analytic gradient with its central-difference estimate.

    Attributes
    ----------
    name : str
        Which array: ``"input"``, ``"x0"``, or a parameter such as ``"layers[0].W"``.
    analytic, numeric : ndarray
        The two gradients, same shape.
    errors : ndarray
        :func:`entrywise_relative_error` entry by entry.
    array_error : float
        :func:`norm_relative_error` of the whole array.
    """

    name: str
    analytic: np.ndarray
    numeric: np.ndarray
    errors: np.ndarray
    array_error: float

    @property
    def max_error(self):
        """Largest entry-wise relative error (0 for an empty array)."""
        return float(self.errors.max()) if self.errors.size else 0.0

    @property
    def worst_index(self):
        """Index of the entry with the largest relative error."""
        if not self.errors.size:
            return ()
        return tuple(int(i) for i in np.unravel_index(np.argmax(self.errors), self.errors.shape))


@dataclass
class GradCheckReport:
    """Outcome of :func:`check`: one :class:`ArrayCheck` per gradient.

    ``bool(report)`` is ``report.passed``; ``str(report)`` is a small table
    followed by the worst entry.
    """

    arrays: list
    rtol: float
    h: float
    floor: float = 1e-6
    notes: dict = field(default_factory=dict)

    @property
    def worst(self):
        """The :class:`ArrayCheck` holding the largest entry-wise error."""
        return max(self.arrays, key=lambda c: c.max_error)

    @property
    def max_error(self):
        return self.worst.max_error

    @property
    def passed(self):
        return bool(self.max_error <= self.rtol)

    def __bool__(self):
        return self.passed

    def worst_entry(self):
        """``(array name, index, analytic, numeric, relative error)`` of the worst entry."""
        w = self.worst
        i = w.worst_index
        return (w.name, i, float(w.analytic[i]), float(w.numeric[i]), w.max_error)

    def __str__(self):
        width = max(len("array"), *(len(c.name) for c in self.arrays))
        lines = [f"{'array':<{width}}  {'shape':<12}  {'max entry err':>13}  {'array err':>10}"]
        for c in self.arrays:
            lines.append(f"{c.name:<{width}}  {str(c.analytic.shape):<12}  "
                         f"{c.max_error:13.2e}  {c.array_error:10.2e}")
        name, index, a, n, err = self.worst_entry()
        verdict = "passed" if self.passed else "FAILED"
        lines.append(f"{verdict} (rtol {self.rtol:.0e}, h {self.h:.0e}); worst entry: "
                     f"{name}{list(index)} analytic {a:.6e} numeric {n:.6e} "
                     f"relative error {err:.2e}")
        return "\n".join(lines)


def _named_parameters(module):
    """``(name, param, grad)`` for every parameter, from :meth:`Module.parameters`."""
    parameters = getattr(module, "parameters", None)
    return list(parameters()) if callable(parameters) else []


def _check_module(module, X, upstream, rng, h, floor):
    X = np.asarray(X, dtype=np.float64)
    out = np.asarray(module.forward(X.copy()))
    delta = rng.standard_normal(out.shape) if upstream is None else np.asarray(upstream, float)
    if delta.shape != out.shape:
        raise ValueError(f"check: upstream gradient has shape {delta.shape}, but "
                         f"{type(module).__name__}.forward returned shape {out.shape}")
    # Analytic route: the forward pass above, then one backward pass.
    dX = np.array(module.backward(delta.copy()), dtype=np.float64)
    params = _named_parameters(module)  # read after backward: the grads are set
    for name, _, G in params:
        if G is None:
            raise ValueError(f"check: {type(module).__name__}.backward left the gradient "
                             f"of parameter {name!r} unset")
    analytic = [("input", dX)] + [(name, np.array(G, dtype=np.float64)) for name, _, G in params]

    def loss_of_input(v):
        return float(np.sum(delta * module.forward(v)))

    numeric = [numeric_jacobian(loss_of_input, X, h=h)]
    for name, P, _ in params:
        def loss_of_param(v, P=P):
            saved = P.copy()
            P[...] = v  # write into the very array the module uses
            try:
                return float(np.sum(delta * module.forward(X.copy())))
            finally:
                P[...] = saved

        numeric.append(numeric_jacobian(loss_of_param, P, h=h))
    return analytic, numeric


def _check_function(fn, inputs, grad, upstream, rng, h, floor):
    arrays = [np.asarray(a, dtype=np.float64) for a in inputs]
    out = fn(*arrays)
    if np.ndim(out) == 0:
        delta = None
        analytic = grad(*arrays)

        def scalar(*xs):
            return float(fn(*xs))
    else:
        delta = rng.standard_normal(np.shape(out)) if upstream is None else np.asarray(upstream, float)
        if delta.shape != np.shape(out):
            raise ValueError(f"check: upstream gradient has shape {delta.shape}, but the "
                             f"function returned shape {np.shape(out)}")
        analytic = grad(delta, *arrays)

        def scalar(*xs):
            return float(np.sum(delta * fn(*xs)))
    if len(arrays) == 1 and not isinstance(analytic, (tuple, list)):
        analytic = (analytic,)
    if len(analytic) != len(arrays):
        raise ValueError(f"check: grad returned {len(analytic)} gradients for "
                         f"{len(arrays)} inputs")
    numeric = numeric_jacobian(scalar, *arrays, h=h, wrt=range(len(arrays)))
    names = ["input"] if len(arrays) == 1 else [f"x{k}" for k in range(len(arrays))]
    analytic = [(n, np.asarray(a, dtype=np.float64)) for n, a in zip(names, analytic)]
    return analytic, list(numeric)


def check(module_or_fn, inputs, *, grad=None, upstream=None, rng=None, h=1e-6,
          rtol=1e-4, floor=1e-6):
    r"""Compare analytic gradients with central differences; report the worst entry.

    Parameters
    ----------
    module_or_fn : Module or callable
        Either a :class:`nnmath.module.Module` (``forward(X)``,
        ``backward(dY) -> dX``, ``parameters()`` listing ``(name, array,
        grad)`` after ``backward``: ``Linear``, activations, ``Sequential``),
        or a function
        of one or several arrays (then ``grad`` is required).
    inputs : array_like or tuple of array_like
        The module's input ``X``, or the function's arguments.
    grad : callable, optional
        For a function: if ``fn`` returns a scalar, ``grad(*inputs)`` returns
        its gradient(s); if ``fn`` returns an array, ``grad(delta, *inputs)``
        returns the gradient(s) of ``⟨delta, fn(*inputs)⟩`` (a
        vector-Jacobian product). One array per input, in order.
    upstream : array_like, optional
        The upstream gradient ``δ``; random standard normal (from ``rng``)
        when omitted. The scalar that is checked is ``⟨δ, output⟩``.
    rng : numpy.random.Generator, optional
        Source of the random ``δ``; ``default_rng(0)`` when omitted.
    h : float, optional
        Central-difference step.
    rtol : float, optional
        The check passes when every entry's :func:`entrywise_relative_error` is at
        most ``rtol``. A correct gradient in float64 typically shows
        ``1e-10`` to ``1e-7``; a wrong one ``1e-2`` or more (chapter 15).
    floor : float, optional
        Passed to :func:`entrywise_relative_error`.

    Returns
    -------
    report : GradCheckReport
        Per array (``"input"`` or ``"x0"``, ``"x1"``, ... and every
        parameter, e.g. ``"layers[2].W"``): the largest entry-wise and the
        whole-array relative error; ``report.worst_entry()`` names the worst
        entry with both values; ``bool(report)`` says whether it passed.

    Notes
    -----
    A module is evaluated many times: its parameters are perturbed in place
    and restored, and its caches hold the last forward pass, so call
    ``forward`` again before using its gradients. Work in float64: float32
    round-off alone exceeds ``rtol`` (chapter 15). At a kink (ReLU at 0) a
    central difference straddles two slopes and the check legitimately fails.
    A loss (``forward(Y, T)``, ``backward()``) is checked as a function:
    ``check(lambda Y: loss.forward(Y, T), Y, grad=lambda Y: (loss.forward(Y, T),
    loss.backward())[1])``.

    Examples
    --------
    >>> import numpy as np
    >>> report = check(lambda x: float(np.sum(np.sin(x))), np.array([0.5, 1.0]),
    ...                grad=np.cos)
    >>> report.passed
    True
    """
    rng = np.random.default_rng(0) if rng is None else rng
    is_module = hasattr(module_or_fn, "forward") and hasattr(module_or_fn, "backward")
    if is_module:
        if grad is not None:
            raise TypeError("check: grad is only for functions; a module supplies its own backward")
        analytic, numeric = _check_module(module_or_fn, inputs, upstream, rng, h, floor)
    elif callable(module_or_fn):
        if grad is None:
            raise TypeError("check: a plain function needs grad=..., its analytic gradient")
        if not isinstance(inputs, (tuple, list)):
            inputs = (inputs,)
        analytic, numeric = _check_function(module_or_fn, inputs, grad, upstream, rng, h, floor)
    else:
        raise TypeError(f"check: expected a module (forward/backward) or a callable, "
                        f"got {type(module_or_fn).__name__}")
    arrays = []
    for (name, a), n in zip(analytic, numeric):
        if a.shape != n.shape:
            raise ValueError(f"check: the analytic gradient of {name} has shape {a.shape}, "
                             f"the numeric one {n.shape}")
        arrays.append(ArrayCheck(name, a, n, entrywise_relative_error(a, n, floor=floor),
                                 norm_relative_error(a, n, floor=floor)))
    return GradCheckReport(arrays, rtol=rtol, h=h, floor=floor)


# --------------------------------------------------------------------------
# the error of a difference quotient as a function of the step (chapter 15)
# --------------------------------------------------------------------------
