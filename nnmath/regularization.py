r"""Dropout: zero each unit with probability ``p`` in training, and rescale the rest.

Weight decay, the other regulariser of chapter :ref:`ch-residual-regularisation`,
lives in the optimiser (:class:`nnmath.SGD` with ``weight_decay``).
"""

import numpy as np

from .checks import check_real, check_rng
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    r"""Inverted dropout: keep each entry with probability ``1 − p`` and divide it by ``1 − p``.

    Parameters
    ----------
    p : float
        Probability of dropping an entry, in ``[0, 1)``.
    rng : numpy.random.Generator
        Draws the masks (a fresh mask on every training forward pass).

    Notes
    -----
    In training mode, with a mask ``m`` of independent Bernoulli(``1 − p``) entries,

    .. math:: Y = \frac{m \odot X}{1 - p}, \qquad
              \frac{\partial L}{\partial X} = \frac{m \odot \delta}{1 - p},

    the Jacobian being ``diag(m / (1 − p))``. Dividing by ``1 − p`` makes
    ``E[Y] = X`` (chapter :ref:`ch-residual-regularisation`), so in evaluation
    mode the layer is the identity and nothing needs rescaling.

    Examples
    --------
    >>> import numpy as np
    >>> drop = Dropout(0.5, rng=np.random.default_rng(0))
    >>> drop.forward(np.ones((1, 6)))
    array([[2., 0., 0., 0., 2., 2.]])
    >>> drop.eval().forward(np.ones((1, 3)))
    array([[1., 1., 1.]])
    """

    def __init__(self, p, *, rng):
        check_real("Dropout", "p", p)
        if not (np.isfinite(p) and 0 <= p < 1):
            raise ValueError(f"Dropout: p must be in [0, 1), got {p!r} "
                             f"(p = 1 would drop everything and divide by 0)")
        self.p = float(p)
        self.rng = check_rng("Dropout", rng)
        self._scale = None  # m / (1 − p) of the last training forward; 1.0 after an eval one

    def forward(self, X):
        """Return ``m ⊙ X / (1 − p)`` in training mode, ``X`` in evaluation mode."""
        if not self.training:
            self._scale = 1.0
            return X
        keep = self.rng.random(X.shape) >= self.p  # P(keep) = 1 − p
        self._scale = keep * X.dtype.type(1.0 / (1.0 - self.p))  # float32 stays float32
        return X * self._scale

    def backward(self, dY):
        """Return ``dY ⊙ m / (1 − p)``: the Jacobian ``diag(m / (1 − p))`` (identity in eval)."""
        return dY * self._scale

    def __repr__(self):
        return f"Dropout(p={self.p})"
