r"""Optimisers (SGD with momentum, Adam, AdamW, PyTorch's rules; K-FAC, Muon) and a learning-rate schedule.

An optimiser asks the model for ``parameters()`` on every step and updates the arrays
in place; its state (momentum, Adam's moments) is kept per parameter *name*
(``"0.W"``, ...). There is no ``zero_grad``: ``backward`` *sets* the gradients
(nothing accumulates), so a step uses those of the last ``backward``.
``state_dict()`` is a flat ``{str: numpy array}`` (fits in an ``.npz``) that
``load_state_dict`` restores exactly, so training resumes bit for bit.
"""

from .adam import Adam, AdamW
from .base import Optimizer, check_learning_rate
from .kfac import KFAC
from .muon import CUBIC_COEFFICIENTS, MUON_COEFFICIENTS, Muon, newton_schulz
from .schedule import warmup_cosine
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "KFAC", "Muon", "newton_schulz",
           "MUON_COEFFICIENTS", "CUBIC_COEFFICIENTS", "warmup_cosine", "check_learning_rate"]
