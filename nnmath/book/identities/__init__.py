"""The identity registry (see :mod:`nnmath.book.identities.core`).

Each topic module ``chNN_<topic>.py`` in this folder registers the entries of
chapter NN when it is imported. They are found here, not listed by hand:
importing this package imports every module of the folder in name order
(so in chapter order), and a new topic module needs nothing else.
"""

import importlib
import pkgutil

from .core import REGISTRY, ROUTES, IdentityEntry, NumericCheck, for_chapter, get, register

TOPIC_MODULES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__)
                             if m.name.startswith("ch")))
"""The topic modules found in this folder, in the order they were imported."""

for _name in TOPIC_MODULES:
    importlib.import_module(f"{__name__}.{_name}")

from . import all_sizes  # noqa: E402  (the proofs for every size, once every entry exists)

__all__ = ["REGISTRY", "ROUTES", "IdentityEntry", "NumericCheck", "TOPIC_MODULES",
           "for_chapter", "get", "register"]
