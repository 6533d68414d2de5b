"""Adam and AdamW (PyTorch's rules): bias-corrected moment estimates, L2 or decoupled decay."""

import numpy as np

from ..checks import check_real
from .base import Optimizer

__all__ = ["Adam", "AdamW"]


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
