"""Stochastic gradient descent, with momentum and Nesterov momentum (PyTorch's rules)."""

import numpy as np

from ..checks import check_real
from .base import Optimizer

__all__ = ["SGD"]


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
