r"""Stochastic gradient descent: move every parameter against its gradient, in place.

The optimiser asks the model for ``parameters()`` on every step, so it always
sees the current arrays, and updates them in place (``param -= lr * grad``):
the layers keep their own ``W`` and ``b`` objects.
"""

import math
import numbers

import numpy as np

from .module import check_real

__all__ = ["SGD", "check_learning_rate"]


def check_learning_rate(owner, lr):
    """Return ``lr`` as a float, or raise naming ``owner`` unless it is finite and > 0."""
    if isinstance(lr, (bool, np.bool_)) or not isinstance(lr, numbers.Real):
        raise TypeError(f"{owner}: lr must be a real number, got {lr!r} ({type(lr).__name__})")
    if not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"{owner}: lr must be a finite number > 0, got {lr!r}")
    return float(lr)


class SGD:
    r"""Plain gradient descent on every parameter of a model.

    Parameters
    ----------
    model : Module
        Anything with a ``parameters()`` method returning
        ``(name, param, grad)`` tuples (e.g. :class:`nnmath.Sequential`).
    lr : float
        Learning rate, finite and ``> 0``.
    weight_decay : float, optional
        ``λ ≥ 0`` (default 0): the coefficient of the penalty ``(λ/2)‖W‖²_F``
        added to the loss, applied to every parameter.

    Notes
    -----
    .. math:: W \leftarrow W - \eta \, \Bigl(\frac{\partial L}{\partial W} + \lambda W\Bigr)
              = (1 - \eta\lambda)\, W - \eta \, \frac{\partial L}{\partial W}

    for every parameter, with the gradients of the last ``backward``
    (chapters 9 and 11): the penalty's gradient is ``λW``, so a step first
    shrinks the weights by ``1 − ηλ`` ("decay"), then takes the plain step
    (chapter :ref:`ch-residual-regularisation`).

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

    def __init__(self, model, lr, *, weight_decay=0.0):
        if not callable(getattr(model, "parameters", None)):
            raise TypeError(f"SGD: model must have a parameters() method, got {type(model).__name__}")
        self.model = model
        self.lr = check_learning_rate("SGD", lr)
        self.weight_decay = check_real("SGD", "weight_decay", weight_decay,
                                       lambda v: v >= 0, ">= 0")

    def step(self):
        """Update every parameter in place: decay ``param *= 1 − lr·λ``, then ``param -= lr * grad``."""
        for name, param, grad in self.model.parameters():
            if grad is None:
                raise RuntimeError(f"SGD.step: parameter {name!r} has no gradient; call backward first")
            if np.shape(grad) != np.shape(param):
                raise ValueError(f"SGD.step: gradient of {name!r} has shape {np.shape(grad)}, "
                                 f"the parameter has shape {np.shape(param)}")
            if self.weight_decay:
                param *= 1 - self.lr * self.weight_decay  # decay: the gradient λW of (λ/2)‖W‖²
            param -= self.lr * grad                       # then the step

    def zero_grad(self):
        """Set every stored gradient to zero (in place); gradients not yet computed stay None."""
        for _, _, grad in self.model.parameters():
            if grad is not None:
                grad[...] = 0

    def __repr__(self):
        if self.weight_decay:
            return f"SGD(lr={self.lr}, weight_decay={self.weight_decay})"
        return f"SGD(lr={self.lr})"
