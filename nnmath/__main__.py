"""Command line: ``python -m nnmath verify [--only NAME] ...``, ``python -m nnmath new-chapter``.

The commands belong to the book's apparatus; they live in :mod:`nnmath.book.cli`
and are imported only when run.
"""

import sys

if __name__ == "__main__":
    from .book.cli import main
    sys.exit(main())
