"""The book's apparatus: what the chapters need besides the library.

* :mod:`nnmath.book.identities`: the registry, one entry per identity the book
  states, each with its three verification routes;
* :mod:`nnmath.book.symbolic`: SymPy proofs and checks;
* :mod:`nnmath.book.jacobians`: full 3-D and 4-D Jacobians and their memory;
* :mod:`nnmath.book.plotting`, :mod:`nnmath.book.graphdraw`: figures;
* :mod:`nnmath.book.verify`: ``python -m nnmath verify``;
* :mod:`nnmath.book.answers`: :func:`check_answer`, exercises that grade themselves
  (``python -m nnmath check``);
* :mod:`nnmath.book.chapters`: one module per chapter with that chapter's own
  demonstrations and studies (``ch10_reuse_formula`` for chapter 10, ...).

The apparatus imports the library (:mod:`nnmath`); the library never imports it.
"""

__all__ = ["check_answer"]


def __getattr__(name):
    # check_answer loads the registry (and with it SymPy) only when it is asked for
    if name == "check_answer":
        from .answers import check_answer
        return check_answer
    raise AttributeError(f"module 'nnmath.book' has no attribute {name!r}")
