r"""Chapter 29 (Momentum and Adam): momentum as a linear system, its stability, Adam's corrections.

The optimisers themselves are the library's (:mod:`nnmath.optim`); this module holds
what the chapter derives *about* them:

* :func:`heavy_ball_matrix` and :func:`nesterov_matrix`: the ``2×2`` matrix that maps
  ``(θ_{t−1}, v_{t−1})`` to ``(θ_t, v_t)`` along one eigen-direction (eigenvalue ``λ``)
  of a quadratic, for ``torch.optim.SGD``'s momentum and Nesterov rules;
* :func:`step_limit`: the largest stable ``ηλ``, and :func:`prove_step_limit`, the
  SymPy proof of it for every ``η, μ, λ``;
* :func:`optimal_heavy_ball` and :func:`optimal_gradient_descent`: the tuned
  parameters and rates on a quadratic with eigenvalues in ``[λ_min, λ_max]``;
* :func:`velocity_gain`: the gain of the momentum filter at frequency ``ω``;
* :func:`bias_correction` and :func:`prove_bias_correction`: Adam's ``1 − β^t``;
* :class:`FunctionModel`, :func:`run` and :func:`train_steps`: the smallest things the
  optimisers step, and the loops the chapter runs.
"""

import numpy as np

from ..symbolic import ProofResult

__all__ = ["heavy_ball_matrix", "nesterov_matrix", "spectral_radius", "step_limit",
           "characteristic_coefficients", "prove_step_limit", "optimal_heavy_ball",
           "optimal_gradient_descent", "velocity_gain", "bias_correction",
           "prove_bias_correction", "FunctionModel", "run", "train_steps"]


# -- momentum on a quadratic, one eigen-direction at a time ---------------------------

def heavy_ball_matrix(eta, mu, lam):
    r"""The matrix ``M`` of ``(θ_t, v_t) = M (θ_{t−1}, v_{t−1})`` for heavy-ball momentum.

    ``v_t = μ v_{t−1} + λ θ_{t−1}``, ``θ_t = θ_{t−1} − η v_t`` (``torch.optim.SGD``
    with momentum on ``f(θ) = λθ²/2``). Works on numbers and on SymPy symbols.

    Returns
    -------
    list of two lists of two
        ``[[1 − ηλ, −ημ], [λ, μ]]``.
    """
    return [[1 - eta * lam, -eta * mu], [lam, mu]]


def nesterov_matrix(eta, mu, lam):
    r"""The matrix of ``torch.optim.SGD``'s Nesterov rule on ``f(θ) = λθ²/2``.

    ``v_t = μ v_{t−1} + g_t``, ``θ_t = θ_{t−1} − η (g_t + μ v_t)`` with ``g_t = λθ_{t−1}``.

    Returns
    -------
    list of two lists of two
        ``[[1 − ηλ(1 + μ), −ημ²], [λ, μ]]``.
    """
    return [[1 - eta * lam * (1 + mu), -eta * mu ** 2], [lam, mu]]


def spectral_radius(matrix):
    """Largest modulus of the eigenvalues of a square matrix (array or nested lists)."""
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(matrix, dtype=np.float64)))))


def step_limit(mu, *, nesterov=False):
    r"""The largest stable ``ηλ`` for momentum ``μ ∈ [0, 1)``: ``2(1 + μ)``, or ``2(1 + μ)/(1 + 2μ)``.

    Momentum converges along an eigen-direction with eigenvalue ``λ > 0`` exactly when
    ``0 < ηλ < step_limit(μ)`` (:func:`prove_step_limit`).
    """
    return 2 * (1 + mu) / (1 + 2 * mu) if nesterov else 2 * (1 + mu)


def characteristic_coefficients(matrix):
    """``(b, c)`` of the characteristic polynomial ``z² + b z + c`` of a ``2×2`` matrix."""
    (a11, a12), (a21, a22) = matrix
    return -(a11 + a22), a11 * a22 - a12 * a21


def prove_step_limit(matrix=heavy_ball_matrix, limit=step_limit, *, nesterov=False):
    r"""Prove with SymPy, for symbolic ``η, λ > 0`` and ``μ ∈ [0, 1)``, that ``ρ(M) < 1 ⇔ ηλ < limit(μ)``.

    By the Schur–Cohn conditions for ``z² + bz + c`` (both roots in the open unit disc
    iff ``p(1) > 0``, ``p(−1) > 0`` and ``|c| < 1``; chapter 29 proves them) it is
    enough to show:

    1. ``p(1) = 1 + b + c`` is a positive multiple of ``ηλ`` (so ``p(1) > 0`` always);
    2. ``p(−1) = 1 − b + c`` is a positive multiple of ``limit(μ) − ηλ``;
    3. ``c`` is affine in ``η`` and ``|c| < 1`` at ``ηλ = 0`` and at ``ηλ = limit(μ)``
       for every ``μ ∈ [0, 1)``, hence on the whole interval between.

    Parameters
    ----------
    matrix : callable
        ``matrix(eta, mu, lam)``, e.g. :func:`heavy_ball_matrix`; a test hands a wrong one.
    limit : callable
        ``limit(mu, nesterov=...)``, the claimed largest stable ``ηλ``.

    Returns
    -------
    ProofResult
        ``details``: the polynomial, ``p(1)``, ``p(−1)`` and the two factors.
    """
    import sympy as sp

    eta, lam = sp.symbols("eta lambda", positive=True)
    mu = sp.Symbol("mu", nonnegative=True)
    z = sp.Symbol("z")
    b, c = (sp.expand(e) for e in characteristic_coefficients(matrix(eta, mu, lam)))
    bound = sp.sympify(limit(mu, nesterov=nesterov))
    at_one, at_minus_one = sp.factor(1 + b + c), sp.factor(1 - b + c)
    k_one = sp.simplify(at_one / (eta * lam))
    k_minus = sp.simplify(at_minus_one / (bound / lam - eta))
    checks = {
        "p(1) = k·ηλ, k > 0": eta not in k_one.free_symbols and bool(k_one.is_positive),
        "p(−1) = k·(limit − ηλ), k > 0": eta not in k_minus.free_symbols
        and bool(k_minus.is_positive),
        "c affine in η": sp.degree(c, eta) <= 1,
    }
    unit = sp.Interval.Ropen(0, 1)
    for name, value in (("|c| < 1 at ηλ = 0", c.subs(eta, 0)),
                        ("|c| < 1 at ηλ = limit", c.subs(eta, bound / lam))):
        value = sp.simplify(value)
        checks[name] = (lam not in value.free_symbols
                        and sp.solveset(sp.Abs(value) >= 1, mu, unit) == sp.S.EmptySet)
    return ProofResult(
        statement=f"{'Nesterov' if nesterov else 'heavy ball'}: stable iff 0 < ηλ < {bound}",
        holds=all(checks.values()),
        details={"polynomial": z ** 2 + b * z + c, "p(1)": at_one, "p(-1)": at_minus_one,
                 "k(1)": k_one, "k(-1)": k_minus, "checks": checks})


def optimal_heavy_ball(lam_min, lam_max):
    r"""Polyak's tuning on eigenvalues in ``[λ_min, λ_max]``: ``(η, μ, rate)``.

    ``η = 4/(√λ_max + √λ_min)²``, ``μ = ((√κ − 1)/(√κ + 1))²`` with ``κ = λ_max/λ_min``;
    every eigen-direction then has complex (or double) roots of modulus
    ``rate = √μ = (√κ − 1)/(√κ + 1)``.
    """
    if not 0 < lam_min <= lam_max:
        raise ValueError(f"optimal_heavy_ball: need 0 < lam_min <= lam_max, got {lam_min}, {lam_max}")
    root_kappa = np.sqrt(lam_max / lam_min)
    rate = (root_kappa - 1) / (root_kappa + 1)
    return 4 / (np.sqrt(lam_max) + np.sqrt(lam_min)) ** 2, rate ** 2, rate


def optimal_gradient_descent(lam_min, lam_max):
    r"""The best fixed step of plain gradient descent: ``(η, rate) = (2/(λ_min + λ_max), (κ − 1)/(κ + 1))``."""
    if not 0 < lam_min <= lam_max:
        raise ValueError(f"optimal_gradient_descent: need 0 < lam_min <= lam_max, got "
                         f"{lam_min}, {lam_max}")
    kappa = lam_max / lam_min
    return 2 / (lam_min + lam_max), (kappa - 1) / (kappa + 1)


def velocity_gain(mu, omega):
    r"""``|V/G|`` of the momentum buffer ``v_t = μv_{t−1} + g_t`` at frequency ``ω``: ``1/|1 − μe^{−iω}|``."""
    return 1 / np.abs(1 - mu * np.exp(-1j * np.asarray(omega)))


# -- Adam ---------------------------------------------------------------------------

def bias_correction(beta, t):
    r"""Adam's bias-correction factor ``1 − β^t``: ``m_t = (1 − β^t) g`` for a constant gradient ``g``."""
    return 1 - beta ** t


def prove_bias_correction(correction=bias_correction):
    r"""Prove with SymPy, for symbolic ``β > 0`` and every step ``t ≥ 1``, that ``correction`` is right.

    Two routes: the weights of ``m_t = (1 − β) Σ_{s=1}^{t} β^{t−s} g_s`` sum to
    ``correction(β, t)`` (a geometric series summed symbolically), and
    ``correction`` satisfies the recursion ``c_t = β c_{t−1} + (1 − β)``, ``c_0 = 0``,
    that ``m_t / g`` satisfies for a constant ``g`` (induction on ``t``).
    """
    import sympy as sp

    beta = sp.Symbol("beta", positive=True)
    t, s = sp.symbols("t s", integer=True, positive=True)
    series = sp.summation((1 - beta) * beta ** (t - s), (s, 1, t))
    claimed = correction(beta, t)
    by_series = sp.simplify(series - claimed) == 0
    by_induction = (sp.simplify(correction(beta, 0)) == 0
                    and sp.simplify(claimed - beta * correction(beta, t - 1) - (1 - beta)) == 0)
    return ProofResult(statement="Σ_{s=1}^t (1−β) β^(t−s) = correction(β, t)",
                       holds=by_series and by_induction, slow=series, fast=claimed,
                       details={"series": by_series, "induction": by_induction})


# -- what the optimisers step ---------------------------------------------------------

class FunctionModel:
    r"""One parameter vector ``θ`` and a gradient function: the smallest model an optimiser takes.

    Parameters
    ----------
    theta : array_like, shape (P,)
        Initial parameters (copied).
    grad : callable
        ``grad(θ) -> ∂L/∂θ`` of shape ``(P,)``.

    ``backward()`` sets ``self.grad``; ``parameters()`` yields ``("theta", θ, grad)``.
    """

    def __init__(self, theta, grad):
        self.theta = np.array(theta, dtype=np.float64)
        self._grad_fn = grad
        self.grad = None

    def backward(self):
        self.grad = np.asarray(self._grad_fn(self.theta), dtype=np.float64)

    def parameters(self):
        return [("theta", self.theta, self.grad)]


def run(make_optimizer, theta, grad, steps):
    """Iterates ``θ_0, …, θ_steps`` (rows) of ``make_optimizer(model)`` on a :class:`FunctionModel`."""
    model = FunctionModel(theta, grad)
    optimizer = make_optimizer(model)
    path = [model.theta.copy()]
    for _ in range(steps):
        model.backward()
        optimizer.step()
        path.append(model.theta.copy())
    return np.array(path)


def train_steps(model, loss, optimizer, X, T, *, steps, batch_size, rng, schedule=None,
                blow_up=1e6):
    r"""Mini-batch training for ``steps`` steps; the full-data loss before each step and after the last.

    Each step draws a batch of ``batch_size`` rows without replacement (``rng``), sets the
    learning rate to ``base · schedule(step)`` when a schedule is given, and runs forward,
    backward and ``optimizer.step()``. Stops early once the loss passes ``blow_up``.
    """
    base = optimizer.lr
    losses = [loss.forward(model.forward(X), T)]
    for step in range(steps):
        if schedule is not None:
            optimizer.lr = base * schedule(step)
        idx = rng.choice(len(X), size=batch_size, replace=False)
        loss.forward(model.forward(X[idx]), T[idx])
        model.backward(loss.backward())
        optimizer.step()
        losses.append(loss.forward(model.forward(X), T))
        if not losses[-1] < blow_up:
            break
    return np.array(losses)
