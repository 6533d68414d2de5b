"""SGD, Adam and AdamW against independent references, and the references' power to fail.

Each optimiser runs several steps (with the learning rate changed between steps) on
a stub model whose gradient is an elementwise function of its parameters; a
reference written as plainly as possible (a Python loop over the entries, floats
and ``math`` only) runs the same steps, and the two must agree to round-off after
every step. Closed forms check what a loop could share with the library: the
heavy-ball and Nesterov recurrences on a quadratic (matrix products), Adam's first
step ``-η g / (|g| + ε)`` for any ``g`` and every step under a constant gradient,
and a computed example where AdamW and Adam with L2 differ. Then optimisers with
one wrong formula each (subclasses below) must be rejected by the same checks.
"""

import math

import numpy as np
import pytest

import nnmath as nm

LRS = [0.1, 0.05, 0.2, 0.1, 0.03, 0.15]   # a different learning rate at every step


def grad_entry(x):
    """The gradient of one entry: ``∂L/∂x`` for ``L = Σ (x²/2 − x/2 − 0.1 cos 3x)``."""
    return x - 0.5 + 0.3 * math.sin(3 * x)


class Stub:
    """Two parameters ``W (2, 3)`` and ``b (3,)``; ``backward`` sets their gradients."""

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        self.W, self.b = rng.standard_normal((2, 3)), rng.standard_normal(3)
        self.dW = self.db = None

    def backward(self):
        self.dW = self.W - 0.5 + 0.3 * np.sin(3 * self.W)
        self.db = self.b - 0.5 + 0.3 * np.sin(3 * self.b)

    def parameters(self):
        return [("W", self.W, self.dW), ("b", self.b, self.db)]

    def flat(self):
        return np.concatenate([self.W.ravel(), self.b.ravel()])


# -- references: one entry at a time, floats only ------------------------------------

def reference_sgd(theta, lrs, *, momentum=0.0, nesterov=False, weight_decay=0.0):
    theta, buf, after = [float(x) for x in theta], [None] * len(theta), []
    for lr in lrs:
        for i, x in enumerate(theta):
            g = grad_entry(x) + weight_decay * x
            if momentum:
                buf[i] = g if buf[i] is None else momentum * buf[i] + g
                g = g + momentum * buf[i] if nesterov else buf[i]
            theta[i] = x - lr * g
        after.append(list(theta))
    return after


def reference_adam(theta, lrs, *, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                   decoupled=False):
    b1, b2 = betas
    theta, after = [float(x) for x in theta], []
    m, v = [0.0] * len(theta), [0.0] * len(theta)
    for t, lr in enumerate(lrs, start=1):
        for i, x in enumerate(theta):
            g = grad_entry(x)
            if decoupled:
                x = x * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * x
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            m_hat, v_hat = m[i] / (1 - b1 ** t), v[i] / (1 - b2 ** t)
            theta[i] = x - lr * m_hat / (math.sqrt(v_hat) + eps)
        after.append(list(theta))
    return after


def reference_adamw(theta, lrs, *, weight_decay=0.01, **kwargs):
    return reference_adam(theta, lrs, weight_decay=weight_decay, decoupled=True, **kwargs)


# (id, optimiser class, keyword arguments, reference): one row per configuration
CASES = [
    ("sgd", nm.SGD, {}, reference_sgd),
    ("sgd-decay", nm.SGD, {"weight_decay": 0.3}, reference_sgd),
    ("sgd-momentum", nm.SGD, {"momentum": 0.9}, reference_sgd),
    ("sgd-momentum-decay", nm.SGD, {"momentum": 0.5, "weight_decay": 0.2}, reference_sgd),
    ("sgd-nesterov", nm.SGD, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
     reference_sgd),
    ("adam", nm.Adam, {}, reference_adam),
    ("adam-l2", nm.Adam, {"betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1},
     reference_adam),
    ("adamw", nm.AdamW, {}, reference_adamw),
    ("adamw-strong", nm.AdamW, {"betas": (0.5, 0.9), "weight_decay": 0.3}, reference_adamw),
]


def compare(cls, kwargs, reference, lrs=LRS, seed=0):
    """Run ``cls`` and ``reference`` step by step; raise AssertionError where they differ."""
    model = Stub(seed)
    expected = reference(model.flat(), lrs, **kwargs)
    opt = cls(model, lrs[0], **kwargs)
    for t, lr in enumerate(lrs):
        opt.lr = lr
        model.backward()
        opt.step()
        np.testing.assert_allclose(model.flat(), expected[t], rtol=1e-12, atol=1e-14,
                                   err_msg=f"{cls.__name__} {kwargs}, step {t + 1}")


@pytest.mark.parametrize("cls, kwargs, reference", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_step_matches_the_entrywise_reference(cls, kwargs, reference):
    compare(cls, kwargs, reference)


# -- closed forms --------------------------------------------------------------------

class Quadratic:
    """``L(θ) = ½ θᵀAθ`` with a full symmetric positive definite ``A``: ``∂L/∂θ = Aθ``."""

    def __init__(self, theta, A):
        self.theta, self.A, self.grad = np.array(theta, dtype=float), A, None

    def backward(self):
        self.grad = self.A @ self.theta

    def parameters(self):
        return [("theta", self.theta, self.grad)]


def _spd(n=4, seed=3):
    B = np.random.default_rng(seed).standard_normal((n, n))
    return B @ B.T / n + 0.5 * np.eye(n)


def _trajectory(opt_factory, steps=12):
    A = _spd()
    model = Quadratic(np.random.default_rng(4).standard_normal(4), A)
    opt, path = opt_factory(model), [model.theta.copy()]
    for _ in range(steps):
        model.backward()
        opt.step()
        path.append(model.theta.copy())
    return A, path


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_on_a_quadratic_follows_its_linear_recurrence(nesterov):
    # heavy ball: θ₁ = θ₀ − ηAθ₀, θₜ₊₁ = θₜ + μ(θₜ − θₜ₋₁) − ηAθₜ;
    # Nesterov: the gradient at the look-ahead point θₜ + μ(θₜ − θₜ₋₁), and θ₁ = θ₀ − η(1+μ)Aθ₀
    eta, mu = 0.1, 0.8
    A, path = _trajectory(lambda m: nm.SGD(m, eta, momentum=mu, nesterov=nesterov))
    first = (1 + mu) * eta if nesterov else eta
    np.testing.assert_allclose(path[1], path[0] - first * A @ path[0], rtol=1e-13)
    for t in range(1, len(path) - 1):
        look = path[t] + mu * (path[t] - path[t - 1]) if nesterov else path[t]
        np.testing.assert_allclose(path[t + 1], path[t] + mu * (path[t] - path[t - 1]) - eta * A @ look,
                                   rtol=1e-11, atol=1e-13)


def test_the_recurrences_tell_heavy_ball_from_nesterov():
    """The closed forms above can fail: each rejects the other method's path."""
    eta, mu = 0.1, 0.8
    A, heavy = _trajectory(lambda m: nm.SGD(m, eta, momentum=mu))
    _, nesterov = _trajectory(lambda m: nm.SGD(m, eta, momentum=mu, nesterov=True))
    assert not np.allclose(heavy[3], nesterov[3], rtol=1e-6)


class Fixed:
    """One parameter whose gradient is always ``g`` (a loss linear in θ)."""

    def __init__(self, g, theta=None):
        self.g = np.asarray(g, dtype=float)
        self.theta = np.zeros_like(self.g) if theta is None else np.array(theta, dtype=float)

    def parameters(self):
        return [("theta", self.theta, self.g)]


def _adam_steps(cls, g, steps, **kwargs):
    model = Fixed(g)
    opt, moves = cls(model, 0.01, **kwargs), []
    for _ in range(steps):
        before = model.theta.copy()
        opt.step()
        moves.append(model.theta - before)
    return moves


G = np.array([3e4, -2e2, 1.5, -7e-3, 4e-5, -1e-1])   # signs and sizes across nine decades


@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9), (0.0, 0.0), (0.99, 0.9999)])
def test_adam_first_step_is_minus_lr_sign_g_for_any_g(betas):
    (move,) = _adam_steps(nm.Adam, G, 1, betas=betas)
    np.testing.assert_allclose(move, -0.01 * G / (np.abs(G) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(move, -0.01 * np.sign(G), rtol=1e-3)  # |g| ≥ 4e-5 ≫ eps


def test_adam_under_a_constant_gradient_moves_lr_every_step():
    # mₜ = (1 − β₁ᵗ) g and vₜ = (1 − β₂ᵗ) g² exactly, so every bias-corrected step is −η g/(|g| + ε)
    for move in _adam_steps(nm.Adam, G, 10):
        np.testing.assert_allclose(move, -0.01 * G / (np.abs(G) + 1e-8), rtol=1e-10)


def test_adamw_and_adam_with_l2_differ_on_a_computed_example():
    # θ₀ = 1 on a flat loss (∂L/∂θ = 0), η = λ = 0.1, one step:
    # AdamW: θ₁ = (1 − ηλ)·1 − η·0 = 0.99;  Adam + L2: g = λθ₀ = 0.1, θ₁ = 1 − η·g/(|g| + ε) ≈ 0.9
    adamw, adam = Fixed(0.0, theta=1.0), Fixed(0.0, theta=1.0)
    nm.AdamW(adamw, 0.1, weight_decay=0.1).step()
    nm.Adam(adam, 0.1, weight_decay=0.1).step()
    assert adamw.theta == pytest.approx(0.99, abs=1e-15)
    assert adam.theta == pytest.approx(1 - 0.1 * 0.1 / (0.1 + 1e-8), abs=1e-15)
    assert abs(adamw.theta - adam.theta) > 0.08


def test_adamw_without_decay_is_adam_bit_for_bit():
    a, b = Stub(1), Stub(1)
    opt_a, opt_b = nm.Adam(a, 0.05), nm.AdamW(b, 0.05, weight_decay=0.0)
    for _ in range(5):
        for model, opt in ((a, opt_a), (b, opt_b)):
            model.backward()
            opt.step()
    np.testing.assert_array_equal(a.flat(), b.flat())


# -- one wrong formula each: the checks above must reject them -------------------------

class EmaMomentum(nm.SGD):
    """Wrong: v ← μv + (1 − μ)g, the moving-average form, instead of torch's μv + g."""

    def _update(self, param, grad, state):
        v = state.setdefault("momentum_buffer", np.zeros_like(param))
        v *= self.momentum
        v += (1 - self.momentum) * (grad + self.weight_decay * param)
        param -= self.lr * v


class NesterovOldBuffer(nm.SGD):
    """Wrong: Nesterov's step with the buffer of the previous step, g + μvₜ₋₁."""

    def _update(self, param, grad, state):
        g = grad + self.weight_decay * param
        old = state.get("momentum_buffer", np.zeros_like(param)).copy()
        state["momentum_buffer"] = self.momentum * old + g if "momentum_buffer" in state else g.copy()
        param -= self.lr * (g + self.momentum * old)


class NoWeightDecay(nm.SGD):
    """Wrong: weight decay forgotten."""

    def _update(self, param, grad, state):
        saved, self.weight_decay = self.weight_decay, 0.0
        super()._update(param, grad, state)
        self.weight_decay = saved


class AdamNoBiasCorrection(nm.Adam):
    """Wrong: θ ← θ − η m/(√v + ε), the moments not bias-corrected."""

    def _adam_step(self, param, grad, state):
        b1, b2 = self.betas
        m = state.setdefault("exp_avg", np.zeros_like(param))
        v = state.setdefault("exp_avg_sq", np.zeros_like(param))
        m[...] = b1 * m + (1 - b1) * grad
        v[...] = b2 * v + (1 - b2) * grad * grad
        param -= self.lr * m / (np.sqrt(v) + self.eps)


class AdamCorrectsOnlyM(nm.Adam):
    """Wrong: only the first moment bias-corrected."""

    def _adam_step(self, param, grad, state):
        b1, b2 = self.betas
        m = state.setdefault("exp_avg", np.zeros_like(param))
        v = state.setdefault("exp_avg_sq", np.zeros_like(param))
        m[...] = b1 * m + (1 - b1) * grad
        v[...] = b2 * v + (1 - b2) * grad * grad
        param -= self.lr * m / (1 - b1 ** self.steps) / (np.sqrt(v) + self.eps)


class AdamEpsInsideRoot(nm.Adam):
    """Wrong: √(v̂ + ε) in the denominator instead of √v̂ + ε."""

    def _adam_step(self, param, grad, state):
        b1, b2 = self.betas
        m = state.setdefault("exp_avg", np.zeros_like(param))
        v = state.setdefault("exp_avg_sq", np.zeros_like(param))
        m[...] = b1 * m + (1 - b1) * grad
        v[...] = b2 * v + (1 - b2) * grad * grad
        m_hat, v_hat = m / (1 - b1 ** self.steps), v / (1 - b2 ** self.steps)
        param -= self.lr * m_hat / np.sqrt(v_hat + self.eps)


class AdamWCoupled(nm.AdamW):
    """Wrong: AdamW's decay put into the gradient (that is Adam with L2)."""

    def _update(self, param, grad, state):
        nm.Adam._update(self, param, grad, state)


class AdamWDecayAfterStep(nm.AdamW):
    """Wrong: the decay applied after the Adam step, to the updated weights."""

    def _update(self, param, grad, state):
        self._adam_step(param, grad, state)
        param *= 1 - self.lr * self.weight_decay


class FrozenLearningRate(nm.Adam):
    """Wrong: the learning rate read once, at construction; later changes ignored."""

    def __init__(self, model, lr=1e-3, **kwargs):
        super().__init__(model, lr, **kwargs)
        self._first_lr = self.lr

    def _adam_step(self, param, grad, state):
        changed, self._lr = self._lr, self._first_lr
        super()._adam_step(param, grad, state)
        self._lr = changed


MUTANTS = [
    (EmaMomentum, {"momentum": 0.9}, reference_sgd),
    (NesterovOldBuffer, {"momentum": 0.9, "nesterov": True}, reference_sgd),
    (NoWeightDecay, {"weight_decay": 0.3}, reference_sgd),
    (AdamNoBiasCorrection, {}, reference_adam),
    (AdamCorrectsOnlyM, {}, reference_adam),
    (AdamEpsInsideRoot, {}, reference_adam),
    (AdamWCoupled, {"weight_decay": 0.3}, reference_adamw),
    (AdamWDecayAfterStep, {"weight_decay": 0.3}, reference_adamw),
    (FrozenLearningRate, {}, reference_adam),
]


@pytest.mark.parametrize("cls, kwargs, reference", MUTANTS, ids=[m[0].__name__ for m in MUTANTS])
def test_the_reference_rejects_a_wrong_formula(cls, kwargs, reference):
    with pytest.raises(AssertionError):
        compare(cls, kwargs, reference)


@pytest.mark.parametrize("cls", [AdamNoBiasCorrection, AdamCorrectsOnlyM])
def test_the_closed_forms_reject_a_missing_bias_correction(cls):
    with pytest.raises(AssertionError):
        (move,) = _adam_steps(cls, G, 1)
        np.testing.assert_allclose(move, -0.01 * G / (np.abs(G) + 1e-8), rtol=1e-12)


def test_the_closed_form_rejects_ema_momentum():
    with pytest.raises(AssertionError):
        A, path = _trajectory(lambda m: EmaMomentum(m, 0.1, momentum=0.8))
        np.testing.assert_allclose(path[1], path[0] - 0.1 * A @ path[0], rtol=1e-13)


def test_zero_started_buffer_is_torch_first_step_without_dampening():
    """An equivalent formula, not a mutant: with dampening 0, v₀ = 0 gives v₁ = μ·0 + g₁ = g₁."""

    class ZeroStart(nm.SGD):
        def _update(self, param, grad, state):
            state.setdefault("momentum_buffer", np.zeros_like(param))
            super()._update(param, grad, state)

    compare(ZeroStart, {"momentum": 0.9}, reference_sgd)
