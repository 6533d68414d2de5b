"""The initialisers draw N(0, Var(w)) with the variance of their closed form.

Independent route: the variance written out for each scheme (naive std², LeCun
1/n, Xavier 2/(n + m), He 2/n), drawn with ``rng.normal`` from a generator of
the same seed, which must give the very same array; then the exact error texts.
"""

import numpy as np
import pytest

from nnmath.init import INITIALISERS, he_normal, lecun_normal, naive_normal, xavier_normal

N_IN, N_OUT = 3, 7  # different, so that n and m cannot be swapped unnoticed


def _expected(var, seed=4):
    return np.random.default_rng(seed).normal(0.0, np.sqrt(var), size=(N_IN, N_OUT))


@pytest.mark.parametrize("init, var", [
    (lecun_normal, 1 / N_IN), (xavier_normal, 2 / (N_IN + N_OUT)), (he_normal, 2 / N_IN),
    (lambda n, m, rng: naive_normal(n, m, rng, std=0.3), 0.09),
    (naive_normal, 1.0),
], ids=["lecun", "xavier", "he", "naive std", "naive default"])
def test_each_scheme_draws_its_closed_form_variance(init, var):
    W = init(N_IN, N_OUT, np.random.default_rng(4))
    np.testing.assert_allclose(W, _expected(var), rtol=1e-14, atol=0)


def test_the_table_names_each_scheme():
    assert INITIALISERS == {"naive": naive_normal, "lecun": lecun_normal,
                            "xavier": xavier_normal, "he": he_normal}


@pytest.mark.parametrize("init", [naive_normal, lecun_normal, xavier_normal, he_normal],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("n_in, n_out, error, message", [
    (0, 2, ValueError, "in_features must be positive, got 0"),
    (2, 0, ValueError, "out_features must be positive, got 0"),
    (-1, 2, ValueError, "in_features must be positive, got -1"),
    (True, 2, TypeError, "in_features must be an integer, got True"),
    (2, 1.0, TypeError, "out_features must be an integer, got 1.0"),
])
def test_sizes_must_be_positive_integers(init, n_in, n_out, error, message):
    with pytest.raises(error) as raised:
        init(n_in, n_out, np.random.default_rng(0))
    assert str(raised.value) == f"{init.__name__}: {message}"


def test_sizes_of_one_are_accepted():
    assert he_normal(1, 1, np.random.default_rng(0)).shape == (1, 1)


@pytest.mark.parametrize("std", [0.0, -1.0, np.inf, np.nan])
def test_naive_std_must_be_positive_and_finite(std):
    with pytest.raises(ValueError) as error:
        naive_normal(2, 2, np.random.default_rng(0), std=std)
    assert str(error.value) == f"naive_normal: std must be positive and finite, got {std!r}"


def test_the_rng_is_checked_with_the_scheme_named():
    with pytest.raises(TypeError, match=r"^xavier_normal: rng must be a numpy.random.Generator"):
        xavier_normal(2, 2, 0)
