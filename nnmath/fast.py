"""Speed-ups kept out of the rules the chapters show: each a named helper with its reason.

A rule reads as the chapter writes it (``relu_grad_Z`` is ``δ ⊙ [Z > 0]``);
where the obvious NumPy spelling of a rule is much slower than another, the
other lives here, under a name that says what it computes, with the figure
from ``benchmarks/fast_helpers.py`` that justifies it.
"""

import numpy as np

__all__ = ["keep_where"]


def keep_where(mask, values):
    """``np.where(mask, values, 0)``: ``values`` where ``mask`` holds, zero elsewhere.

    Multiplying by the boolean mask gives the same array 1.9× to 3.5× as fast
    as ``np.where`` on a (128, 256) float64 batch (``benchmarks/fast_helpers.py``,
    depending on the machine's load) and keeps float32 as float32. Object arrays of SymPy symbols (the
    chapter-6 proof) cannot be multiplied by booleans, so they take ``np.where``.

    Parameters
    ----------
    mask : ndarray of bool, shape S
    values : ndarray, shape S

    Returns
    -------
    ndarray, shape S
    """
    values = np.asarray(values)
    if values.dtype == object or np.asarray(mask).dtype == object:
        return np.where(mask, values, 0)
    return values * mask
