"""Command line: ``python -m nnmath verify [--only NAME] [--progress] [--seed N]``.

The logic lives in :mod:`nnmath.verify`.
"""

import sys

from .verify import main

if __name__ == "__main__":
    sys.exit(main())
