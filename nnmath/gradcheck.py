r"""Gradient checking: finite differences, relative errors, and a check of a whole module.

A hand-written backward pass is trusted only after it agrees with a route that
knows nothing about it. The route here is the definition of the derivative,
evaluated with a small step ``h``:

* :func:`numeric_jacobian`, :func:`numeric_gradient` and the relative
  errors :func:`norm_relative_error` and :func:`entrywise_relative_error`
  are defined in :mod:`nnmath.finite_differences` and exported here;
* :func:`check` runs a :class:`Module`-like object (``forward``/``backward``
  and parameter arrays ``W`` with gradients ``dW``), a loss, or a function
  with its gradient, compares every gradient with central differences and
  reports the worst entry.

Chapter 15 studies the step size; its tools are in
:mod:`nnmath.book.chapters.ch15_gradient_checking`.
"""

import inspect
from dataclasses import dataclass, field

import numpy as np

from .finite_differences import (entrywise_relative_error, norm_relative_error,
                                 numeric_gradient, numeric_jacobian)

__all__ = [
    "numeric_jacobian",
    "numeric_gradient",
    "entrywise_relative_error",
    "norm_relative_error",
    "ArrayCheck",
    "GradCheckReport",
    "check",
]


ZERO_SCALE = 1e-4
"""An entry below this fraction of the largest gradient entry counts as zero in :func:`check`."""


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


def _check_module(module, X, upstream, rng, h):
    X = np.asarray(X)
    ids = X.dtype.kind in "iu"  # token ids (Embedding, GPT): no gradient with respect to them
    if not ids:
        X = X.astype(np.float64)
    out = np.asarray(module.forward(X.copy()))
    delta = rng.standard_normal(out.shape) if upstream is None else np.asarray(upstream, float)
    if delta.shape != out.shape:
        raise ValueError(f"check: upstream gradient has shape {delta.shape}, but "
                         f"{type(module).__name__}.forward returned shape {out.shape}")
    # Analytic route: the forward pass above, then one backward pass.
    dX = module.backward(delta.copy())
    params = _named_parameters(module)  # read after backward: the grads are set
    for name, _, G in params:
        if G is None:
            raise ValueError(f"check: {type(module).__name__}.backward left the gradient "
                             f"of parameter {name!r} unset")
    analytic = [] if ids else [("input", np.array(dX, dtype=np.float64))]
    analytic += [(name, np.array(G, dtype=np.float64)) for name, _, G in params]

    def loss_of_input(v):
        return float(np.sum(delta * module.forward(v)))

    numeric = [] if ids else [numeric_jacobian(loss_of_input, X, h=h)]
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


def _is_loss(module):
    """A loss's forward takes predictions and targets; its backward takes nothing."""
    try:
        params = inspect.signature(module.backward).parameters.values()
    except (TypeError, ValueError):
        return False
    return not any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                   for p in params)


def _check_loss(loss, inputs, h):
    name = type(loss).__name__
    if not isinstance(inputs, (tuple, list)) or len(inputs) != 2:
        raise TypeError(f"check: {name} is a loss; give inputs as a pair (Y, T) of "
                        f"predictions and targets")
    Y, T = np.asarray(inputs[0], dtype=np.float64), inputs[1]
    loss.forward(Y.copy(), T)
    analytic = [("input", np.array(loss.backward(), dtype=np.float64))]
    numeric = [numeric_gradient(lambda v: float(loss.forward(v, T)), Y, h=h)]
    return analytic, numeric


def _check_function(fn, inputs, grad, upstream, rng, h):
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
    module_or_fn : Module, loss or callable
        Either a :class:`nnmath.module.Module` (``forward(X)``,
        ``backward(dY) -> dX``, ``parameters()`` listing ``(name, array,
        grad)`` after ``backward``: ``Linear``, activations, ``Sequential``),
        a loss (``forward(Y, T)``, ``backward()``: ``MSE``,
        ``SoftmaxCrossEntropy``; checked with respect to ``Y``), or a function
        of one or several arrays (then ``grad`` is required).
    inputs : array_like or tuple of array_like
        The module's input ``X``, a loss's pair ``(Y, T)``, or the function's
        arguments. A module's integer input (token ids of an ``Embedding`` or a
        ``GPT``) has no gradient: then only the parameters are checked.
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
        Magnitude below which an entry counts as zero, passed to
        :func:`entrywise_relative_error`; raised to ``ZERO_SCALE`` (1e-4) times
        the largest entry of all the gradients checked, so that an exactly zero
        gradient (a Linear's bias before a BatchNorm) and its finite-difference
        round-off (about ``1e-16·|loss|/h``) do not fail the check. The floor used
        is ``report.floor``.

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

    Examples
    --------
    >>> import numpy as np
    >>> report = check(lambda x: float(np.sum(np.sin(x))), np.array([0.5, 1.0]),
    ...                grad=np.cos)
    >>> report.passed
    True
    """
    rng = np.random.default_rng(0) if rng is None else rng
    if isinstance(module_or_fn, type):
        raise TypeError(f"check: got the class {module_or_fn.__name__}, not an instance; "
                        f"write {module_or_fn.__name__}(...)")
    is_module = hasattr(module_or_fn, "forward") and hasattr(module_or_fn, "backward")
    if is_module and grad is not None:
        raise TypeError("check: grad is only for functions; a module supplies its own backward")
    if is_module and _is_loss(module_or_fn):
        analytic, numeric = _check_loss(module_or_fn, inputs, h)
    elif is_module:
        analytic, numeric = _check_module(module_or_fn, inputs, upstream, rng, h)
    elif callable(module_or_fn):
        if grad is None:
            raise TypeError("check: a plain function needs grad=..., its analytic gradient")
        if not isinstance(inputs, (tuple, list)):
            inputs = (inputs,)
        analytic, numeric = _check_function(module_or_fn, inputs, grad, upstream, rng, h)
    else:
        raise TypeError(f"check: expected a module (forward/backward) or a callable, "
                        f"got {type(module_or_fn).__name__}")
    for (name, a), n in zip(analytic, numeric):
        if a.shape != n.shape:
            raise ValueError(f"check: the analytic gradient of {name} has shape {a.shape}, "
                             f"the numeric one {n.shape}")
    scale = max((float(np.max(np.abs(g))) for (_, a), n in zip(analytic, numeric)
                 for g in (a, n) if g.size), default=0.0)
    floor = max(floor, ZERO_SCALE * scale)  # an exact zero reads as zero, not as round-off
    arrays = []
    for (name, a), n in zip(analytic, numeric):
        arrays.append(ArrayCheck(name, a, n, entrywise_relative_error(a, n, floor=floor),
                                 norm_relative_error(a, n, floor=floor)))
    return GradCheckReport(arrays, rtol=rtol, h=h, floor=floor)


# --------------------------------------------------------------------------
# the error of a difference quotient as a function of the step (chapter 15)
# --------------------------------------------------------------------------
