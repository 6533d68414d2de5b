"""When ``inv``, ``logdet`` and ``solve`` refuse a matrix as singular, and their exact message.

The rule is compared with ``np.linalg.matrix_rank`` (rank deficient iff the smallest
singular value is at most ``σ_max · n · ε``) on diagonal matrices just either side of
that threshold; the message, naming the function and the largest and smallest
singular values, word for word on diagonal matrices whose singular values are known.
"""

import re

import numpy as np
import pytest

from nnmath.autodiff import inv, logdet, solve

EPS = np.finfo(np.float64).eps
FUNCTIONS = {
    "inv": inv,
    "logdet": logdet,
    "solve": lambda A: solve(A, np.ones(A.shape[0])),
}


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("ratio", [0.5, 0.9, 1.1, 1.5])
def test_singular_exactly_when_numpy_finds_the_rank_deficient(n, ratio):
    X = np.diag([1.0] * (n - 1) + [ratio * n * EPS])  # smallest singular value ratio·n·ε
    singular = np.linalg.matrix_rank(X) < n
    assert singular == (ratio <= 1.0)
    for who, f in FUNCTIONS.items():
        if singular:
            with pytest.raises(ValueError, match=f"^{who}: the {n}x{n} matrix is singular"):
                f(X)
        else:
            f(X)


@pytest.mark.parametrize("diagonal, values", [([5.0, 3.0, 0.0], "5 ... 0"),
                                              ([0.0], "0 ... 0"),
                                              ([2.0, 1e-300], "2 ... 1e-300")], ids=str)
@pytest.mark.parametrize("who", list(FUNCTIONS))
def test_the_singular_message_names_the_function_and_the_extreme_singular_values(who, diagonal,
                                                                                  values):
    n = len(diagonal)
    message = (f"{who}: the {n}x{n} matrix is singular to working precision "
               f"(singular values {values})")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        FUNCTIONS[who](np.diag(diagonal))
