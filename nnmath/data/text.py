r"""A small text corpus, a character tokenizer and next-token windows for language models (issue 25).

The corpus, ``nnmath/data/book_prose.txt``, is this book's own prose (about
270 KB of ASCII), extracted from the chapters' markdown with the mathematics and
the markup stripped; it is under the project's MIT licence (``nnmath/data/README.md``).

A language model reads ``context`` tokens and predicts, at every position, the
next one: a window of ``context + 1`` tokens gives the input (all but the last)
and the targets (all but the first).
"""

import numbers
from importlib import resources

import numpy as np

from ..checks import check_count, check_rng

__all__ = ["load_book_text", "CharTokenizer", "train_val_split", "text_windows"]


def load_book_text():
    """Return the shipped corpus, the book's own prose, as one string (ASCII, newlines kept).

    Examples
    --------
    >>> text = load_book_text()
    >>> text[:36]
    'Derivatives, gradients and Jacobians'
    """
    return resources.files("nnmath").joinpath("data", "book_prose.txt").read_text(
        encoding="utf-8")


class CharTokenizer:
    """Map each character of a vocabulary to an integer id and back.

    Parameters
    ----------
    text : str
        The vocabulary is the set of characters of ``text``, sorted, so the
        same text always gives the same ids.

    Attributes
    ----------
    chars : str
        The vocabulary; ``chars[i]`` is the character of id ``i``.
    vocab_size : int

    Examples
    --------
    >>> tok = CharTokenizer("hello world")
    >>> ids = tok.encode("hello")
    >>> ids.tolist(), tok.decode(ids)
    ([3, 2, 4, 4, 5], 'hello')
    """

    def __init__(self, text):
        if not isinstance(text, str) or not text:
            raise ValueError(f"CharTokenizer: text must be a non-empty string, "
                             f"got {type(text).__name__} {text!r:.40}")
        self.chars = "".join(sorted(set(text)))
        self.vocab_size = len(self.chars)
        self._ids = {c: i for i, c in enumerate(self.chars)}

    def encode(self, text):
        """Return the ids of the characters of ``text``, an int64 array of shape ``(len(text),)``."""
        if not isinstance(text, str):
            raise TypeError(f"CharTokenizer.encode: text must be a string, got "
                            f"{type(text).__name__}")
        try:
            return np.array([self._ids[c] for c in text], dtype=np.int64)
        except KeyError as err:
            c = err.args[0]
            raise ValueError(f"CharTokenizer.encode: unknown character {c!r} at position "
                             f"{text.index(c)}; the vocabulary has {self.vocab_size} "
                             f"characters") from None

    def decode(self, ids):
        """Return the string of the ids ``ids`` (any shape, read in order)."""
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"CharTokenizer.decode: ids must be integers, got dtype {ids.dtype}")
        bad = ids[(ids < 0) | (ids >= self.vocab_size)]
        if bad.size:
            raise ValueError(f"CharTokenizer.decode: id {int(bad[0])} is out of range for a "
                             f"vocabulary of {self.vocab_size} (valid: 0 to {self.vocab_size - 1})")
        return "".join(self.chars[i] for i in ids.reshape(-1))

    def __repr__(self):
        return f"CharTokenizer(vocab_size={self.vocab_size})"


def train_val_split(ids, *, val_fraction=0.1):
    """Split a token sequence into a training head and a validation tail.

    Parameters
    ----------
    ids : int array, shape (L,)
    val_fraction : float in (0, 1), optional

    Returns
    -------
    train, val : int arrays
        ``ids[:L − n]`` and ``ids[L − n:]`` with ``n = round(val_fraction · L)``:
        contiguous, so no window of the validation text overlaps the training text.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"train_val_split: ids must be a 1-D integer array, got dtype "
                         f"{ids.dtype}, shape {ids.shape}")
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, numbers.Real) \
            or not 0 < val_fraction < 1:
        raise ValueError(f"train_val_split: val_fraction must be in (0, 1), got {val_fraction!r}")
    n = int(round(val_fraction * ids.size))
    if n < 1 or n >= ids.size:
        raise ValueError(f"train_val_split: val_fraction {val_fraction} leaves an empty part "
                         f"of {ids.size} tokens")
    return ids[:ids.size - n], ids[ids.size - n:]


def text_windows(ids, context, n, rng):
    """Cut ``n`` random windows of ``context + 1`` tokens: inputs and next-token targets.

    Parameters
    ----------
    ids : int array, shape (L,)
        ``L ≥ context + 1``.
    context : int ≥ 1
    n : int ≥ 1
        Number of windows.
    rng : numpy.random.Generator
        Draws the start of each window, uniformly over the ``L − context`` possible ones.

    Returns
    -------
    X, Y : int arrays, shape (n, context)
        ``Y[k, t] = X[k, t + 1]`` for ``t < context − 1``: row ``k`` of ``Y`` is
        row ``k`` of ``X`` shifted by one token.

    Examples
    --------
    >>> X, Y = text_windows(np.arange(10), 4, 2, np.random.default_rng(0))
    >>> X.shape, bool(np.all(Y == X + 1))
    ((2, 4), True)
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"text_windows: ids must be a 1-D integer array, got dtype "
                         f"{ids.dtype}, shape {ids.shape}")
    context = check_count("text_windows", "context", context)
    n = check_count("text_windows", "n", n)
    rng = check_rng("text_windows", rng)
    if ids.size < context + 1:
        raise ValueError(f"text_windows: {ids.size} tokens are too few for a window of "
                         f"context + 1 = {context + 1}")
    starts = rng.integers(0, ids.size - context, size=n)
    windows = ids[starts[:, None] + np.arange(context + 1)]
    return windows[:, :-1], windows[:, 1:]
