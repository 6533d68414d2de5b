r"""Chapter 19 (forward mode and second order): networks of a flat parameter vector, Hessians from HVPs.

:func:`mlp` writes a small fully connected network's loss as a function of one
flat parameter Tensor, the form :func:`nnmath.autodiff.jvp` and
:func:`~nnmath.autodiff.hvp` take. The rest assembles what the chapter shows:
the Hessian column by column from HVPs, the largest eigenvalue by power
iteration, the Gauss–Newton product, gradient descent at a chosen step size,
and the arithmetic a JVP, a VJP and an HVP cost (counted with chapter 14's
:func:`~nnmath.book.chapters.ch14_autodiff_engine.operation_counts`).
"""

import numpy as np

from ...autodiff import Tensor, hvp, jvp, mse_loss, softmax_cross_entropy_loss
from ...autodiff.forward import tangent_of
from .ch14_autodiff_engine import operation_counts

__all__ = ["mlp", "unflatten", "hessian_from_hvps", "power_iteration", "gauss_newton_vp",
           "gradient", "gradient_descent", "pass_costs", "jacobian_costs", "sympy_hessian"]


def unflatten(theta, shapes):
    """Cut a flat parameter vector (Tensor or array) into pieces of the given shapes."""
    pieces, offset = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        pieces.append(theta[offset:offset + size].reshape(shape))
        offset += size
    if offset != theta.shape[0]:
        raise ValueError(f"unflatten: {theta.shape[0]} parameters for shapes needing {offset}")
    return pieces


def mlp(sizes, X, T, *, loss="mse", activation="tanh", rng=None):
    """A fully connected network's loss as a function of its flat parameter vector.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths ``(D, H_1, …, C)``.
    X : ndarray, shape (N, D)
    T : ndarray, shape (N, C)
        Targets (one-hot rows for ``loss="ce"``).
    loss : {"mse", "ce"}
    activation : {"tanh", "relu"}
        Between the layers; the last layer is linear.
    rng : numpy.random.Generator, optional
        For the initial parameters (scaled by ``1/√fan_in``; biases zero).

    Returns
    -------
    f : callable
        ``f(theta)`` for a Tensor ``theta (P,)`` returns the scalar loss Tensor.
    outputs : callable
        ``outputs(theta)`` returns the network's output Tensor ``(N, C)``.
    theta0 : ndarray, shape (P,)
        Initial parameters (zeros when ``rng`` is None).
    shapes : list of tuple
        ``[(D, H_1), (H_1,), …]``: the weights and biases in order.
    """
    shapes = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        shapes += [(fan_in, fan_out), (fan_out,)]
    X_const = Tensor(X, requires_grad=False)

    def outputs(theta):
        params = unflatten(theta, shapes)
        h = X_const
        for k in range(0, len(params), 2):
            h = h @ params[k] + params[k + 1]
            if k + 2 < len(params):
                h = h.tanh() if activation == "tanh" else h.relu()
        return h

    def f(theta):
        Y = outputs(theta)
        return mse_loss(Y, T) if loss == "mse" else softmax_cross_entropy_loss(Y, T)

    theta0 = np.zeros(sum(int(np.prod(s)) for s in shapes))
    if rng is not None:
        theta0 = np.concatenate([rng.standard_normal(int(np.prod(s))) / np.sqrt(s[0])
                                 if len(s) == 2 else np.zeros(s[0]) for s in shapes])
    return f, outputs, theta0, shapes


def gradient(f, theta):
    """``(f(θ), ∇f(θ))`` by one backward pass of the engine."""
    t = Tensor(theta)
    value = f(t)
    value.backward()
    return value.item(), t.grad


def hessian_from_hvps(f, theta):
    """The Hessian ``(P, P)`` of a scalar ``f``, column ``i`` being ``H e_i`` (P HVPs)."""
    theta = np.asarray(theta, dtype=np.float64)
    eye = np.eye(theta.size)
    return np.stack([hvp(f, theta, eye[i]) for i in range(theta.size)], axis=1)


def power_iteration(f, theta, rng, *, iterations=100):
    """The eigenvalue of largest magnitude of the Hessian of ``f`` at ``θ``, from HVPs only.

    Returns
    -------
    eigenvalue : float
        The Rayleigh quotient ``vᵀHv`` of the last unit vector.
    vector : ndarray
        That unit vector.

    Notes
    -----
    ``v ← Hv/‖Hv‖`` converges to an eigenvector of the eigenvalue of largest
    *magnitude* when it is unique and ``v`` starts with a component along it;
    near a minimum the Hessian has no large negative eigenvalue, so that is
    ``λ_max``. Each step costs one HVP; the Hessian is never formed.
    """
    v = rng.standard_normal(np.shape(theta))
    v /= np.linalg.norm(v)
    for _ in range(iterations):
        w = hvp(f, theta, v)
        v = w / np.linalg.norm(w)
    return float(v @ hvp(f, theta, v)), v


def gauss_newton_vp(outputs, theta, v):
    """``G v = Jᵀ J v / N`` for the loss ``1/(2N)‖F(θ) − T‖²`` (one JVP and one VJP).

    ``J = ∂F/∂θ`` is the Jacobian of the network outputs ``F(θ) (N, C)``; the
    Hessian of the loss with respect to ``F`` is ``I/N``, so ``G = Jᵀ(I/N)J``.
    """
    out, Jv = jvp(outputs, theta, v)
    t = Tensor(theta)
    outputs(t).backward(Jv / out.shape[0])
    return t.grad


def gradient_descent(f, theta, lr, steps, *, blow_up=1e6):
    """Full-batch gradient descent; the list of losses, cut short once a loss exceeds ``blow_up``."""
    theta = np.array(theta, dtype=np.float64)
    losses = []
    for _ in range(steps):
        value, grad = gradient(f, theta)
        losses.append(value)
        if not value < blow_up:  # diverged: stop before the numbers overflow
            break
        theta -= lr * grad
    return losses


def pass_costs(f, x, v):
    """Multiply-adds of one forward pass, one gradient, one JVP and one HVP of ``f`` at ``x``.

    Counted with :func:`~nnmath.book.chapters.ch14_autodiff_engine.operation_counts`:
    the gradient is the forward pass plus the backward pass of ``f(x)``; the
    JVP is the forward pass of the graph of the tangent (primal and tangent
    nodes); the HVP is that plus a backward pass through all of it.
    """
    x = Tensor(np.asarray(x, dtype=np.float64))
    y = f(x)
    base = operation_counts(y)
    forward = sum(c[0] for c in base.values())
    dy = tangent_of(y, x, Tensor(np.asarray(v, dtype=np.float64), requires_grad=False))
    counts = operation_counts(dy)
    tangent_forward = sum(c[0] for c in counts.values())
    return {"forward": forward, "gradient": forward + sum(c[1] for c in base.values()),
            "jvp": tangent_forward,
            "hvp": tangent_forward + sum(c[1] for c in counts.values()) if y.size == 1 else None}


def jacobian_costs(f, x):
    """Multiply-adds of the full Jacobian of ``f`` at ``x`` by forward and by reverse mode.

    Forward mode runs ``n = x.size`` JVPs (each a forward pass with tangents);
    reverse mode runs one forward pass and ``m = f(x).size`` backward passes.
    """
    x = np.asarray(x, dtype=np.float64)
    t = Tensor(x)
    y = f(t)
    base = operation_counts(y)
    forward = sum(c[0] for c in base.values())
    backward = sum(c[1] for c in base.values())
    one_jvp = pass_costs(f, x, np.ones_like(x))["jvp"]
    return {"n": x.size, "m": y.size, "forward mode": x.size * one_jvp,
            "reverse mode": forward + y.size * backward}


def sympy_hessian(sizes, X, T, theta):
    """The Hessian of the ``mlp(sizes, X, T)`` MSE loss (tanh) at ``θ``, by SymPy.

    The loss is built from scalar symbols, one per parameter, differentiated
    twice by :func:`sympy.hessian`, and evaluated at ``θ``: an exact route that
    shares nothing with the engine.
    """
    import sympy as sp

    symbols = sp.symbols(f"p0:{len(theta)}")
    shapes = mlp(sizes, X, T)[3]
    params = [np.array(p, dtype=object) for p in unflatten(np.array(symbols, dtype=object),
                                                            shapes)]
    h = np.asarray(X, dtype=object)
    for k in range(0, len(params), 2):
        h = h @ params[k] + params[k + 1]
        if k + 2 < len(params):
            h = np.vectorize(sp.tanh, otypes=[object])(h)
    loss = sp.Rational(1, 2 * X.shape[0]) * sum((h - T).ravel() ** 2)
    H = sp.hessian(loss, symbols)
    return np.array(H.subs(dict(zip(symbols, theta))).evalf(), dtype=np.float64)
