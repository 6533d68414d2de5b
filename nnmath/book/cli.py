"""``python -m nnmath``: the command line of the book's apparatus."""

from .verify import main

__all__ = ["main"]
