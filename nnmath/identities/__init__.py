"""The identity registry (see :mod:`nnmath.identities.core`).

Each topic module registers its entries on import; importing this package
loads them all, in chapter order.
"""

from .core import REGISTRY, ROUTES, Identity, NumericCheck, for_chapter, get, register
from . import matmul  # noqa: F401  (chapters 4-5)

__all__ = ["REGISTRY", "ROUTES", "Identity", "NumericCheck", "for_chapter", "get", "register"]
