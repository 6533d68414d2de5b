r"""Optimisers (SGD with momentum, Adam, AdamW, PyTorch's rules) and a learning-rate schedule.

An optimiser asks the model for ``parameters()`` on every step and updates the arrays
in place; its state (momentum, Adam's moments) is kept per parameter *name*
(``"0.W"``, ...). There is no ``zero_grad``: ``backward`` *sets* the gradients
(nothing accumulates), so a step uses those of the last ``backward``.
``state_dict()`` is a flat ``{str: numpy array}`` (fits in an ``.npz``) that
``load_state_dict`` restores exactly, so training resumes bit for bit.
"""

import inspect
import math
import numbers

import numpy as np

from .module import check_real

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "warmup_cosine", "check_learning_rate"]


def check_learning_rate(owner, lr):
    """Return ``lr`` as a float, or raise naming ``owner`` unless it is finite and > 0."""
    if isinstance(lr, (bool, np.bool_)) or not isinstance(lr, numbers.Real):
        raise TypeError(f"{owner}: lr must be a real number, got {lr!r} ({type(lr).__name__})")
    if not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"{owner}: lr must be a finite number > 0, got {lr!r}")
    return float(lr)


def _plain(value):
    """A state-dict entry as a Python value: a 0-d array as a number, a 1-d one as a tuple."""
    value = np.asarray(value).tolist()
    return tuple(value) if isinstance(value, list) else value


class Optimizer:
    """What every optimiser shares: the model, ``lr``, the step count, the state.

    A subclass names its constructor's keyword arguments in ``_hyperparameters``,
    its buffers in ``_buffers()``, and updates one parameter in ``_update(param,
    grad, state)`` (``state``: that parameter's ``{buffer name: array}``).

    Attributes
    ----------
    lr : float
        The learning rate; may be changed between steps (checked on assignment:
        finite and ``> 0``).
    steps : int
        The number of steps taken.
    state : dict
        ``{parameter name: {buffer name: array}}``.
    """

    _hyperparameters = ()

    def __init__(self, model, lr):
        if not callable(getattr(model, "parameters", None)):
            raise TypeError(f"{type(self).__name__}: model must have a parameters() method, "
                            f"got {type(model).__name__}")
        self.model = model
        self.lr = lr
        self.steps = 0
        self.state = {}

    @property
    def lr(self):
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = check_learning_rate(type(self).__name__, value)

    def _buffers(self):
        return ()

    def step(self):
        """Update every parameter in place, with the gradients of the last ``backward``."""
        params = self._checked_parameters()
        self.steps += 1
        for name, param, grad in params:
            self._update(param, grad, self.state.setdefault(name, {}))

    def _checked_parameters(self):
        """``parameters()``, each checked before any is updated (a failed step changes nothing)."""
        who = f"{type(self).__name__}.step"
        params = list(self.model.parameters())
        for name, param, grad in params:
            if grad is None:
                raise RuntimeError(f"{who}: parameter {name!r} has no gradient; call backward first")
            if np.shape(grad) != np.shape(param):
                raise ValueError(f"{who}: gradient of {name!r} has shape {np.shape(grad)}, "
                                 f"the parameter has shape {np.shape(param)}")
            if self.steps and self._buffers() and name not in self.state:
                raise ValueError(f"{who}: parameter {name!r} is new since the first step: the model "
                                 f"changed")
            for buffer, value in self.state.get(name, {}).items():
                if value.shape != np.shape(param):
                    raise ValueError(f"{who}: parameter {name!r} has shape {np.shape(param)}, its "
                                     f"{buffer} has shape {value.shape}: the model changed")
        return params

    def state_dict(self):
        """Return the optimiser's state as a flat ``{str: numpy array}`` (copies).

        Keys: ``"type"`` (the class name), ``"step"``, ``"lr"``, each hyperparameter,
        ``"shape/<name>"`` for every parameter and ``"<buffer>/<name>"`` for every buffer.
        """
        state = {"type": np.array(type(self).__name__), "step": np.array(self.steps),
                 "lr": np.array(self.lr)}
        state.update((key, np.array(getattr(self, key))) for key in self._hyperparameters)
        state.update((f"shape/{name}", np.array(np.shape(param), dtype=np.int64))
                     for name, param, _ in self.model.parameters())
        state.update((f"{buffer}/{name}", np.array(value))
                     for name, buffers in self.state.items() for buffer, value in buffers.items())
        return state

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict` of the same optimiser type and model shapes (copies).

        Raises ``ValueError`` naming the key that is missing, unexpected or of the
        wrong shape, or the type the state dict belongs to; nothing changes then.
        """
        name = type(self).__name__
        who = f"{name}.load_state_dict"
        if not hasattr(state, "keys"):
            raise TypeError(f"{who}: expected a dict from state_dict(), got {type(state).__name__}")
        scalars = ("type", "step", "lr", *self._hyperparameters)
        if "type" in state and str(state["type"]) != name:
            raise ValueError(f"{who}: the state dict is for {str(state['type'])}, not {name}")
        if missing := [key for key in scalars if key not in state]:
            raise ValueError(f"{who}: missing key {missing[0]!r}")
        steps = _plain(state["step"])
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"{who}: key 'step' must be an integer >= 0, got {steps!r}")
        try:  # the constructor checks the hyperparameters
            checked = type(self)(self.model, _plain(state["lr"]),
                                 **{key: _plain(state[key]) for key in self._hyperparameters})
        except (TypeError, ValueError) as error:
            raise type(error)(f"{who}: {error}") from None
        shapes = {n: np.shape(p) for n, p, _ in self.model.parameters()}
        expected = {f"shape/{n}": shape for n, shape in shapes.items()}
        if steps:
            expected.update((f"{buffer}/{n}", shape)
                            for buffer in checked._buffers() for n, shape in shapes.items())
        if unexpected := sorted(set(state) - set(expected) - set(scalars)):
            raise ValueError(f"{who}: unexpected key {unexpected[0]!r} (another optimiser or model?)")
        for key, shape in expected.items():
            if key not in state:
                raise ValueError(f"{who}: missing key {key!r} (another model?)")
            got = (tuple(int(n) for n in np.ravel(state[key])) if key.startswith("shape/")
                   else np.shape(state[key]))
            if got != shape:
                raise ValueError(f"{who}: key {key!r} has shape {got}, the model's parameter has "
                                 f"shape {shape}")
        dtypes = {n: np.asarray(p).dtype for n, p, _ in self.model.parameters()}
        self.__dict__.update((k, v) for k, v in vars(checked).items() if k != "state")
        self.steps = steps
        self.state = {}
        for key in expected:
            buffer, _, n = key.partition("/")
            if buffer != "shape":
                self.state.setdefault(n, {})[buffer] = np.array(state[key], dtype=dtypes[n])

    def __repr__(self):
        defaults = {k: p.default for k, p in inspect.signature(type(self)).parameters.items()}
        shown = [f"lr={self.lr}"] + [f"{k}={getattr(self, k)!r}" for k in self._hyperparameters
                                     if getattr(self, k) != defaults[k]]
        return f"{type(self).__name__}({', '.join(shown)})"


class SGD(Optimizer):
    r"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay.

    Parameters
    ----------
    model : Module
        Anything with a ``parameters()`` method returning
        ``(name, param, grad)`` tuples (e.g. :class:`nnmath.Sequential`).
    lr : float
        Learning rate ``η``, finite and ``> 0``.
    momentum : float, optional
        ``μ`` in ``[0, 1)`` (default 0: plain gradient descent).
    nesterov : bool, optional
        Use Nesterov momentum (needs ``momentum > 0``).
    weight_decay : float, optional
        ``λ ≥ 0`` (default 0): the coefficient of the penalty ``(λ/2)‖θ‖²``
        added to the loss, applied to every parameter.

    Notes
    -----
    As ``torch.optim.SGD`` (no dampening): at step ``t``, for every parameter ``θ``,

    .. math::
        g_t = \frac{\partial L}{\partial \theta} + \lambda \theta_{t-1}, \qquad
        v_t = \mu v_{t-1} + g_t \quad (v_1 = g_1), \qquad
        \theta_t = \theta_{t-1} - \eta\, v_t,

    or :math:`\theta_t = \theta_{t-1} - \eta\,(g_t + \mu v_t)` with Nesterov (chapters 9
    and 11). With ``μ = 0``, :math:`\theta \leftarrow (1 - \eta\lambda)\,\theta - \eta\,
    \partial L/\partial \theta`: weight decay (:ref:`ch-residual-regularisation`).

    Examples
    --------
    >>> import numpy as np
    >>> from nnmath.layers import Linear
    >>> layer = Linear(2, 1, rng=np.random.default_rng(0))
    >>> _ = layer.forward(np.ones((1, 2))); _ = layer.backward(np.ones((1, 1)))
    >>> before = layer.W.copy()
    >>> SGD(layer, lr=0.1).step()
    >>> np.allclose(layer.W, before - 0.1)
    True
    """

    _hyperparameters = ("momentum", "nesterov", "weight_decay")

    def __init__(self, model, lr, *, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(model, lr)
        self.momentum = check_real("SGD", "momentum", momentum, lambda v: 0 <= v < 1, "in [0, 1)")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"SGD: nesterov must be True or False, got {nesterov!r}")
        if nesterov and not self.momentum:
            raise ValueError(f"SGD: nesterov=True needs momentum > 0, got momentum={momentum!r}")
        self.nesterov = bool(nesterov)
        self.weight_decay = check_real("SGD", "weight_decay", weight_decay,
                                       lambda v: v >= 0, ">= 0")

    def _buffers(self):
        return ("momentum_buffer",) if self.momentum else ()

    def _update(self, param, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * param    # g = ∂L/∂θ + λθ, the gradient of (λ/2)‖θ‖²
        if self.momentum:
            if "momentum_buffer" in state:
                v = state["momentum_buffer"]
                v *= self.momentum
                v += grad                              # v ← μv + g
            else:
                v = state["momentum_buffer"] = np.array(grad, dtype=param.dtype)  # v₁ = g₁
            grad = grad + self.momentum * v if self.nesterov else v
        param -= self.lr * grad


class Adam(Optimizer):
    r"""Adam: steps scaled by running averages of the gradient and its square.

    Parameters
    ----------
    model : Module
        Anything with a ``parameters()`` method returning ``(name, param, grad)``.
    lr : float, optional
        Learning rate ``η`` (default ``1e-3``), finite and ``> 0``.
    betas : (float, float), optional
        ``(β₁, β₂)``, each in ``[0, 1)`` (default ``(0.9, 0.999)``).
    eps : float, optional
        ``ε > 0`` added to the denominator (default ``1e-8``).
    weight_decay : float, optional
        ``λ ≥ 0`` (default 0), added to the gradient as an L2 penalty
        (:class:`AdamW` decouples it instead).

    Notes
    -----
    As ``torch.optim.Adam``: at step ``t = 1, 2, …``, for every parameter ``θ``
    (``m₀ = v₀ = 0``, squares and square roots entrywise),

    .. math::
        g_t = \frac{\partial L}{\partial \theta} + \lambda \theta_{t-1}, \quad
        m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \quad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2,

    .. math::
        \hat m_t = \frac{m_t}{1 - \beta_1^t}, \quad
        \hat v_t = \frac{v_t}{1 - \beta_2^t}, \quad
        \theta_t = \theta_{t-1} - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}.

    The bias corrections undo the zero start: the first step is
    :math:`-\eta\, g_1 / (|g_1| + \varepsilon)`, about ``−η sign(g)``.

    Examples
    --------
    >>> import numpy as np
    >>> from nnmath.layers import Linear
    >>> layer = Linear(2, 1, rng=np.random.default_rng(0))
    >>> _ = layer.forward(np.ones((1, 2))); _ = layer.backward(np.full((1, 1), 5.0))
    >>> before = layer.W.copy()
    >>> Adam(layer, lr=0.01).step()
    >>> np.round((layer.W - before) / 0.01, 6).ravel().tolist()   # -sign(dW), any size of dW
    [-1.0, -1.0]
    """

    _hyperparameters = ("betas", "eps", "weight_decay")

    def __init__(self, model, lr=1e-3, *, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(model, lr)
        name = type(self).__name__
        if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
            raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = tuple(check_real(name, f"betas[{i}]", b, lambda v: 0 <= v < 1, "in [0, 1)")
                           for i, b in enumerate(betas))
        self.eps = check_real(name, "eps", eps, lambda v: v > 0, "> 0")
        self.weight_decay = check_real(name, "weight_decay", weight_decay, lambda v: v >= 0, ">= 0")

    def _buffers(self):
        return ("exp_avg", "exp_avg_sq")

    def _update(self, param, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * param   # L2: the gradient of (λ/2)‖θ‖²
        self._adam_step(param, grad, state)

    def _adam_step(self, param, grad, state):
        beta1, beta2 = self.betas
        if not state:
            state["exp_avg"], state["exp_avg_sq"] = np.zeros_like(param), np.zeros_like(param)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * grad                       # m ← β₁m + (1 − β₁)g
        v *= beta2
        v += (1 - beta2) * grad * grad                # v ← β₂v + (1 − β₂)g²
        m_hat = m / (1 - beta1 ** self.steps)         # bias corrections
        v_hat = v / (1 - beta2 ** self.steps)
        param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    r"""Adam with decoupled weight decay: shrink the weights, then take the Adam step.

    Parameters as :class:`Adam`; ``weight_decay`` ``λ ≥ 0`` (default 0.01) acts on
    the weights directly, not through the gradient.

    Notes
    -----
    As ``torch.optim.AdamW``: at step ``t``, :math:`\theta \leftarrow (1 - \eta\lambda)
    \,\theta`, then the :class:`Adam` step with the raw gradient
    :math:`g_t = \partial L / \partial \theta` (no :math:`\lambda\theta` in it). With
    Adam's L2 penalty the decay is divided by :math:`\sqrt{\hat v_t}` like the rest of
    the gradient; here every weight decays by the same factor.

    Examples
    --------
    >>> import numpy as np
    >>> from nnmath.layers import Linear
    >>> layer = Linear(2, 1, rng=np.random.default_rng(0))
    >>> _ = layer.forward(np.ones((1, 2))); _ = layer.backward(np.ones((1, 1)))
    >>> before = layer.W.copy()
    >>> AdamW(layer, lr=0.1, weight_decay=0.5).step()
    >>> np.allclose(layer.W, 0.95 * before - 0.1, atol=1e-7)
    True
    """

    def __init__(self, model, lr=1e-3, *, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(model, lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def _update(self, param, grad, state):
        param *= 1 - self.lr * self.weight_decay      # decoupled decay θ ← (1 − ηλ)θ
        self._adam_step(param, grad, state)


def _check_int(name, value, low):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"warmup_cosine: {name} must be an integer, got {value!r}")
    if value < low:
        raise ValueError(f"warmup_cosine: {name} must be >= {low}, got {value!r}")
    return int(value)


def warmup_cosine(step, *, total, warmup, floor=0.0):
    r"""Return the learning-rate factor at ``step``: linear warm-up, then cosine decay.

    Parameters
    ----------
    step : int
        Steps taken so far (``0`` before the first update), ``≥ 0``.
    total : int
        Length of the schedule, ``≥ 1``; the factor reaches ``floor`` at ``step == total``
        and stays there after.
    warmup : int
        Warm-up steps, ``0 ≤ warmup ≤ total``.
    floor : float, optional
        The final factor, in ``[0, 1]`` (default 0).

    Returns
    -------
    float
        The factor; multiply the base learning rate by it before each step.

    Notes
    -----
    With ``s = step``, ``W = warmup``, ``T = total``, ``f = floor``:

    .. math::
        \text{factor}(s) = \begin{cases}
          (s + 1) / W & s < W, \\
          f + (1 - f)\,\tfrac12 \bigl(1 + \cos(\pi\,(s - W) / (T - W))\bigr) & W \le s < T, \\
          f & s \ge T.
        \end{cases}

    The warm-up goes from ``1/W`` at step 0 to 1 at step ``W − 1``: the first
    update already moves (a factor 0 would make ``lr = 0``, which no optimiser
    accepts). With ``floor=0`` it stays ``> 0`` over the steps ``0, …, T − 1``.

    Examples
    --------
    >>> [round(warmup_cosine(s, total=6, warmup=2), 3) for s in range(7)]
    [0.5, 1.0, 1.0, 0.854, 0.5, 0.146, 0.0]
    """
    step = _check_int("step", step, 0)
    total = _check_int("total", total, 1)
    warmup = _check_int("warmup", warmup, 0)
    if warmup > total:
        raise ValueError(f"warmup_cosine: warmup must be <= total, got warmup={warmup}, total={total}")
    floor = check_real("warmup_cosine", "floor", floor, lambda v: 0 <= v <= 1, "in [0, 1]")
    if step < warmup:
        return (step + 1) / warmup
    if step >= total:
        return floor
    progress = (step - warmup) / (total - warmup)
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
