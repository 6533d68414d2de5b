"""The identity registry (see :mod:`nnmath.book.identities.core`).

Each topic module ``chNN_<name>.py`` in this folder registers the entries of
the chapter ``derivations/NN_<name>`` when it is imported; the entries take
their chapter from the module's name (:func:`~.core.chapter_of`). They are found here, not listed by hand:
importing this package imports every module of the folder in name order
(so in chapter order), and a new topic module needs nothing else.
"""

import importlib
import pkgutil

from .core import (REGISTRY, ROUTES, IdentityEntry, Kernel, NumericCheck, chapter_of, for_chapter,
                   get, kernel, register)

TOPIC_MODULES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__)
                             if m.name.startswith("ch")))
"""The topic modules found in this folder, in the order they were imported."""

for _name in TOPIC_MODULES:
    importlib.import_module(f"{__name__}.{_name}")

from . import all_sizes  # noqa: E402  (the proofs for every size, once every entry exists)

__all__ = ["REGISTRY", "ROUTES", "IdentityEntry", "Kernel", "NumericCheck", "TOPIC_MODULES",
           "chapter_of", "for_chapter", "get", "kernel", "register"]
