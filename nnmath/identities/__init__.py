"""The identity registry (see :mod:`nnmath.identities.core`).

Each topic module registers its entries on import; importing this package
loads them all, in chapter order.
"""

from .core import REGISTRY, ROUTES, Identity, NumericCheck, for_chapter, get, register
from . import calculus  # noqa: F401  (chapter 3)
from . import matmul  # noqa: F401  (chapters 4-5)
from . import activations  # noqa: F401  (chapter 6)
from . import layers  # noqa: F401  (chapter 7)
from . import losses  # noqa: F401  (chapter 8)
from . import backprop  # noqa: F401  (chapter 9)
from . import batching  # noqa: F401  (chapter 11)
from . import autodiff_routes  # noqa: F401  (last: Tensor forwards missing above)

__all__ = ["REGISTRY", "ROUTES", "Identity", "NumericCheck", "for_chapter", "get", "register"]
