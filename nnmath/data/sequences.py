r"""Generated sequence tasks: reversing short digit strings (chapter 28).

Nothing is downloaded: the data are drawn from a seeded generator, so a
chapter that trains on them is reproducible to the last digit.
"""

import numpy as np

from ..checks import check_count, check_rng

__all__ = ["reversal_data"]


def reversal_data(n, length, rng, *, vocab=10):
    """``n`` random digit sequences and their reversals.

    Parameters
    ----------
    n : int ≥ 1
        Number of sequences.
    length : int ≥ 1
        ``T``, the length of every sequence.
    rng : numpy.random.Generator
    vocab : int ≥ 1, optional
        Tokens are ``0 … vocab − 1`` (default: the ten digits).

    Returns
    -------
    X : ndarray of int64, shape (n, T)
        Tokens drawn uniformly and independently.
    Y : ndarray of int64, shape (n, T)
        ``Y[:, t] = X[:, T − 1 − t]``: the target of position ``t`` is the
        token at the mirrored position, so every output must look elsewhere
        in the sequence (chapter 28).

    Examples
    --------
    >>> X, Y = reversal_data(2, 4, np.random.default_rng(0))
    >>> bool((Y == X[:, ::-1]).all())
    True
    """
    n, length, vocab = (check_count("reversal_data", k, v) for k, v in
                        (("n", n), ("length", length), ("vocab", vocab)))
    check_rng("reversal_data", rng)
    X = rng.integers(0, vocab, size=(n, length), dtype=np.int64)
    return X, np.ascontiguousarray(X[:, ::-1])
