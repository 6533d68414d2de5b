"""The examples in the docstrings are tests: every module of ``nnmath`` runs its doctests.

Each module of the package (library and apparatus) is imported and its
``Examples`` sections are run with :mod:`doctest`; a module whose example
prints something else than it shows fails here, under its own name.
"""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import nnmath

MODULES = sorted(m.name for m in pkgutil.walk_packages(nnmath.__path__, prefix="nnmath."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name, extraglobs={"np": np}):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"


def test_the_examples_are_found():
    """A broken finder would pass every module above: count the examples."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    count = sum(len(t.examples) for name in MODULES
                for t in finder.find(importlib.import_module(name), name))
    assert count >= 30, f"only {count} docstring examples found in nnmath"
